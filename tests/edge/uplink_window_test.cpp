// Tests of the up-link window (uplink/window.hpp): what goes next, resends, covers_from and every
// rule for acks, driven by a manual clock with no outbox and no broker.
#include "hoistway/edge/uplink/window.hpp"

#include <doctest/doctest.h>

#include "edge_string_makers.hpp"

#include <memory>
#include <vector>

#include "hoistway/common/wire_codec.hpp"

namespace {

namespace hc = hoistway::common;
using hoistway::edge::ack_rejection;
using hoistway::edge::batch_request;
using hoistway::edge::uplink_window;

const std::vector<std::uint8_t> device_key(32, 0x5a);

struct fixture {
  std::shared_ptr<hc::manual_clock> clock = std::make_shared<hc::manual_clock>();
  uplink_window window;

  explicit fixture(std::uint64_t acked_through = 0, std::size_t batch = 10,
                   std::uint64_t unacked = 30)
      : window({"dev-1", 7, device_key}, {batch, unacked, std::chrono::milliseconds(5000)},
               acked_through, clock) {}

  // Sends whatever the window asks for, as if the outbox held every seq up to `held_through`.
  std::vector<batch_request> pump(std::uint64_t held_through) {
    std::vector<batch_request> asked;
    while (auto next = window.next_batch()) {
      if (next->after_seq >= held_through) break;
      asked.push_back(*next);
      window.sent(std::min<std::uint64_t>(held_through, next->after_seq + next->max_records));
    }
    return asked;
  }
};

std::vector<std::uint8_t> signed_ack(std::uint64_t through, std::string device = "dev-1",
                                     std::uint32_t key_id = 7,
                                     const std::vector<std::uint8_t>& key = device_key) {
  return hc::wire::encode_ack(hc::wire::sign_ack(std::move(device), through, key_id, key));
}

}  // namespace

TEST_CASE("uplink window: nothing goes before the link is up, then batches in order") {
  fixture f;
  CHECK_FALSE(f.window.next_batch().has_value());
  f.window.connected();
  const auto asked = f.pump(25);
  REQUIRE(asked.size() == 3);
  CHECK(asked[0] == batch_request{0, 10});
  CHECK(asked[1] == batch_request{10, 10});
  CHECK(asked[2] == batch_request{20, 10});
  CHECK(f.window.sent_through() == 25);
  CHECK(f.window.highest_sent() == 25);
}

TEST_CASE("uplink window: a full window asks for nothing until an ack makes room") {
  fixture f(0, 10, 30);
  f.window.connected();
  f.pump(100);
  CHECK(f.window.sent_through() == 30);
  CHECK_FALSE(f.window.next_batch().has_value());
  REQUIRE(f.window.take_ack(signed_ack(10)) == 10);
  f.window.acknowledged(10);
  const auto next = f.window.next_batch();
  REQUIRE_OK(next);
  CHECK(*next == batch_request{30, 10});
}

TEST_CASE("uplink window: no ack progress for ack_timeout resends from acked_through + 1") {
  fixture f;
  f.window.connected();
  f.pump(15);
  REQUIRE(f.window.take_ack(signed_ack(5)) == 5);
  f.window.acknowledged(5);
  f.clock->advance(5000);
  CHECK_FALSE(f.window.check_ack_timeout());  // not yet: the limit itself is allowed
  CHECK(f.window.sent_through() == 15);
  f.clock->advance(1);
  CHECK(f.window.check_ack_timeout());
  CHECK(f.window.sent_through() == 5);
  CHECK(f.window.resends() == 1);
  const auto next = f.window.next_batch();
  REQUIRE_OK(next);
  CHECK(next->after_seq == 5);
  // The rewind restarts the timer: no second resend at once.
  CHECK_FALSE(f.window.check_ack_timeout());
}

TEST_CASE("uplink window: an ack that makes progress restarts the ack timer") {
  fixture f;
  f.window.connected();
  f.pump(20);
  f.clock->advance(4000);
  REQUIRE(f.window.take_ack(signed_ack(10)) == 10);
  f.window.acknowledged(10);
  f.clock->advance(4000);
  CHECK_FALSE(f.window.check_ack_timeout());
  // An ack that says nothing new is not progress.
  REQUIRE(f.window.take_ack(signed_ack(10)) == 10);
  f.window.acknowledged(10);
  f.clock->advance(1001);
  CHECK(f.window.check_ack_timeout());
}

