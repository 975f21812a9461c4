// Tests of the wire contract codec (wire_codec.hpp) through its public API only: the codec is the
// contract, so these tests never look at the generated FlatBuffers types.
#include "hoistway/common/wire_codec.hpp"

#include <doctest/doctest.h>

#include "string_makers.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "hoistway/common/crypto.hpp"
#include "hoistway/common/records.hpp"

namespace {

namespace hc = hoistway::common;
namespace wire = hoistway::common::wire;
using wire::reject_reason;

constexpr std::int64_t now_ms = 1'750'000'000'000;
constexpr std::int64_t day_ms = 24LL * 3600 * 1000;
constexpr std::uint32_t key_id = 5;

std::vector<std::uint8_t> device_key() {
  std::vector<std::uint8_t> key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0xa0U + i);
  return key;
}

// One body of every kind, each with values that differ from the defaults.
std::vector<hc::record_body> every_body() {
  hc::run_state run;
  run.position_mm = -12'345;
  run.speed_mm_s = -1'600;
  run.floor = -2;
  run.dir = hc::direction::down;
  run.door = hc::door_state::closing;
  run.load_kg = 640;
  run.mode = hc::car_mode::fire_recall;
  run.in_door_zone = true;
  run.alarm = true;
  run.fault_codes = {3, 17, 65'535};
  run.snapshot = true;
  run.in_service = true;
  return {
      run,
      hc::trip{-1, 12, now_ms - 60'000, now_ms - 41'000, 19'000, 2'500, 39'600},
      hc::door_cycle{7, 8'250, 3},
      hc::fault_event{4'321, hc::severity::critical, false},
      hc::entrapment{false, 9, 27'000, 880, true},
      hc::mode_change{hc::car_mode::inspection, hc::car_mode::out_of_service},
      hc::power_change{false},
      hc::earthquake_operation{false, -1},
      hc::technician_visit{false, "visit-7f3a", "Aiko Tanaka"},
      hc::checklist_item{"visit-7f3a", "brake torque", false, "pads worn to 2 mm"},
      hc::usage_rollup{now_ms - 3'600'000, 3'600, 41, 44, 52, 1'234, 5'000'000'000ULL},
      hc::clock_jump{-7'200'000},
      hc::outbox_drop{120, 4, 1'000, 1'124},
  };
}

hc::record make_record(std::uint64_t seq, hc::record_body body) {
  return hc::record{seq, 2, now_ms - 5'000, 987'654, 7, std::move(body)};
}

hc::batch make_batch(std::vector<hc::record> records) {
  hc::batch b;
  b.device_id = "dev-0042";
  b.boot = 7;
  b.boot_id = "6f1c2a4e-8b3d-4c5e-9f00-1a2b3c4d5e6f";
  b.sent_at_ms = now_ms - 1'000;
  b.outbox_floor = 1;
  b.covers_from = 1;
  b.records = std::move(records);
  return b;
}

hc::batch full_batch() {
  std::vector<hc::record> records;
  std::uint64_t seq = 10;
  for (auto& body : every_body()) records.push_back(make_record(seq++, std::move(body)));
  auto b = make_batch(std::move(records));
  b.outbox_floor = 4;
  b.covers_from = 9;
  return b;
}

// The receiver's pipeline as the conventions order it: open (size, identifier, envelope), MAC,
// then payload structure and meaning.
wire::decode_result<hc::batch> receive(std::span<const std::uint8_t> frame,
                                       std::span<const std::uint8_t> key,
                                       std::size_t cap = wire::default_max_frame_bytes) {
  auto envelope = wire::open_envelope(frame, cap);
  if (!envelope) return std::unexpected(envelope.error());
  if (!wire::verify_mac(*envelope, key)) {
    return std::unexpected(wire::rejection{reject_reason::bad_mac, "test: mac"});
  }
  return wire::decode_payload(*envelope, now_ms);
}

std::optional<reject_reason> reason_of(const wire::decode_result<hc::batch>& result) {
  if (result) return std::nullopt;
  return result.error().reason;
}

// Where a span inside `frame` starts.
std::size_t offset_in(const std::vector<std::uint8_t>& frame, const std::uint8_t* p) {
  return static_cast<std::size_t>(p - frame.data());
}

// Rewrites the MAC inside `frame` so that it matches the (edited) payload: lets a test reach the
// stages after authentication with bytes it crafted.
void resign(std::vector<std::uint8_t>& frame, std::span<const std::uint8_t> key) {
  auto envelope = wire::open_envelope(frame);
  REQUIRE(envelope.has_value());
  const auto mac = hoistway::common::crypto::hmac_sha256(key, envelope->payload);
  REQUIRE(envelope->mac.size() == mac.size());
  std::copy(mac.begin(), mac.end(),
            frame.begin() + static_cast<std::ptrdiff_t>(offset_in(frame, envelope->mac.data())));
}

}  // namespace

TEST_CASE("every_body covers each record kind once, in variant order") {
  const auto bodies = every_body();
  REQUIRE(bodies.size() == std::variant_size_v<hc::record_body>);
  for (std::size_t i = 0; i < bodies.size(); ++i) CHECK(bodies[i].index() == i);
}

TEST_CASE("encode_record/decode_record round-trips every record kind") {
  std::uint64_t seq = 1;
  for (const auto& body : every_body()) {
    const auto rec = make_record(seq++, body);
    CAPTURE(hc::kind_name(rec.body));
    const auto bytes = wire::encode_record(rec);
    const auto decoded = wire::decode_record(bytes);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == rec);
  }
}

TEST_CASE("decode_record round-trips default-valued records too") {
  // Default values are not stored by FlatBuffers; the struct defaults (e.g. power_change.lost =
  // true) must still survive.
  for (std::size_t i = 0; i < std::variant_size_v<hc::record_body>; ++i) {
    hc::record_body body = every_body()[i];
    std::visit([](auto& v) { v = std::decay_t<decltype(v)>{}; }, body);
    const hc::record rec{1, 0, 0, 0, 0, body};
    CAPTURE(hc::kind_name(body));
    const auto decoded = wire::decode_record(wire::encode_record(rec));
    REQUIRE(decoded.has_value());
    CHECK(*decoded == rec);
  }
}

TEST_CASE("decode_record rejects what the receiver must not accept") {
  SUBCASE("garbage") {
    const std::vector<std::uint8_t> junk{1, 2, 3};
    const auto decoded = wire::decode_record(junk);
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().code == hc::errc::corrupt);
  }
  SUBCASE("an enum value the schema does not know") {
    hc::run_state run;
    run.dir = static_cast<hc::direction>(7);
    const auto decoded = wire::decode_record(wire::encode_record(make_record(1, run)));
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().code == hc::errc::corrupt);
  }
  SUBCASE("an unknown severity and mode") {
    CHECK_FALSE(wire::decode_record(wire::encode_record(make_record(
                                        1, hc::fault_event{1, static_cast<hc::severity>(4), true})))
                    .has_value());
    CHECK_FALSE(wire::decode_record(
                    wire::encode_record(make_record(
                        1, hc::mode_change{hc::car_mode::normal, static_cast<hc::car_mode>(9)})))
                    .has_value());
  }
  SUBCASE("more than 64 fault codes") {
    hc::run_state run;
    run.fault_codes.assign(64, 1);
    CHECK(wire::decode_record(wire::encode_record(make_record(1, run))).has_value());
    run.fault_codes.push_back(2);
    CHECK_FALSE(wire::decode_record(wire::encode_record(make_record(1, run))).has_value());
  }
  SUBCASE("strings over 256 bytes") {
    hc::technician_visit visit{true, "v", std::string(256, 'x')};
    CHECK(wire::decode_record(wire::encode_record(make_record(1, visit))).has_value());
    visit.technician.push_back('x');
    CHECK_FALSE(wire::decode_record(wire::encode_record(make_record(1, visit))).has_value());
    hc::checklist_item item{"v", "i", true, std::string(257, 'n')};
    CHECK_FALSE(wire::decode_record(wire::encode_record(make_record(1, item))).has_value());
  }
}

TEST_CASE("a frame with every record kind round-trips through the receiver's stages") {
  const auto key = device_key();
  const auto original = full_batch();
  const auto frame = wire::encode_frame(original, key_id, key);

  const auto envelope = wire::open_envelope(frame);
  REQUIRE(envelope.has_value());
  CHECK(envelope->device_id == "dev-0042");
  CHECK(envelope->key_id == key_id);
  CHECK(envelope->mac.size() == 32);
  CHECK_FALSE(envelope->payload.empty());
  // The views point into the frame.
  CHECK(envelope->payload.data() >= frame.data());
  CHECK(envelope->payload.data() + envelope->payload.size() <= frame.data() + frame.size());

  REQUIRE(wire::verify_mac(*envelope, key));
  const auto decoded = wire::decode_payload(*envelope, now_ms);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == original);
}

TEST_CASE("stored_ack: signed by the cloud with the device's ack key, and only that verifies") {
  const auto key = device_key();
  const auto ack = wire::sign_ack("dev-0042", 1234, key_id, key);
  CHECK(ack.key_id == key_id);
  CHECK(ack.mac.size() == 32);
  const auto decoded = wire::decode_ack(wire::encode_ack(ack));
  REQUIRE(decoded.has_value());
  CHECK(*decoded == ack);
  CHECK(wire::verify_ack(*decoded, key));

  auto changed = *decoded;
  changed.stored_through = 1235;  // more than the cloud said
  CHECK_FALSE(wire::verify_ack(changed, key));
  changed = *decoded;
  changed.device_id = "dev-0043";  // another device's ack
  CHECK_FALSE(wire::verify_ack(changed, key));
  auto other_key = key;
  other_key[0] ^= 1;
  CHECK_FALSE(wire::verify_ack(*decoded, other_key));
  changed = *decoded;
  changed.mac.clear();  // unsigned, as before acks were signed
  CHECK_FALSE(wire::verify_ack(changed, key));
  changed.mac.assign(31, 0);
  CHECK_FALSE(wire::verify_ack(changed, key));
  // Not the device key itself: the MAC over the same bytes with it does not pass.
  std::vector<std::uint8_t> message{'d', 'e', 'v', '-', '0', '0', '4', '2', 0,
                                    0,   0,   0,   0,   0,   0,   4,   0xd2};
  const auto raw = hc::crypto::hmac_sha256(key, message);
  changed = *decoded;
  changed.mac.assign(raw.begin(), raw.end());
  CHECK_FALSE(wire::verify_ack(changed, key));
}

TEST_CASE("stored_ack round-trips and rejects foreign bytes") {
  const wire::stored_ack ack{"dev-0042", 18'446'744'073'709'551'000ULL, 0, {}};
  const auto bytes = wire::encode_ack(ack);
  const auto decoded = wire::decode_ack(bytes);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == ack);

  CHECK_FALSE(wire::decode_ack({}).has_value());
  const auto frame = wire::encode_frame(full_batch(), key_id, device_key());
  const auto not_ack = wire::decode_ack(frame);
  REQUIRE_FALSE(not_ack.has_value());
  CHECK(not_ack.error().code == hc::errc::corrupt);
  // FlatBuffers may end in alignment padding; a prefix that only loses padding still decodes
  // (to the same ack), any shorter one must be rejected.
  std::size_t content_end = bytes.size();
  while (content_end > 0 && bytes[content_end - 1] == 0) --content_end;
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    CAPTURE(n);
    const auto decoded_prefix = wire::decode_ack(std::span<const std::uint8_t>(bytes).first(n));
    if (n < content_end) {
      CHECK_FALSE(decoded_prefix.has_value());
    } else if (decoded_prefix) {
      CHECK(*decoded_prefix == ack);
    }
  }
  // A frame must also not pass as an ack and vice versa.
  const auto as_frame = wire::open_envelope(bytes);
  REQUIRE_FALSE(as_frame.has_value());
  CHECK(as_frame.error().reason == reject_reason::bad_identifier);
}

