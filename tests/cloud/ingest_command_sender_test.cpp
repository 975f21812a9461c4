// Tests of the down-link command sender (ingest/command_sender.hpp) on a real store and a fake
// broker link: a due command is published once, signed with its device's key, on its device's
// topic; the queue is looked at no more often than `poll`; a command for an unknown or disabled
// device ends undeliverable; one the link refuses is put back and sent when the broker is back.
#include "hoistway/cloud/ingest/command_sender.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <memory>
#include <vector>

#include "fake_mqtt_link.hpp"
#include "hoistway/cloud/ingest/commands.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/downlink.hpp"
#include "temp_dir.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace commands = hoistway::cloud::commands;
namespace dl = hoistway::common::downlink;
using hoistway::testing::fake_broker;
using hoistway::testing::fake_mqtt_link;

constexpr std::int64_t t0 = 1'790'000'000'000;
const std::vector<std::uint8_t> key(32, 0x42);

struct fixture {
  hoistway::testing::temp_dir dir{"command-sender"};
  hc::store db = [this] {
    auto s = hc::store::open(dir.file("cloud.db"));
    REQUIRE(s.has_value());
    // dev-gone is in the store but not (or no longer) in the writer's device table.
    for (const auto* id : {"dev-1", "dev-off", "dev-gone"}) {
      REQUIRE(s->provision({id, 1, key, {}}).has_value());
    }
    REQUIRE(commands::migrate(s->db()).has_value());
    return std::move(*s);
  }();
  // The devices as the writer's device table shows them.
  std::map<std::string, hc::device_row> devices{
      {"dev-1", hc::device_row{"dev-1", 3, key, true}},
      {"dev-off", hc::device_row{"dev-off", 1, key, false}}};
  std::shared_ptr<fake_broker> side = std::make_shared<fake_broker>();
  fake_mqtt_link link{side};
  std::atomic<std::uint64_t> sent{0};
  hc::command_sender sender{db.db(), link,
                            [this](const std::string& id) -> const hc::device_row* {
                              const auto it = devices.find(id);
                              return it != devices.end() && it->second.active ? &it->second
                                                                              : nullptr;
                            },
                            sent, hc::command_sender::timing{}};

  fixture() { REQUIRE(link.connect()); }

  commands::row queue(const std::string& device) {
    auto c = commands::enqueue(db.db(), device, dl::command_kind::ping, 0, t0);
    REQUIRE(c.has_value());
    return *c;
  }
  commands::command_state state_of(const std::string& id) {
    auto c = commands::find(db.db(), id);
    REQUIRE(c.has_value());
    REQUIRE(c->has_value());
    return (*c)->state;
  }
};

TEST_CASE_FIXTURE(fixture,
                  "command_sender: a due command is published once, signed, to its device") {
  const auto ping = queue("dev-1");
  CHECK(sender.poll(t0 + 100, 1'000) == 1);
  const auto out = side->messages();
  REQUIRE(out.size() == 1);
  CHECK(out[0].topic == "hoistway/v1/dev/dev-1/cmd");
  auto verified = dl::verify_command(out[0].payload, {"dev-1", 3, key, t0 + 100});
  REQUIRE(verified.has_value());
  CHECK(verified->id == ping.id);
  CHECK(sent == 1);
  CHECK(state_of(ping.id) == commands::command_state::sent);
  // Claimed: the next poll has nothing to send.
  CHECK(sender.poll(t0 + 1'000, 2'000) == 0);
  CHECK(side->messages().size() == 1);
}

TEST_CASE_FIXTURE(fixture, "command_sender: the queue is looked at no more often than poll") {
  CHECK(sender.poll(t0, 1'000) == 0);
  queue("dev-1");
  CHECK(sender.poll(t0 + 100, 1'100) == 0);  // 100 ms after the last look: too soon
  CHECK(sender.poll(t0 + 250, 1'250) == 1);
}

TEST_CASE_FIXTURE(fixture,
                  "command_sender: an unknown or disabled device's command is undeliverable") {
  const auto off = queue("dev-off");
  const auto gone = queue("dev-gone");
  CHECK(sender.poll(t0 + 100, 1'000) == 0);
  CHECK(side->messages().empty());
  CHECK(state_of(off.id) == commands::command_state::undeliverable);
  CHECK(state_of(gone.id) == commands::command_state::undeliverable);
}

TEST_CASE_FIXTURE(fixture, "command_sender: a command the link refuses waits for the broker") {
  const auto ping = queue("dev-1");
  side->fail_publish(true);
  CHECK(sender.poll(t0 + 100, 1'000) == 0);
  CHECK(sent == 0);
  CHECK(state_of(ping.id) == commands::command_state::queued);  // put back, not lost
  side->fail_publish(false);
  CHECK(sender.poll(t0 + 400, 1'300) == 1);
  CHECK(state_of(ping.id) == commands::command_state::sent);
}

}  // namespace
