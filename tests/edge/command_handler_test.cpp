// Down-link commands on the agent (command_handler.hpp) with a real outbox and no broker: each
// command runs once and is answered with a signed result; every refusal is answered, counted by
// reason and runs nothing; a replay is refused across a restart (the ids live in the outbox).
#include "hoistway/edge/command_handler.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "hoistway/common/crypto.hpp"
#include "hoistway/common/downlink.hpp"
#include "hoistway/edge/outbox.hpp"
#include "require_ok.hpp"
#include "temp_dir.hpp"

namespace {

namespace hc = hoistway::common;
namespace edge = hoistway::edge;
namespace downlink = hc::downlink;
using nlohmann::json;

const std::vector<std::uint8_t> device_key(32, 0x5C);
const std::vector<std::uint8_t> stranger_key(32, 0x77);
constexpr std::int64_t now_ms = 1'700'000'000'000;

// A command as the cloud signs it.
std::vector<std::uint8_t> command(const std::string& id, downlink::command_kind kind,
                                  std::int64_t issued_ms = now_ms, double hz = 0,
                                  const std::vector<std::uint8_t>& key = device_key) {
  downlink::command c;
  c.id = id;
  c.device_id = "dev-cmd";
  c.issued_at_ms = issued_ms;
  c.kind = kind;
  c.sample_hz = hz;
  return downlink::sign(downlink::command_body(c), 3, key, hc::crypto::key_purpose::command);
}

// The agent's side the commands act on, counted.
struct agent_side {
  int snapshots = 0;
  std::optional<double> hz;
  edge::command_handler::effects effects() {
    return {[] { return std::uint64_t{42}; }, [this] { ++snapshots; },
            [this](double want) {
              hz = want;
              return want;
            }};
  }
};

struct fixture {
  hoistway::testing::temp_dir dir{"command-handler"};
  edge::outbox box = open_box();
  agent_side side;
  std::optional<edge::command_handler> handler;

  fixture() { restart(); }
  edge::outbox open_box() {
    auto b = edge::outbox::open({dir.file("outbox.db"), 1000});
    REQUIRE_OK(b);
    return std::move(*b);
  }
  // A new handler on the same outbox, as after an agent restart.
  void restart(std::int64_t at_ms = now_ms) {
    handler.emplace(edge::command_handler::identity{"dev-cmd", 3, device_key,
                                                    std::chrono::milliseconds(300'000), "boot-x"},
                    box, side.effects(), at_ms);
  }
  // Runs a message through the handler; the result as the cloud verifies it.
  downlink::command_result run(const std::vector<std::uint8_t>& message, std::int64_t at = now_ms) {
    const auto signed_result = handler->handle(message, at);
    auto r = downlink::verify_result(signed_result, {"dev-cmd", 3, device_key});
    REQUIRE_OK(r);
    return *r;
  }
  // Runs a message through the handler; the result's body as signed (also when it names no id,
  // which the cloud's verify_result refuses).
  json answer(const std::vector<std::uint8_t>& message, std::int64_t at = now_ms) {
    const auto signed_result = handler->handle(message, at);
    auto body = downlink::open_signed(signed_result, 3, device_key,
                                      hc::crypto::key_purpose::command_result);
    REQUIRE_OK(body);
    return json::parse(*body);
  }
  std::uint64_t rejected(downlink::reject_reason reason) const {
    return handler->rejected()[static_cast<std::size_t>(reason)];
  }
};

}  // namespace

TEST_CASE_FIXTURE(fixture, "commands: ping, snapshot and sampling rate run and are answered") {
  auto pong = run(command("c1", downlink::command_kind::ping));
  CHECK(pong.ok);
  CHECK(pong.id == "c1");
  const auto body = json::parse(pong.result_json);
  CHECK(body["pong"] == true);
  CHECK(body["boot_id"] == "boot-x");
  CHECK(body["outbox_depth"] == 42);

  auto snap = run(command("c2", downlink::command_kind::request_snapshot));
  CHECK(snap.ok);
  CHECK(side.snapshots == 1);

  auto rate = run(command("c3", downlink::command_kind::set_sampling_rate, now_ms, 2.5));
  CHECK(rate.ok);
  REQUIRE(side.hz.has_value());
  CHECK(*side.hz == doctest::Approx(2.5));
  CHECK(json::parse(rate.result_json)["sample_hz"] == doctest::Approx(2.5));
  CHECK(handler->accepted() == 3);
}

TEST_CASE_FIXTURE(fixture, "commands: a replay is refused, before and after a restart") {
  CHECK(run(command("once", downlink::command_kind::request_snapshot)).ok);
  auto again = run(command("once", downlink::command_kind::request_snapshot), now_ms + 1000);
  CHECK_FALSE(again.ok);
  CHECK(again.reason == "replayed");
  CHECK(rejected(downlink::reject_reason::replayed) == 1);

  restart(now_ms + 2000);
  auto after = run(command("once", downlink::command_kind::request_snapshot), now_ms + 3000);
  CHECK_FALSE(after.ok);
  CHECK(after.reason == "replayed");
  CHECK(side.snapshots == 1);  // ran once in all
  CHECK(run(command("fresh", downlink::command_kind::ping), now_ms + 3000).ok);
}

TEST_CASE_FIXTURE(fixture, "commands: refusals are answered, counted by reason and run nothing") {
  // The id is echoed only once the body is authenticated.
  const auto forged =
      answer(command("f1", downlink::command_kind::request_snapshot, now_ms, 0, stranger_key));
  CHECK(forged["ok"] == false);
  CHECK(forged["reason"] == "bad_mac");
  CHECK(forged["id"] == "");

  const auto old =
      answer(command("o1", downlink::command_kind::request_snapshot, now_ms - 400'000));
  CHECK(old["ok"] == false);
  CHECK(old["reason"] == "expired");

  const auto fast =
      answer(command("r1", downlink::command_kind::set_sampling_rate, now_ms, 1000.0));
  CHECK(fast["ok"] == false);
  CHECK(fast["reason"] == "bad_argument");

  const std::string junk = "not a command";
  const auto bad = answer(std::vector<std::uint8_t>(junk.begin(), junk.end()));
  CHECK(bad["reason"] == "bad_format");

  CHECK(side.snapshots == 0);
  CHECK_FALSE(side.hz.has_value());
  CHECK(handler->accepted() == 0);
  CHECK(rejected(downlink::reject_reason::bad_mac) == 1);
  CHECK(rejected(downlink::reject_reason::expired) == 1);
  CHECK(rejected(downlink::reject_reason::bad_argument) == 1);
  CHECK(rejected(downlink::reject_reason::bad_format) == 1);
  // A refused id was not remembered: the same id, valid now, runs.
  CHECK(run(command("o1", downlink::command_kind::request_snapshot)).ok);
  CHECK(side.snapshots == 1);
}