TEST_CASE("open_envelope enforces the size cap before anything else") {
  const auto frame = wire::encode_frame(full_batch(), key_id, device_key());
  CHECK(wire::open_envelope(frame, frame.size()).has_value());
  const auto over = wire::open_envelope(frame, frame.size() - 1);
  REQUIRE_FALSE(over.has_value());
  CHECK(over.error().reason == reject_reason::oversized);
  // Even garbage is reported as oversized first.
  const std::vector<std::uint8_t> big(wire::default_max_frame_bytes + 1, 0xff);
  const auto big_result = wire::open_envelope(big);
  REQUIRE_FALSE(big_result.has_value());
  CHECK(big_result.error().reason == reject_reason::oversized);
}

TEST_CASE("open_envelope rejects short buffers and wrong identifiers as bad_identifier") {
  const auto frame = wire::encode_frame(full_batch(), key_id, device_key());
  for (std::size_t n = 0; n < 8; ++n) {
    CAPTURE(n);
    const auto result = wire::open_envelope(std::span<const std::uint8_t>(frame).first(n));
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().reason == reject_reason::bad_identifier);
  }
  for (std::size_t i = 4; i < 8; ++i) {
    auto wrong = frame;
    wrong[i] = static_cast<std::uint8_t>(wrong[i] ^ 0x20U);  // "HWF1" -> "hWF1" etc.
    const auto result = wire::open_envelope(wrong);
    REQUIRE_FALSE(result.has_value());
    CHECK(result.error().reason == reject_reason::bad_identifier);
  }
}

