// Tests of the cloud's down-link command queue (commands.hpp) on a real SQLite store.
#include "hoistway/cloud/ingest/commands.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <vector>

#include "hoistway/cloud/server/server_config.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "temp_dir.hpp"

namespace {

namespace cloud = hoistway::cloud;
namespace commands = hoistway::cloud::commands;
namespace dl = hoistway::common::downlink;

constexpr std::int64_t t0 = 1'790'000'000'000;
const std::vector<std::uint8_t> key(32, 0x42);

struct fixture {
  hoistway::testing::temp_dir dir{"hoistway-commands"};
  cloud::store db = [this] {
    auto s = cloud::store::open(dir.file("cloud.db"));
    REQUIRE(s.has_value());
    REQUIRE(s->provision({"dev-1", 3, key, {}}).has_value());
    REQUIRE(s->provision({"dev-2", 1, key, {}}).has_value());
    REQUIRE(commands::migrate(s->db()).has_value());
    return std::move(*s);
  }();
  hoistway::common::sqlite::database& sql() { return db.db(); }
};

dl::command_result answer(const commands::row& c, bool ok) {
  dl::command_result r;
  r.id = c.id;
  r.device_id = c.device_id;
  r.ok = ok;
  r.reason = ok ? "" : "bad_argument";
  r.result_json = ok ? R"({"pong":true})" : "{}";
  r.at_ms = t0;
  return r;
}

}  // namespace

TEST_CASE("commands: a state's text is the store's and reads back") {
  using commands::command_state;
  for (auto s :
       {command_state::queued, command_state::sent, command_state::done, command_state::rejected,
        command_state::expired, command_state::undeliverable, command_state::unanswered}) {
    CHECK(commands::parse_state(commands::to_string(s)) == s);
  }
  CHECK(commands::to_string(command_state::undeliverable) == "undeliverable");
  CHECK_FALSE(commands::parse_state("Queued").has_value());
  CHECK_FALSE(commands::parse_state("").has_value());
  CHECK(commands::open(command_state::sent));
  CHECK_FALSE(commands::open(command_state::unanswered));
}

TEST_CASE("commands: queued, claimed once, answered") {
  fixture f;
  auto ping = commands::enqueue(f.sql(), "dev-1", dl::command_kind::ping, 0, t0);
  REQUIRE(ping.has_value());
  CHECK(ping->state == commands::command_state::queued);
  CHECK(ping->id.size() == 36);

  auto due = commands::claim_due(f.sql(), t0 + 100, 60'000, 300'000);
  REQUIRE(due.has_value());
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].id == ping->id);
  CHECK((*due)[0].state == commands::command_state::sent);
  // A second ingest polling at the same moment finds nothing left to send.
  CHECK(commands::claim_due(f.sql(), t0 + 100, 60'000, 300'000)->empty());

  // Another device's result for this id changes nothing; the right one is recorded once.
  auto stray = answer(*ping, true);
  stray.device_id = "dev-2";
  CHECK_FALSE(*commands::record_result(f.sql(), stray, t0 + 200));
  CHECK(*commands::record_result(f.sql(), answer(*ping, true), t0 + 200));
  CHECK_FALSE(*commands::record_result(f.sql(), answer(*ping, false), t0 + 300));
  const auto stored = commands::find(f.sql(), ping->id);
  REQUIRE(stored.has_value());
  REQUIRE(stored->has_value());
  CHECK((*stored)->state == commands::command_state::done);
  CHECK((*stored)->result_json == R"({"pong":true})");
  CHECK((*stored)->sent_ms == t0 + 100);
  CHECK((*stored)->answered_ms == t0 + 200);
}

TEST_CASE("commands: the signed message is one the agent accepts") {
  fixture f;
  auto rate = commands::enqueue(f.sql(), "dev-1", dl::command_kind::set_sampling_rate, 2.5, t0);
  REQUIRE(rate.has_value());
  const auto message = commands::message_for(*rate, t0 + 1000, 3, key);
  dl::verify_options o;
  o.device_id = "dev-1";
  o.key_id = 3;
  o.key = key;
  o.now_ms = t0 + 1500;
  const auto verified = dl::verify_command(message, o);
  REQUIRE_OK(verified);
  CHECK(verified->id == rate->id);
  CHECK(verified->kind == dl::command_kind::set_sampling_rate);
  CHECK(verified->sample_hz == 2.5);
  CHECK(verified->issued_at_ms == t0 + 1000);  // issued when sent, not when queued
}

TEST_CASE("commands: bad input is refused before anything is queued") {
  fixture f;
  CHECK(commands::enqueue(f.sql(), "nope", dl::command_kind::ping, 0, t0).error().code ==
        hoistway::common::errc::not_found);
  for (const double hz : {0.0, 0.4, 100.5, 1e9}) {
    CHECK(commands::enqueue(f.sql(), "dev-1", dl::command_kind::set_sampling_rate, hz, t0)
              .error()
              .code == hoistway::common::errc::invalid_argument);
  }
  CHECK(commands::recent(f.sql(), "dev-1", 10)->empty());
}

TEST_CASE("commands: unsent ones expire, unanswered ones are marked, late answers still count") {
  fixture f;
  auto old = commands::enqueue(f.sql(), "dev-1", dl::command_kind::ping, 0, t0);
  auto sent = commands::enqueue(f.sql(), "dev-2", dl::command_kind::request_snapshot, 0, t0);
  REQUIRE(old.has_value());
  REQUIRE(sent.has_value());
  // dev-2's command is sent at once; dev-1's waits (say, for a device reload) and is put back.
  auto due = commands::claim_due(f.sql(), t0, 60'000, 300'000);
  REQUIRE(due->size() == 2);
  REQUIRE(commands::unclaim(f.sql(), old->id).has_value());
  CHECK((*commands::find(f.sql(), old->id))->state == commands::command_state::queued);

  // A minute later nothing sent it: expired. Five minutes after sending, no answer: unanswered.
  CHECK(commands::claim_due(f.sql(), t0 + 60'001, 60'000, 300'000)->empty());
  CHECK((*commands::find(f.sql(), old->id))->state == commands::command_state::expired);
  CHECK((*commands::find(f.sql(), sent->id))->state == commands::command_state::sent);
  CHECK(commands::claim_due(f.sql(), t0 + 300'001, 60'000, 300'000)->empty());
  CHECK((*commands::find(f.sql(), sent->id))->state == commands::command_state::unanswered);
  // The agent's answer arrives after all: recorded.
  CHECK(*commands::record_result(f.sql(), answer(*sent, false), t0 + 300'500));
  const auto late = *commands::find(f.sql(), sent->id);
  CHECK(late->state == commands::command_state::rejected);
  CHECK(late->reason == "bad_argument");
  // An expired command never leaves, even if an answer with its id turns up.
  CHECK_FALSE(*commands::record_result(f.sql(), answer(*old, true), t0 + 300'600));

  REQUIRE(commands::mark_undeliverable(f.sql(), old->id, "disabled device", t0).has_value());
  const auto history = commands::recent(f.sql(), "dev-1", 10);
  REQUIRE(history->size() == 1);
  CHECK((*history)[0].state == commands::command_state::undeliverable);
}
