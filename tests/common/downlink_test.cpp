// Tests of down-link command verification (command.hpp): the accepted forms and every rejection.
#include "hoistway/common/downlink.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "hoistway/common/crypto.hpp"

namespace {

namespace dl = hoistway::common::downlink;
using nlohmann::json;

const std::vector<std::uint8_t> key(32, 0x5a);
constexpr auto command_key = hoistway::common::crypto::key_purpose::command;
constexpr auto result_key = hoistway::common::crypto::key_purpose::command_result;
constexpr std::int64_t now = 1'700'000'000'000;

dl::verify_options opts() {
  dl::verify_options o;
  o.device_id = "dev-1";
  o.key_id = 1;
  o.key = key;
  o.now_ms = now;
  o.max_age_ms = 300'000;
  return o;
}

std::vector<std::uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::string body(const std::string& command, json args = json::object(),
                 std::string device = "dev-1", std::int64_t issued = now, std::string id = "c-1") {
  return json{{"id", id},
              {"device_id", device},
              {"issued_at_ms", issued},
              {"command", command},
              {"args", args}}
      .dump();
}

dl::reject_reason reason_of(const std::vector<std::uint8_t>& message) {
  auto r = dl::verify_command(message, opts());
  REQUIRE_FALSE(r.has_value());
  return r.error().reason;
}

}  // namespace

TEST_CASE("commands: ping, snapshot and sampling rate verify") {
  auto ping = dl::verify_command(dl::sign(body("ping"), 1, key, command_key), opts());
  REQUIRE(ping.has_value());
  CHECK(ping->kind == dl::command_kind::ping);
  CHECK(ping->id == "c-1");
  auto snap = dl::verify_command(dl::sign(body("request_snapshot"), 1, key, command_key), opts());
  REQUIRE(snap.has_value());
  CHECK(snap->kind == dl::command_kind::request_snapshot);
  auto rate = dl::verify_command(
      dl::sign(body("set_sampling_rate", {{"hz", 2.5}}), 1, key, command_key), opts());
  REQUIRE(rate.has_value());
  CHECK(rate->kind == dl::command_kind::set_sampling_rate);
  CHECK(rate->sample_hz == doctest::Approx(2.5));
  // command_body builds the same thing.
  dl::command c{"c-9", "dev-1", now, dl::command_kind::set_sampling_rate, 4};
  auto again = dl::verify_command(dl::sign(dl::command_body(c), 1, key, command_key), opts());
  REQUIRE(again.has_value());
  CHECK(again->sample_hz == doctest::Approx(4));
}