TEST_CASE("every truncation of a valid frame is rejected") {
  const auto key = device_key();
  const auto frame = wire::encode_frame(full_batch(), key_id, key);
  for (std::size_t n = 0; n < frame.size(); ++n) {
    CAPTURE(n);
    const auto result = receive(std::span<const std::uint8_t>(frame).first(n), key);
    REQUIRE_FALSE(result.has_value());
  }
}

TEST_CASE("no single bit flip yields a batch different from the original") {
  const auto key = device_key();
  const auto original = full_batch();
  const auto frame = wire::encode_frame(original, key_id, key);
  const auto envelope = wire::open_envelope(frame);
  REQUIRE(envelope.has_value());
  const std::size_t mac_begin = offset_in(frame, envelope->mac.data());
  const std::size_t mac_end = mac_begin + envelope->mac.size();

  std::size_t rejected = 0;
  for (std::size_t i = 0; i < frame.size(); ++i) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      auto flipped = frame;
      flipped[i] = static_cast<std::uint8_t>(flipped[i] ^ (1U << bit));
      const auto result = receive(flipped, key);
      CAPTURE(i);
      CAPTURE(bit);
      if (result) {
        // Only bytes the receiver does not rely on (e.g. the unauthenticated key_id, which just
        // selects the key) may change without a rejection, and the batch must be the original.
        CHECK(*result == original);
      } else {
        ++rejected;
      }
      if (i >= mac_begin && i < mac_end) {
        CHECK(reason_of(result) == reject_reason::bad_mac);
      }
    }
  }
  // Nearly every flip must be caught; the payload alone is most of the frame.
  CHECK(rejected > frame.size() * 8 * 9 / 10);
}

