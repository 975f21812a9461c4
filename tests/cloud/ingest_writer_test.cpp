// Tests of the ingest writer (ingest/ingest.hpp) driven through a fake broker link and a manual
// clock, on a real store file: a frame is stored and only then acknowledged with a signed ack;
// frames that arrive together share transactions (group commit) and their acks; a second ingest
// on the same store dedupes by the coverage the first committed (reload); a forged frame is
// dead-lettered and never acknowledged; a batch the store refuses at its end is narrowed down to
// the one frame that causes it, which alone is set aside; a store that fails is retried, and
// nothing is acked until it stores; presence replays from an earlier connect are stale.
#include "hoistway/cloud/ingest/ingest.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fake_mqtt_link.hpp"
#include "hoistway/cloud/live/event_bus.hpp"
#include "hoistway/cloud/live/live_view.hpp"
#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/presence.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/sqlite.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "temp_dir.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace common = hoistway::common;
namespace mqtt = common::mqtt;
using hoistway::testing::fake_broker;
using hoistway::testing::fake_mqtt_link;

const std::vector<std::uint8_t> device_key(32, 0xA1);
const std::vector<std::uint8_t> other_key(32, 0xB2);

// Waits (up to 20 s: long enough for a loaded machine) until `done` holds; not a speed check.
// Time passes for the writer meanwhile: the manual clock moves 1 ms per look, so what it times
// by the clock (the group commit's gathering) ends, while the test holds it still in between.
bool eventually(common::manual_clock& clock, const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    clock.advance(1);
  }
  return done();
}

// A frame of d1 holding records first..last (door cycles, unit car 0).
std::vector<std::uint8_t> frame_of(std::uint64_t first, std::uint64_t last, std::int64_t now_ms,
                                   const std::vector<std::uint8_t>& key = device_key) {
  common::batch b;
  b.device_id = "d1";
  b.boot = 1;
  b.boot_id = "boot-1";
  b.sent_at_ms = now_ms;
  for (auto seq = first; seq <= last; ++seq) {
    b.records.push_back(common::record{seq, 0, now_ms - 1000 + static_cast<std::int64_t>(seq),
                                       static_cast<std::int64_t>(seq), 1,
                                       common::door_cycle{3, 4000, 0}});
  }
  return common::wire::encode_frame(b, 1, key);
}

// A frame of `device` holding a run state (car 0, in service) per seq first..last.
std::vector<std::uint8_t> states_of(const std::string& device, std::uint64_t first,
                                    std::uint64_t last, std::int64_t now_ms,
                                    const std::vector<std::uint8_t>& key) {
  common::batch b;
  b.device_id = device;
  b.boot = 1;
  b.boot_id = "boot-1";
  b.sent_at_ms = now_ms;
  for (auto seq = first; seq <= last; ++seq) {
    common::run_state s;
    s.in_service = true;
    s.mode = common::car_mode::normal;
    s.floor = static_cast<std::int16_t>(seq);
    b.records.push_back(common::record{seq, 0, now_ms - 1000 + static_cast<std::int64_t>(seq),
                                       static_cast<std::int64_t>(seq), 1, s});
  }
  return common::wire::encode_frame(b, 1, key);
}

// The stored_through of every ack published to `device`, verified with its key, in order.
std::vector<std::uint64_t> acks_of(fake_broker& side, const std::string& device = "d1",
                                   const std::vector<std::uint8_t>& key = device_key) {
  std::vector<std::uint64_t> out;
  for (const auto& m : side.messages()) {
    if (m.topic != "hoistway/v1/dev/" + device + "/ack") continue;
    auto ack = common::wire::decode_ack(m.payload);
    REQUIRE(ack.has_value());
    CHECK(common::wire::verify_ack(*ack, key));
    out.push_back(ack->stored_through);
  }
  return out;
}

struct fixture {
  hoistway::testing::temp_dir dir{"ingest-writer"};
  std::shared_ptr<common::manual_clock> clock =
      std::make_shared<common::manual_clock>(common::system_clock().wall_ms(), 0);
  hc::ingest_config config;
  std::shared_ptr<fake_broker> side = std::make_shared<fake_broker>();
  std::unique_ptr<hc::ingest> ingest;

  fixture() {
    config.store_path = (dir.path() / "cloud.db").string();
    config.share_group = "";
    config.devices.push_back({"d1", 1, device_key, {"U1"}});
  }

  void start() {
    auto made = hc::ingest::create(
        config, std::make_shared<hc::live_view>(config.offline_after),
        std::make_shared<hc::event_bus>(1000, 1), clock,
        [side = side](const mqtt::options&) -> common::result<std::unique_ptr<mqtt::link>> {
          return std::make_unique<fake_mqtt_link>(side);
        });
    REQUIRE_OK(made);
    ingest = std::move(*made);
    REQUIRE(ingest->start());
    CHECK(ingest->broker_connected());
  }

