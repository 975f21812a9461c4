// Tests of the agent's whole loop (agent.hpp) with a fake MQTT link and a manual clock: the real
// outbox on a temporary SQLite file, the real io_context and CLI socket, no broker and no
// controller (its socket does not exist, so the agent samples nothing and publishes what the
// test put in the outbox). Waits are bounded only to end a broken test, never to time one.
#include "hoistway/edge/agent.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <thread>
#include <vector>

#include "edge_string_makers.hpp"
#include "fake_mqtt_link.hpp"
#include "hoistway/common/topics.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "hoistway/edge/cli/client.hpp"
#include "hoistway/edge/outbox.hpp"
#include "temp_dir.hpp"

namespace {

namespace hc = hoistway::common;
namespace edge = hoistway::edge;
using hoistway::testing::fake_broker;
using hoistway::testing::fake_mqtt_link;
using hoistway::testing::temp_dir;

const std::vector<std::uint8_t> device_key(32, 0x42);
constexpr std::int64_t start_wall = 1'700'000'000'000;

edge::agent_config test_config(const temp_dir& dir, std::uint64_t cap = 10'000) {
  edge::agent_config c;
  c.device_id = "dev-loop";
  c.controller_socket = dir.file("no-controller.sock");
  c.sample_interval = std::chrono::milliseconds(10);
  c.key_id = 7;
  c.key = device_key;
  c.outbox_path = dir.file("outbox.db");
  c.outbox_max_records = cap;
  c.max_batch_records = 4;
  c.max_unacked_records = 8;
  c.ack_timeout = std::chrono::milliseconds(1000);
  c.cli_socket = dir.file("agent.sock");
  return c;
}

hc::record fault(std::int64_t t) {
  return {0, 1, start_wall + t, t, 1, hc::fault_event{301, hc::severity::critical, true}};
}

hc::record sample(std::int64_t t) {
  hc::run_state s;
  s.floor = 1;
  s.door = hc::door_state::closed;
  s.mode = hc::car_mode::normal;
  return {0, 0, start_wall + t, t, 1, s};
}

// Puts records in the outbox before the agent opens it, as an earlier run would have.
void fill_outbox(const edge::agent_config& c, std::vector<hc::record> records) {
  auto box = edge::outbox::open({c.outbox_path, c.outbox_max_records});
  REQUIRE_OK(box);
  REQUIRE(box->append(records));
}

edge::outbox reopen(const edge::agent_config& c) {
  auto box = edge::outbox::open({c.outbox_path, c.outbox_max_records});
  REQUIRE_OK(box);
  return std::move(*box);
}

std::vector<std::uint8_t> signed_ack(std::uint64_t through, std::string device = "dev-loop") {
  return hc::wire::encode_ack(hc::wire::sign_ack(std::move(device), through, 7, device_key));
}

// An agent running on its own thread; stopped and joined when the test ends.
struct running_agent {
  std::shared_ptr<hc::manual_clock> clock = std::make_shared<hc::manual_clock>(start_wall, 0);
  std::shared_ptr<fake_broker> broker;
  edge::agent_config config;
  std::unique_ptr<edge::agent> agent;
  std::thread thread;
  int exit_code = -1;

  // `broker`: a fake broker the test set up before the agent starts (refusing publishes, say).
  explicit running_agent(edge::agent_config c,
                         std::shared_ptr<fake_broker> b = std::make_shared<fake_broker>())
      : broker(std::move(b)), config(std::move(c)) {
    auto made = edge::agent::create(config, clock, [b = broker](const hc::mqtt::options&) {
      return hc::result<std::unique_ptr<hc::mqtt::link>>(std::make_unique<fake_mqtt_link>(b));
    });
    REQUIRE_OK(made);
    agent = std::move(*made);
    thread = std::thread([this] { exit_code = agent->run(); });
  }
  running_agent(const running_agent&) = delete;
  running_agent& operator=(const running_agent&) = delete;
  ~running_agent() { stop(); }
  void stop() {
    if (!thread.joinable()) return;
    agent->stop();
    thread.join();
  }