TEST_CASE("a frame verified with another key fails the MAC") {
  const auto frame = wire::encode_frame(full_batch(), key_id, device_key());
  auto other = device_key();
  other[0] ^= 1U;
  const auto envelope = wire::open_envelope(frame);
  REQUIRE(envelope.has_value());
  CHECK_FALSE(wire::verify_mac(*envelope, other));
  CHECK_FALSE(wire::verify_mac(*envelope, {}));
  CHECK(reason_of(receive(frame, other)) == reject_reason::bad_mac);
}

TEST_CASE("an envelope device_id differing from the payload's is bad_meaning") {
  const auto key = device_key();
  auto frame = wire::encode_frame(full_batch(), key_id, key);
  const auto envelope = wire::open_envelope(frame);
  REQUIRE(envelope.has_value());
  // The envelope's device_id is outside the MAC: change its last character in place.
  const std::size_t last =
      offset_in(frame, reinterpret_cast<const std::uint8_t*>(envelope->device_id.data())) +
      envelope->device_id.size() - 1;
  REQUIRE(frame[last] == '2');
  frame[last] = '3';
  const auto reopened = wire::open_envelope(frame);
  REQUIRE(reopened.has_value());
  CHECK(reopened->device_id == "dev-0043");
  REQUIRE(wire::verify_mac(*reopened, key));
  const auto result = wire::decode_payload(*reopened, now_ms);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().reason == reject_reason::bad_meaning);
}