TEST_CASE("commands: each rejection has its reason, checked in order") {
  CHECK(reason_of(std::vector<std::uint8_t>(dl::max_message_bytes + 1, ' ')) ==
        dl::reject_reason::oversized);
  CHECK(reason_of(bytes("not json")) == dl::reject_reason::bad_format);
  CHECK(reason_of(bytes("[1]")) == dl::reject_reason::bad_format);
  CHECK(reason_of(bytes(R"({"key_id":1,"body":"{}","mac":"00"})")) ==
        dl::reject_reason::bad_format);
  CHECK(reason_of(bytes(R"({"v":3,"key_id":1,"body":"{}","mac":"00"})")) ==
        dl::reject_reason::unsupported_version);
  // Version 1 signed commands and results with the device key itself: refused, however signed.
  {
    auto v1 = json::parse(dl::sign(body("ping"), 1, key, command_key));
    v1["v"] = 1;
    v1["mac"] = hoistway::common::crypto::to_hex(hoistway::common::crypto::hmac_sha256(
        key, hoistway::common::crypto::as_bytes(v1["body"].get<std::string>())));
    CHECK(reason_of(bytes(v1.dump())) == dl::reject_reason::unsupported_version);
  }
  // Domain separation: a result the agent signed never passes as a command, even with a body
  // that reads as one.
  CHECK(reason_of(dl::sign(body("ping"), 1, key, result_key)) == dl::reject_reason::bad_mac);
  CHECK(
      reason_of(dl::sign(body("ping"), 1, key, hoistway::common::crypto::key_purpose::presence)) ==
      dl::reject_reason::bad_mac);
  CHECK(reason_of(bytes(R"({"v":2,"key_id":1,"body":5,"mac":"00"})")) ==
        dl::reject_reason::bad_format);
  CHECK(reason_of(dl::sign(body("ping"), 2, key, command_key)) == dl::reject_reason::unknown_key);
  const std::vector<std::uint8_t> other(32, 0x11);
  CHECK(reason_of(dl::sign(body("ping"), 1, other, command_key)) == dl::reject_reason::bad_mac);
  // A body changed after signing.
  auto signed_msg = json::parse(dl::sign(body("ping"), 1, key, command_key));
  signed_msg["body"] = body("request_snapshot");
  CHECK(reason_of(bytes(signed_msg.dump())) == dl::reject_reason::bad_mac);
  signed_msg["mac"] = "zz";
  CHECK(reason_of(bytes(signed_msg.dump())) == dl::reject_reason::bad_mac);
  // Authenticated but malformed or meaningless bodies.
  CHECK(reason_of(dl::sign("not json", 1, key, command_key)) == dl::reject_reason::bad_body);
  CHECK(reason_of(dl::sign(R"({"id":"x"})", 1, key, command_key)) == dl::reject_reason::bad_body);
  CHECK(reason_of(dl::sign(body("ping", json::object(), "dev-1", now, ""), 1, key, command_key)) ==
        dl::reject_reason::bad_body);
  CHECK(reason_of(dl::sign(body("ping", json::object(), "dev-2"), 1, key, command_key)) ==
        dl::reject_reason::wrong_device);
  CHECK(reason_of(dl::sign(body("ping", json::object(), "dev-1", now - 301'000), 1, key,
                           command_key)) == dl::reject_reason::expired);
  CHECK(reason_of(dl::sign(body("ping", json::object(), "dev-1", now + 301'000), 1, key,
                           command_key)) == dl::reject_reason::expired);
  CHECK(reason_of(dl::sign(body("reboot"), 1, key, command_key)) ==
        dl::reject_reason::unknown_command);
  CHECK(reason_of(dl::sign(body("set_sampling_rate"), 1, key, command_key)) ==
        dl::reject_reason::bad_argument);
  CHECK(reason_of(dl::sign(body("set_sampling_rate", {{"hz", 1000}}), 1, key, command_key)) ==
        dl::reject_reason::bad_argument);
  CHECK(reason_of(dl::sign(body("set_sampling_rate", {{"hz", "fast"}}), 1, key, command_key)) ==
        dl::reject_reason::bad_argument);
  CHECK(reason_of(dl::sign(body("ping", {{"x", 1}}), 1, key, command_key)) ==
        dl::reject_reason::bad_argument);
}

TEST_CASE("commands: the id is reported once authenticated, never before") {
  auto r = dl::verify_command(
      dl::sign(body("reboot", json::object(), "dev-1", now, "c-7"), 1, key, command_key), opts());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().id == "c-7");
  const std::vector<std::uint8_t> other(32, 0x11);
  r = dl::verify_command(
      dl::sign(body("ping", json::object(), "dev-1", now, "c-8"), 1, other, command_key), opts());
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().id.empty());
}

TEST_CASE("commands: the replay guard accepts an id once within the window") {
  dl::replay_guard guard(3);
  CHECK(guard.accept("a", now, 1000));
  CHECK_FALSE(guard.accept("a", now + 10, 1000));
  CHECK(guard.accept("b", now + 10, 1000));
  CHECK(guard.accept("a", now + 2001, 1000));  // forgotten after twice the window
}