  void stop() {
    ingest->stop();
    ingest.reset();
  }

  void deliver(const std::string& topic, std::vector<std::uint8_t> payload) {
    side->deliver(topic, std::move(payload));
  }
  void deliver_up(std::vector<std::uint8_t> frame) {
    deliver("hoistway/v1/dev/d1/up", std::move(frame));
  }

  const hc::ingest_counters& counters() const { return ingest->counters(); }
};

TEST_CASE_FIXTURE(fixture, "ingest: a frame is stored, then acknowledged with a signed ack") {
  start();
  const auto subscriptions = side->subscriptions();
  REQUIRE(subscriptions.size() == 3);
  CHECK(subscriptions[0].filter == "hoistway/v1/dev/+/up");  // no share group set
  deliver_up(frame_of(1, 2, clock->wall_ms()));
  REQUIRE(eventually(*clock, [&] { return !acks_of(*side).empty(); }));
  CHECK(acks_of(*side) == std::vector<std::uint64_t>{2});
  CHECK(counters().records_stored == 2);
  CHECK(counters().frames_accepted == 1);
  CHECK(counters().transactions >= 1);
  CHECK(counters().acks_published == 1);
  stop();
}

TEST_CASE_FIXTURE(fixture, "ingest: frames that arrive together share commits and acks") {
  config.ack_interval = std::chrono::hours(1);  // the manual clock never reaches it
  start();
  constexpr std::uint64_t frames = 40;
  for (std::uint64_t i = 0; i < frames; ++i)
    deliver_up(frame_of(2 * i + 1, 2 * i + 2, clock->wall_ms()));
  REQUIRE(eventually(*clock, [&] { return counters().records_stored == 2 * frames; }));
  REQUIRE(eventually(
      *clock, [&] { return !acks_of(*side).empty() && acks_of(*side).back() == 2 * frames; }));
  // Group commit: far fewer transactions than frames, and never more acks than commits (with an
  // interval the clock never reaches, an ack goes only when the writer has run dry).
  CHECK(counters().transactions < frames / 2);
  const auto acks = acks_of(*side);
  CHECK(acks.size() <= counters().transactions);
  for (std::size_t i = 1; i < acks.size(); ++i) CHECK(acks[i - 1] < acks[i]);
  CHECK(counters().ack_latency_count == frames);  // every frame answered by some ack
  stop();
}

TEST_CASE_FIXTURE(fixture,
                  "ingest: a second ingest on the store dedupes by the committed coverage") {
  start();
  deliver_up(frame_of(1, 3, clock->wall_ms()));
  REQUIRE(eventually(*clock, [&] { return acks_of(*side) == std::vector<std::uint64_t>{3}; }));
  stop();

  side = std::make_shared<fake_broker>();
  start();
  deliver_up(frame_of(1, 3, clock->wall_ms()));  // the agent resends: it missed the ack
  deliver_up(frame_of(4, 4, clock->wall_ms()));
  REQUIRE(eventually(
      *clock, [&] { return counters().records_stored + counters().records_duplicate == 4; }));
  CHECK(counters().records_duplicate == 3);
  CHECK(counters().records_stored == 1);
  REQUIRE(
      eventually(*clock, [&] { return !acks_of(*side).empty() && acks_of(*side).back() == 4; }));
  stop();
}

TEST_CASE_FIXTURE(fixture, "ingest: a forged frame is dead-lettered, counted and never acked") {
  start();
  deliver_up(frame_of(1, 2, clock->wall_ms(), other_key));
  // Counted once its transaction (the dead letter's) commits.
  REQUIRE(eventually(*clock, [&] { return counters().frames_in == 1; }));
  CHECK(counters().dead_letters == 1);
  CHECK(counters().rejected[static_cast<std::size_t>(common::wire::reject_reason::bad_mac)] == 1);
  // A good frame after it is stored and acked; the forged one left no trace in the coverage.
  deliver_up(frame_of(1, 1, clock->wall_ms()));
  REQUIRE(eventually(*clock, [&] { return !acks_of(*side).empty(); }));
  CHECK(acks_of(*side) == std::vector<std::uint64_t>{1});
  stop();
}