TEST_CASE("decode_payload rejects batches that make no sense as bad_meaning") {
  const auto key = device_key();
  auto expect_meaning = [&key](const hc::batch& b) {
    const auto frame = wire::encode_frame(b, key_id, key);
    CHECK(reason_of(receive(frame, key, 1024 * 1024)) == reject_reason::bad_meaning);
  };
  auto sample = [](std::uint64_t seq, std::int64_t wall) {
    auto rec = make_record(seq, hc::clock_jump{1});
    rec.wall_ms = wall;
    return rec;
  };
  SUBCASE("equal sequence numbers") {
    expect_meaning(make_batch({sample(5, now_ms), sample(5, now_ms)}));
  }
  SUBCASE("decreasing sequence numbers") {
    expect_meaning(make_batch({sample(5, now_ms), sample(4, now_ms)}));
  }
  SUBCASE("sequence number zero") { expect_meaning(make_batch({sample(0, now_ms)})); }
  SUBCASE("wall time 30 days in the future") {
    expect_meaning(make_batch({sample(1, now_ms + 30 * day_ms)}));
  }
  SUBCASE("wall time eleven years in the past") {
    expect_meaning(make_batch({sample(1, now_ms - 11 * 366 * day_ms)}));
  }
  SUBCASE("zero records") { expect_meaning(make_batch({})); }
  SUBCASE("a record from a later boot than the batch") {
    auto rec = sample(1, now_ms);
    rec.boot = 8;
    expect_meaning(make_batch({rec}));
  }
  SUBCASE("an unknown enum value inside a record") {
    expect_meaning(make_batch(
        {make_record(1, hc::mode_change{static_cast<hc::car_mode>(200), hc::car_mode::normal})}));
  }
  SUBCASE("too many records") {
    std::vector<hc::record> records;
    for (std::uint64_t seq = 1; seq <= wire::max_records_per_batch + 1; ++seq) {
      records.push_back(sample(seq, now_ms));
    }
    expect_meaning(make_batch(std::move(records)));
  }
  SUBCASE("a first record below covers_from") {
    auto b = make_batch({sample(5, now_ms), sample(9, now_ms)});
    b.covers_from = 6;
    expect_meaning(b);
  }
  SUBCASE("a first record below outbox_floor") {
    auto b = make_batch({sample(5, now_ms)});
    b.outbox_floor = 6;
    expect_meaning(b);
  }
  SUBCASE("a boot_id over 256 bytes") {
    auto b = make_batch({sample(1, now_ms)});
    b.boot_id.assign(257, 'b');
    expect_meaning(b);
  }
}

TEST_CASE("decode_payload accepts a first record at covers_from and outbox_floor") {
  const auto key = device_key();
  auto b = make_batch({make_record(6, hc::clock_jump{1}), make_record(7, hc::clock_jump{2})});
  b.covers_from = 6;
  b.outbox_floor = 6;
  const auto result = receive(wire::encode_frame(b, key_id, key), key);
  REQUIRE(result.has_value());
  CHECK(result->covers_from == 6);
  CHECK(*result == b);
}

TEST_CASE("decode_payload accepts the edges of the sane-time window") {
  const auto key = device_key();
  auto rec = make_record(1, hc::clock_jump{1});
  rec.wall_ms = now_ms + day_ms;  // exactly a day ahead: still accepted
  auto b = make_batch({rec});
  CHECK(receive(wire::encode_frame(b, key_id, key), key).has_value());
  b.records[0].wall_ms = now_ms + day_ms + 1;
  CHECK(reason_of(receive(wire::encode_frame(b, key_id, key), key)) == reject_reason::bad_meaning);
  b.records[0].wall_ms = now_ms - 9 * 365 * day_ms;
  CHECK(receive(wire::encode_frame(b, key_id, key), key).has_value());
}

TEST_CASE("open_envelope rejects an empty device_id as bad_envelope") {
  auto b = full_batch();
  b.device_id.clear();
  const auto result = wire::open_envelope(wire::encode_frame(b, key_id, device_key()));
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().reason == reject_reason::bad_envelope);
  b.device_id.assign(65, 'd');
  const auto too_long = wire::open_envelope(wire::encode_frame(b, key_id, device_key()));
  REQUIRE_FALSE(too_long.has_value());
  CHECK(too_long.error().reason == reject_reason::bad_envelope);
}

