// Tests of what the codec makes of frames a device key can sign but no agent of ours would send
// (tests/support/forge.hpp): each is refused with a reason and the seqs it claims, so the
// receiver can acknowledge it without storing it; and of the text and meaning checks behind that.
#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <string>
#include <vector>

#include "forge.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"

namespace {

namespace hc = hoistway::common;
namespace wire = hoistway::common::wire;
namespace forge = hoistway::testing::forge;

const std::vector<std::uint8_t> key(32, 0x42);

}  // namespace

TEST_CASE("hostile frames: every kind a device key can sign is refused, with its seqs") {
  const auto now = hc::system_clock().wall_ms();
  const auto kinds = forge::hostile_kinds();
  CHECK(kinds.size() >= 7);
  std::uint64_t seq = 40;
  for (const auto& kind : kinds) {
    CAPTURE(kind);
    const auto frame = forge::frame(kind, "dev-1", 1, key, ++seq);
    REQUIRE(frame.has_value());
    const auto envelope = wire::open_envelope(*frame);
    REQUIRE(envelope.has_value());
    REQUIRE(wire::verify_mac(*envelope, key));  // signed as the agent signs
    const auto batch = wire::decode_payload(*envelope, now);
    REQUIRE_FALSE(batch.has_value());
    CHECK(batch.error().reason == wire::reject_reason::bad_meaning);
    CHECK_FALSE(batch.error().detail.empty());
    CHECK(batch.error().first_seq == seq);
    CHECK(batch.error().last_seq == seq);
  }
  const auto good = forge::frame("good", "dev-1", 1, key, 7);
  REQUIRE(good.has_value());
  const auto envelope = wire::open_envelope(*good);
  REQUIRE(envelope.has_value());
  const auto batch = wire::decode_payload(*envelope, now);
  REQUIRE_OK(batch);
  CHECK(batch->records.front().seq == 7);
}

TEST_CASE("hostile frames: a bodiless record names its type in the reason") {
  const auto frame = forge::frame("bodiless", "dev-1", 1, key, 3);
  REQUIRE(frame.has_value());
  const auto envelope = wire::open_envelope(*frame);
  REQUIRE(envelope.has_value());
  const auto batch = wire::decode_payload(*envelope, hc::system_clock().wall_ms());
  REQUIRE_FALSE(batch.has_value());
  CHECK(batch.error().detail.find("has no body") != std::string::npos);
}

TEST_CASE("valid_text: well-formed UTF-8 without NUL only") {
  CHECK(wire::valid_text(""));
  CHECK(wire::valid_text("Aiko Tanaka"));
  CHECK(wire::valid_text("田中 愛子"));         // three-byte forms
  CHECK(wire::valid_text("\xf0\x9f\x9b\x97"));  // an elevator emoji: four bytes
  CHECK(wire::valid_text("line one\nline two\t"));
  CHECK_FALSE(wire::valid_text(std::string("a\0b", 3)));
  CHECK_FALSE(wire::valid_text("\xff"));
  CHECK_FALSE(wire::valid_text("\x80"));              // a continuation byte first
  CHECK_FALSE(wire::valid_text("\xc0\xaf"));          // overlong "/"
  CHECK_FALSE(wire::valid_text("\xe0\x80\xaf"));      // overlong, three bytes
  CHECK_FALSE(wire::valid_text("\xed\xa0\x80"));      // a UTF-16 surrogate
  CHECK_FALSE(wire::valid_text("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK_FALSE(wire::valid_text("\xe7\x94"));          // cut short
}

TEST_CASE("meaning_error: records that cannot be true") {
  const auto now = hc::system_clock().wall_ms();
  auto at = [now](hc::record_body body, std::uint8_t car = 0) {
    return hc::record{1, car, now, 0, 1, std::move(body)};
  };
  CHECK(wire::meaning_error(at(hc::door_cycle{2, 3000, 0})).empty());
  CHECK(wire::meaning_error(at(hc::door_cycle{2, 3000, 0}, wire::max_car)).empty());
  CHECK_FALSE(wire::meaning_error(at(hc::door_cycle{2, 3000, 0}, wire::max_car + 1)).empty());
  CHECK(wire::meaning_error(at(hc::trip{0, 4, now - 20'000, now, 20'000, 2500, 12'000})).empty());
  CHECK_FALSE(wire::meaning_error(at(hc::trip{0, 4, now, now - 1, 1, 2500, 12'000})).empty());
  CHECK_FALSE(
      wire::meaning_error(at(hc::trip{0, 4, now - 2 * 86'400'000LL, now, 1, 1, 1})).empty());
  CHECK_FALSE(wire::meaning_error(at(hc::trip{0, 4, now - 1, now, 1, 1, 20'000'000})).empty());
  CHECK(wire::meaning_error(at(hc::usage_rollup{now, 900, 10, 11, 20, 300, 50'000})).empty());
  CHECK_FALSE(wire::meaning_error(at(hc::usage_rollup{now, 0, 0, 0, 0, 0, 0})).empty());
  CHECK_FALSE(wire::meaning_error(at(hc::usage_rollup{now, 900, 0, 0, 0, 901, 0})).empty());
  CHECK_FALSE(wire::meaning_error(at(hc::outbox_drop{1, 0, 9, 8})).empty());
  CHECK_FALSE(
      wire::meaning_error(at(hc::technician_visit{true, "v-1", std::string("a\0b", 3)})).empty());
  CHECK_FALSE(wire::meaning_error(at(hc::checklist_item{"v-1", "brakes", true, "\xff"})).empty());
  CHECK(wire::meaning_error(at(hc::checklist_item{"v-1", "ブレーキ", true, "良好"})).empty());
}