  // Every batch published on the device's up topic, verified and decoded, in publish order.
  std::vector<hc::batch> batches() const {
    std::vector<hc::batch> out;
    for (const auto& m : broker->messages_on(hc::topics::up(config.device_id))) {
      auto envelope = hc::wire::open_envelope(m.payload);
      REQUIRE_OK(envelope);
      REQUIRE(hc::wire::verify_mac(*envelope, device_key));
      auto b = hc::wire::decode_payload(*envelope, clock->wall_ms());
      REQUIRE_OK(b);
      out.push_back(std::move(*b));
    }
    return out;
  }
  // How many batches began at `seq`.
  std::size_t sends_from(std::uint64_t seq) const {
    const auto all = batches();
    return static_cast<std::size_t>(std::ranges::count_if(
        all, [&](const hc::batch& b) { return b.records.front().seq == seq; }));
  }
  std::uint64_t highest_published() const {
    std::uint64_t high = 0;
    for (const auto& b : batches()) high = std::max(high, b.records.back().seq);
    return high;
  }
  bool wait(const std::function<bool()>& done) const { return broker->wait_for(done); }
  void ack(std::uint64_t through) {
    broker->deliver(hc::topics::ack(config.device_id), signed_ack(through));
  }

  // hoistctl status, over the agent's CLI socket.
  nlohmann::json status() const {
    // The socket is made once run() starts.
    std::optional<std::expected<edge::cli_client, edge::client_error>> connected;
    for (int i = 0; i < 2000; ++i) {
      connected.emplace(edge::cli_client::connect(config.cli_socket));
      if (connected->has_value()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    auto& client = *connected;
    REQUIRE_OK(client);
    REQUIRE(client->send_line(R"({"cmd":"status"})"));
    auto line = client->read_line(std::chrono::seconds(20));
    REQUIRE_OK(line);
    return nlohmann::json::parse(*line);
  }
};

std::vector<hc::record> faults(int n) {
  std::vector<hc::record> out;
  for (int i = 0; i < n; ++i) out.push_back(fault(i));
  return out;
}

}  // namespace

TEST_CASE(
    "agent loop: publishes the outbox in order within the window, an ack deletes and "
    "makes room") {
  temp_dir dir;
  auto config = test_config(dir);
  fill_outbox(config, faults(20));
  {
    running_agent a(config);
    REQUIRE(a.wait([&] { return a.highest_published() >= 8; }));
    // The window is 8 in flight: nothing past 8 until an ack.
    const auto first = a.batches();
    REQUIRE(first.size() == 2);
    CHECK(first[0].records.front().seq == 1);
    CHECK(first[0].records.size() == 4);
    CHECK(first[1].records.front().seq == 5);
    CHECK(first[0].device_id == "dev-loop");
    CHECK(first[0].covers_from == 1);
    // A signed birth on the state topic.
    CHECK(a.broker->messages_on(hc::topics::state(config.device_id)).size() == 1);

    a.ack(6);
    REQUIRE(a.wait([&] { return a.highest_published() >= 14; }));
    const auto status = a.status();
    CHECK(status["broker"]["acked_through"] == 6);
    CHECK(status["broker"]["connected"] == true);
    CHECK(status["acks_rejected"] == 0);
    CHECK(status["outbox"]["depth"] == 14);
    a.stop();
    CHECK(a.exit_code == 0);
    CHECK(a.broker->disconnected());
  }
  auto box = reopen(config);
  CHECK(box.acked_through() == 6);
  CHECK(box.depth() == 14);
}

TEST_CASE("agent loop: no ack within ack_timeout sends the unacknowledged records again") {
  temp_dir dir;
  auto config = test_config(dir);
  fill_outbox(config, faults(6));
  running_agent a(config);
  REQUIRE(a.wait([&] { return a.highest_published() >= 6; }));
  CHECK(a.sends_from(1) == 1);
  a.clock->advance(1001);  // the next tick sees no ack progress for longer than the timeout
  REQUIRE(a.wait([&] { return a.sends_from(1) == 2; }));
  // After an ack, the resend starts past it.
  a.ack(4);
  REQUIRE(a.wait([&] { return a.status()["broker"]["acked_through"] == 4; }));
  a.clock->advance(1001);
  REQUIRE(a.wait([&] { return a.sends_from(5) >= 3; }));
}

TEST_CASE("agent loop: a reconnect sends everything unacknowledged again, after a new birth") {
  temp_dir dir;
  auto config = test_config(dir);
  fill_outbox(config, faults(6));
  running_agent a(config);
  REQUIRE(a.wait([&] { return a.highest_published() >= 6; }));
  a.ack(2);
  REQUIRE(a.wait([&] { return a.status()["broker"]["acked_through"] == 2; }));
  a.broker->drop();
  REQUIRE(a.wait([&] { return a.status()["broker"]["connected"] == false; }));
  a.broker->connect_up();
  REQUIRE(a.wait([&] { return a.sends_from(3) == 1; }));
  CHECK(a.broker->messages_on(hc::topics::state(config.device_id)).size() == 2);
  const auto all = a.batches();
  CHECK(all.back().records.front().seq == 3);
  CHECK(all.back().records.back().seq == 6);
}

TEST_CASE("agent loop: refused acks delete nothing and are counted by reason") {
  temp_dir dir;
  auto config = test_config(dir);
  fill_outbox(config, faults(6));
  {
    running_agent a(config);
    REQUIRE(a.wait([&] { return a.highest_published() >= 6; }));
    const auto up = hc::topics::ack(config.device_id);
    auto unsigned_ack = hc::wire::sign_ack("dev-loop", 6, 7, device_key);
    unsigned_ack.mac.clear();
    a.broker->deliver(up, {0xde, 0xad});
    a.broker->deliver(up, signed_ack(6, "dev-other"));
    a.broker->deliver(up, hc::wire::encode_ack(unsigned_ack));
    a.broker->deliver(up, hc::wire::encode_ack(hc::wire::sign_ack("dev-loop", 6, 9, device_key)));
    a.broker->deliver(up, hc::wire::encode_ack(hc::wire::sign_ack(
                              "dev-loop", 6, 7, std::vector<std::uint8_t>(32, 1))));
    a.broker->deliver(up, signed_ack(7));  // 6 were sent
    // Acks on another device's topic are not this agent's business at all.
    a.broker->deliver(hc::topics::ack("dev-other"), signed_ack(6));
    nlohmann::json status;
    REQUIRE(a.wait([&] {
      status = a.status();
      return status["acks_rejected"] == 6;
    }));
    const auto& by = status["acks_rejected_by_reason"];
    CHECK(by["malformed"] == 1);
    CHECK(by["foreign"] == 1);
    CHECK(by["unsigned"] == 1);
    CHECK(by["unknown_key"] == 1);
    CHECK(by["bad_mac"] == 1);
    CHECK(by["beyond_sent"] == 1);
    CHECK(status["broker"]["acked_through"] == 0);
    CHECK(status["broker"]["last_ack_at"].is_null());
  }
  auto box = reopen(config);
  CHECK(box.acked_through() == 0);
  CHECK(box.depth() == 6);
}

TEST_CASE("agent loop: a batch after records the cap dropped reports the gap (covers_from)") {
  temp_dir dir;
  // A cap of 6: of 10 samples the oldest go, and the first batch starts past seq 1.
  auto config = test_config(dir, 6);
  std::vector<hc::record> samples;
  for (int i = 0; i < 10; ++i) samples.push_back(sample(i));
  fill_outbox(config, samples);
  running_agent a(config);
  REQUIRE(a.wait([&] { return !a.batches().empty(); }));
  const auto first = a.batches().front();
  REQUIRE(first.records.front().seq > 1);
  // Nothing held before it and nothing acknowledged: the cloud learns 1.. are gone.
  CHECK(first.covers_from == 1);
  CHECK(first.outbox_floor == first.records.front().seq);
}

TEST_CASE(
    "agent loop: after a restart the outbox's unacknowledged records go again, from its "
    "acked_through, under a new boot") {
  temp_dir dir;
  auto config = test_config(dir);
  fill_outbox(config, faults(10));
  std::uint32_t first_boot = 0;
  {
    running_agent a(config);
    REQUIRE(a.wait([&] { return a.highest_published() >= 8; }));
    a.ack(3);
    REQUIRE(a.wait([&] { return a.highest_published() >= 10; }));
    first_boot = a.batches().front().boot;
  }
  running_agent b(config);
  REQUIRE(b.wait([&] { return b.highest_published() >= 10; }));
  const auto again = b.batches();
  CHECK(again.front().records.front().seq == 4);
  CHECK(again.front().boot == first_boot + 1);
  CHECK(again.front().covers_from == 4);
  CHECK(b.status()["broker"]["acked_through"] == 3);
  // The cloud stored 4..10 from either boot: an ack through them is taken once they went again.
  b.ack(10);
  REQUIRE(b.wait([&] { return b.status()["broker"]["acked_through"] == 10; }));
}

TEST_CASE("agent loop: a publish the link refuses is counted and tried again on the next tick") {
  temp_dir dir;
  auto config = test_config(dir);
  fill_outbox(config, faults(3));
  auto broker = std::make_shared<fake_broker>();
  broker->fail_publish(true);  // before the agent connects, so that its first publish fails
  running_agent a(config, broker);
  nlohmann::json status;
  REQUIRE(a.wait([&] {
    status = a.status();
    return status["broker"]["publish_failures"] >= 1;
  }));
  CHECK(a.batches().empty());
  a.broker->fail_publish(false);
  REQUIRE(a.wait([&] { return a.highest_published() == 3; }));
}