// Regression (fixed): the envelope verifier also verified the nested payload (schema attribute
// nested_flatbuffer) before the MAC, so a malformed payload is reported as bad_envelope instead of
// bad_mac (unsigned) or bad_payload (signed), and unauthenticated bytes are parsed first.
TEST_CASE("a malformed payload is judged after the MAC") {
  const auto key = device_key();
  auto frame = wire::encode_frame(full_batch(), key_id, key);
  const auto envelope = wire::open_envelope(frame);
  REQUIRE(envelope.has_value());
  // Point the payload's root offset far outside the payload.
  const std::size_t root = offset_in(frame, envelope->payload.data());
  frame[root + 3] = 0x7f;

  SUBCASE("unsigned: bad_mac") { CHECK(reason_of(receive(frame, key)) == reject_reason::bad_mac); }
  SUBCASE("signed by the device: bad_payload") {
    // Must not reach here with bad_envelope.
    const auto opened = wire::open_envelope(frame);
    REQUIRE(opened.has_value());
    resign(frame, key);
    CHECK(reason_of(receive(frame, key)) == reject_reason::bad_payload);
  }
}

TEST_CASE("random garbage never crashes the receiver") {
  const auto key = device_key();
  const auto original = full_batch();
  const auto frame = wire::encode_frame(original, key_id, key);
  std::mt19937 rng(20240229);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::uint8_t> junk(static_cast<std::size_t>(rng() % 600));
    for (auto& b : junk) b = static_cast<std::uint8_t>(byte(rng));
    if (junk.size() >= 8 && i % 2 == 0) std::copy_n("HWF1", 4, junk.begin() + 4);
    const auto result = receive(junk, key);
    CHECK_FALSE(result.has_value());
    CHECK_FALSE(wire::decode_record(junk).has_value());
    (void)wire::decode_ack(junk);
  }
  // Mutations of a valid frame reach deeper stages; a survivor must be the original batch.
  for (int i = 0; i < 3000; ++i) {
    auto mutated = frame;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      mutated[rng() % mutated.size()] = static_cast<std::uint8_t>(byte(rng));
    }
    const auto result = receive(mutated, key);
    if (result) CHECK(*result == original);
  }
}

// Regression (fixed): encode_frame passed boot_id (and the batch's device_id) as c_str() to
// CreateBatchDirect, and encode_ack does the same with device_id: text after an embedded NUL is
// silently dropped.
// Since then the receiver refuses such text with a reason (bad_meaning) instead of storing it:
// still never cut silently.
TEST_CASE("strings with an embedded NUL are never cut: refused in frames, kept in acks") {
  const auto key = device_key();
  auto b = full_batch();
  b.boot_id = std::string("boot\0tail", 9);
  const auto result = receive(wire::encode_frame(b, key_id, key), key);
  REQUIRE_FALSE(result.has_value());
  CHECK(result.error().reason == reject_reason::bad_meaning);
  CHECK(result.error().detail.find("boot_id") != std::string::npos);

  const wire::stored_ack ack{std::string("dev\0x", 5), 1, 0, {}};
  const auto decoded = wire::decode_ack(wire::encode_ack(ack));
  REQUIRE(decoded.has_value());
  CHECK(*decoded == ack);
}

TEST_CASE("a run-state sample costs no padding in a frame") {
  // The frame-size target (a quarter of the same records as JSON) rests on the encoder adding
  // each table's fields largest first; a reorder that brings padding back fails here.
  hc::run_state run = std::get<hc::run_state>(every_body().front());
  run.fault_codes.clear();
  auto batch_of = [&](std::size_t n) {
    hc::batch b = full_batch();
    b.records.clear();
    for (std::size_t i = 0; i < n; ++i) {
      hc::record r;
      r.seq = b.covers_from + i;
      r.car = 1;
      r.wall_ms = now_ms + static_cast<std::int64_t>(i) * 100;
      r.mono_ms = 5'000 + static_cast<std::int64_t>(i) * 100;
      r.boot = b.boot;
      r.body = run;
      b.records.push_back(r);
    }
    return wire::encode_frame(b, key_id, device_key()).size();
  };
  const std::size_t per_record = (batch_of(257) - batch_of(1)) / 256;
  MESSAGE("frame bytes per run-state record: " << per_record);
  CHECK(per_record <= 68);
}