TEST_CASE_FIXTURE(fixture,
                  "ingest: a failing store is retried, nothing is acked before it stores") {
  start();
  // Another connection holds the write lock longer than the writer's busy timeout (5 s).
  auto holder = common::sqlite::database::open(config.store_path);
  REQUIRE(holder.has_value());
  REQUIRE(holder->exec("BEGIN EXCLUSIVE"));
  deliver_up(frame_of(1, 2, clock->wall_ms()));
  REQUIRE(eventually(*clock, [&] { return counters().store_failures >= 1; }));
  CHECK(acks_of(*side).empty());
  CHECK(counters().records_stored == 0);
  REQUIRE(holder->exec("ROLLBACK"));
  // The batch the writer kept is stored on a later try, then acknowledged.
  REQUIRE(eventually(*clock, [&] { return !acks_of(*side).empty(); }));
  CHECK(acks_of(*side) == std::vector<std::uint64_t>{2});
  CHECK(counters().records_stored == 2);
  stop();
}

TEST_CASE_FIXTURE(fixture,
                  "ingest: a batch the store refuses at its end is narrowed, only the failing "
                  "frame is set aside") {
  config.devices.push_back({"d2", 1, other_key, {"U2"}});
  start();
  // The store refuses U2's status as if its values broke a constraint: the end of a transaction
  // holding a run state of d2 fails (errc::conflict), with no message to blame.
  auto db = common::sqlite::database::open(config.store_path);
  REQUIRE_OK(db);
  REQUIRE_OK(
      db->exec("CREATE TRIGGER refuse_u2 BEFORE INSERT ON unit_status WHEN NEW.unit_id = 'U2' "
               "BEGIN SELECT RAISE(ABORT, 'U2 refused'); END"));
  // A first frame commits alone; the manual clock then stands still while the next two arrive,
  // so the group commit gathers them into one transaction.
  deliver_up(frame_of(1, 1, clock->wall_ms()));
  REQUIRE(eventually(*clock, [&] { return acks_of(*side) == std::vector<std::uint64_t>{1}; }));
  const auto transactions_before = counters().transactions.load();
  deliver_up(states_of("d1", 2, 3, clock->wall_ms(), device_key));
  deliver("hoistway/v1/dev/d2/up", states_of("d2", 1, 2, clock->wall_ms(), other_key));
  REQUIRE(eventually(*clock, [&] { return counters().frames_in == 3; }));

  // d1's frame is stored (and its status kept) although it shared the refused transaction.
  CHECK(counters().records_stored == 3);
  CHECK(counters().frames_accepted == 2);
  CHECK(counters().transactions == transactions_before + 2);  // d1's, then d2's set aside
  REQUIRE(
      eventually(*clock, [&] { return !acks_of(*side).empty() && acks_of(*side).back() == 3; }));
  // d2's frame alone is set aside: rejected as unprocessable, dead-lettered and acknowledged, so
  // its agent moves on.
  CHECK(counters().rejected[static_cast<std::size_t>(common::wire::reject_reason::unprocessable)] ==
        1);
  CHECK(counters().dead_letters == 1);
  CHECK(counters().messages_discarded == 0);
  REQUIRE(eventually(*clock, [&] {
    const auto acks = acks_of(*side, "d2", other_key);
    return !acks.empty() && acks.back() == 2;
  }));
  auto units = db->prepare("SELECT unit_id FROM unit_status ORDER BY unit_id");
  REQUIRE_OK(units);
  std::vector<std::string> with_status;
  while (*units->step() == common::sqlite::step_result::row)
    with_status.push_back(units->column_text(0));
  CHECK(with_status == std::vector<std::string>{"U1"});
  auto letters = db->prepare("SELECT reason FROM dead_letters");
  REQUIRE_OK(letters);
  REQUIRE(*letters->step() == common::sqlite::step_result::row);
  CHECK(letters->column_text(0) == "unprocessable");
  stop();
}

TEST_CASE_FIXTURE(fixture, "ingest: a birth is taken, a will from an earlier connect is stale") {
  start();
  auto announce = [&](common::presence::status state, std::uint64_t session,
                      const std::vector<std::uint8_t>& key = device_key) {
    common::presence::announcement a;
    a.state = state;
    a.device_id = "d1";
    a.boot = 1;
    a.session = session;
    a.sent_at_ms = state == common::presence::status::online ? clock->wall_ms() : 0;
    deliver("hoistway/v1/dev/d1/state", common::presence::sign(a, "", 1, key));
  };
  announce(common::presence::status::online, 2);
  REQUIRE(eventually(*clock, [&] { return counters().presence_accepted == 1; }));
  announce(common::presence::status::offline, 1);  // the will of the connect before
  REQUIRE(eventually(*clock, [&] { return counters().presence_stale == 1; }));
  announce(common::presence::status::online, 3, other_key);  // not the device's
  REQUIRE(eventually(*clock, [&] { return counters().presence_rejected == 1; }));
  CHECK(counters().presence_accepted == 1);
  stop();
}

}  // namespace