TEST_CASE("commands: a guard restored from the ids accepted before refuses their replay") {
  dl::replay_guard guard(3);
  guard.restore("a", now - 10);
  guard.restore("b", now - 5);
  CHECK_FALSE(guard.accept("a", now, 1000));
  CHECK_FALSE(guard.accept("b", now, 1000));
  CHECK(guard.accept("c", now, 1000));
  // Bounded: restoring past the capacity forgets the oldest.
  guard.restore("d", now);
  CHECK(guard.accept("a", now + 1, 1000));
}

TEST_CASE("commands: results are signed and carry the reason") {
  const auto text = dl::result_body(
      "c-1", "dev-1", now, dl::rejection{dl::reject_reason::expired, "too old", "c-1"}, "");
  const auto message = json::parse(dl::sign(text, 1, key, result_key));
  // Signed with the results' own key, derived from the device key: never the device key itself.
  const auto mac = hoistway::common::crypto::hmac_sha256(
      hoistway::common::crypto::purpose_key(key, result_key),
      hoistway::common::crypto::as_bytes(message["body"].get<std::string>()));
  CHECK(message["v"] == 2);
  CHECK(message["mac"] == hoistway::common::crypto::to_hex(mac));
  const auto b = json::parse(message["body"].get<std::string>());
  CHECK(b["ok"] == false);
  CHECK(b["reason"] == "expired");
  const auto ok =
      json::parse(dl::result_body("c-2", "dev-1", now, std::nullopt, R"({"pong":true})"));
  CHECK(ok["ok"] == true);
  CHECK(ok["result"]["pong"] == true);
}

TEST_CASE("command results: the cloud verifies what the agent signed") {
  dl::result_verify_options o;
  o.device_id = "dev-1";
  o.key_id = 1;
  o.key = key;
  const auto accepted = dl::sign(
      dl::result_body("c-7", "dev-1", now, std::nullopt, R"({"pong":true})"), 1, key, result_key);
  auto r = dl::verify_result(accepted, o);
  REQUIRE_OK(r);
  CHECK(r->id == "c-7");
  CHECK(r->ok);
  CHECK(r->at_ms == now);
  CHECK(json::parse(r->result_json) == json{{"pong", true}});

  const auto refused = dl::sign(
      dl::result_body("c-8", "dev-1", now,
                      dl::rejection{dl::reject_reason::bad_argument, "hz must be from 0.5", "c-8"},
                      "{}"),
      1, key, result_key);
  r = dl::verify_result(refused, o);
  REQUIRE(r.has_value());
  CHECK_FALSE(r->ok);
  CHECK(r->reason == "bad_argument");
  CHECK(r->detail == "hz must be from 0.5");

  // Another device's result on this device's topic, a wrong key, a forged MAC, a bad body.
  const auto other =
      dl::sign(dl::result_body("c-9", "dev-2", now, std::nullopt, "{}"), 1, key, result_key);
  CHECK(dl::verify_result(other, o).error().reason == dl::reject_reason::wrong_device);
  const std::vector<std::uint8_t> other_key(32, 0x11);
  CHECK(dl::verify_result(dl::sign(dl::result_body("c-9", "dev-1", now, std::nullopt, "{}"), 1,
                                   other_key, result_key),
                          o)
            .error()
            .reason == dl::reject_reason::bad_mac);
  CHECK(
      dl::verify_result(
          dl::sign(dl::result_body("c-9", "dev-1", now, std::nullopt, "{}"), 2, key, result_key), o)
          .error()
          .reason == dl::reject_reason::unknown_key);
  CHECK(dl::verify_result(dl::sign(R"({"id":"c-1","ok":"yes"})", 1, key, result_key), o)
            .error()
            .reason == dl::reject_reason::bad_body);
  CHECK(dl::verify_result(bytes("{}"), o).error().reason == dl::reject_reason::bad_format);
  CHECK(dl::verify_result(std::vector<std::uint8_t>(dl::max_message_bytes + 1, '{'), o)
            .error()
            .reason == dl::reject_reason::oversized);
}