TEST_CASE("uplink window: with nothing in flight, or disconnected, time alone resends nothing") {
  fixture f;
  f.window.connected();
  f.clock->advance(60'000);
  CHECK_FALSE(f.window.check_ack_timeout());
  f.pump(10);
  f.window.disconnected();
  f.clock->advance(60'000);
  CHECK_FALSE(f.window.check_ack_timeout());
  CHECK_FALSE(f.window.next_batch().has_value());
  CHECK(f.window.sent_through() == 10);
}

TEST_CASE("uplink window: a reconnect resends everything not acknowledged") {
  fixture f;
  f.window.connected();
  f.pump(25);
  REQUIRE(f.window.take_ack(signed_ack(12)) == 12);
  f.window.acknowledged(12);
  f.window.disconnected();
  CHECK_FALSE(f.window.is_connected());
  f.clock->advance(1000);
  f.window.connected();
  CHECK(f.window.is_connected());
  CHECK(f.window.connected_since_wall_ms() == f.clock->wall_ms());
  CHECK(f.window.sent_through() == 12);
  const auto asked = f.pump(25);
  REQUIRE_FALSE(asked.empty());
  CHECK(asked.front().after_seq == 12);
  // What was sent before the reconnect may still be acknowledged.
  CHECK(f.window.take_ack(signed_ack(25)) == 25);
}

TEST_CASE("uplink window: covers_from reports the gap the cap made, never a held record") {
  fixture f(40);
  // The held record before the batch's first (50) is 44: the cap dropped 45..49, and
  // covers_from 45 tells the cloud so; 44 itself is held and goes in an earlier batch.
  CHECK(f.window.covers_from(50, 44) == 45);
  // Nothing held before the first: from acked_through + 1, so 41..49 are reported dropped.
  CHECK(f.window.covers_from(50, std::nullopt) == 41);
  // A first seq at or below acked_through + 1 covers from itself.
  CHECK(f.window.covers_from(41, std::nullopt) == 41);
  CHECK(f.window.covers_from(30, std::nullopt) == 30);
}

TEST_CASE("uplink window: refuses acks of every reason, counts each, deletes nothing") {
  fixture f;
  f.window.connected();
  f.pump(20);
  const std::vector<std::uint8_t> other_key(32, 0x11);
  auto unsigned_ack = hc::wire::sign_ack("dev-1", 5, 7, device_key);
  unsigned_ack.mac.clear();
  auto tampered = hc::wire::sign_ack("dev-1", 5, 7, device_key);
  tampered.stored_through = 6;  // the MAC was made over 5

  struct refused {
    const char* name;
    std::vector<std::uint8_t> payload;
    ack_rejection reason;
  };
  const std::vector<refused> cases{
      {"malformed", {1, 2, 3, 4, 5}, ack_rejection::malformed},
      {"empty", {}, ack_rejection::malformed},
      {"foreign", signed_ack(5, "dev-2"), ack_rejection::foreign},
      {"unsigned", hc::wire::encode_ack(unsigned_ack), ack_rejection::unsigned_ack},
      {"unknown key id", signed_ack(5, "dev-1", 8), ack_rejection::unknown_key},
      {"another key", signed_ack(5, "dev-1", 7, other_key), ack_rejection::bad_mac},
      {"tampered", hc::wire::encode_ack(tampered), ack_rejection::bad_mac},
      {"beyond sent", signed_ack(21), ack_rejection::beyond_sent},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const auto taken = f.window.take_ack(c.payload);
    REQUIRE_FALSE(taken.has_value());
    CHECK(taken.error() == c.reason);
  }
  CHECK(f.window.acks_rejected(ack_rejection::malformed) == 2);
  CHECK(f.window.acks_rejected(ack_rejection::foreign) == 1);
  CHECK(f.window.acks_rejected(ack_rejection::unsigned_ack) == 1);
  CHECK(f.window.acks_rejected(ack_rejection::unknown_key) == 1);
  CHECK(f.window.acks_rejected(ack_rejection::bad_mac) == 2);
  CHECK(f.window.acks_rejected(ack_rejection::beyond_sent) == 1);
  CHECK(f.window.acks_rejected_total() == 8);
  CHECK(f.window.acked_through() == 0);
  CHECK(f.window.last_ack_wall_ms() == 0);
  CHECK(to_string(ack_rejection::unsigned_ack) == "unsigned");
  // The true ack is taken and stamped.
  CHECK(f.window.take_ack(signed_ack(20)) == 20);
  CHECK(f.window.last_ack_wall_ms() == f.clock->wall_ms());
}

TEST_CASE("uplink window: an ack beyond what was sent is refused even after a rewind") {
  fixture f;
  f.window.connected();
  f.pump(20);
  f.clock->advance(5001);
  REQUIRE(f.window.check_ack_timeout());
  CHECK(f.window.sent_through() == 0);
  // 20 went out before the rewind: an ack through it is true.
  CHECK(f.window.take_ack(signed_ack(20)) == 20);
  CHECK(f.window.take_ack(signed_ack(21)).error() == ack_rejection::beyond_sent);
}

TEST_CASE("uplink window: after a restart it starts at the outbox's acked_through") {
  // Before the restart 30 were acknowledged and 31..45 sent, unacknowledged. The new window knows
  // only what the outbox kept: 31.. go again, and no ack may claim past 30 until they are sent.
  fixture f(30);
  CHECK(f.window.highest_sent() == 30);
  CHECK(f.window.take_ack(signed_ack(30)) == 30);  // a late duplicate of the last ack
  CHECK(f.window.take_ack(signed_ack(45)).error() == ack_rejection::beyond_sent);
  f.window.connected();
  const auto asked = f.pump(45);
  REQUIRE_FALSE(asked.empty());
  CHECK(asked.front() == batch_request{30, 10});
  CHECK(f.window.take_ack(signed_ack(45)) == 45);
  f.window.acknowledged(45);
  CHECK(f.window.acked_through() == 45);
  // acked_through never goes back.
  f.window.acknowledged(40);
  CHECK(f.window.acked_through() == 45);
}
