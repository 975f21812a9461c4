// Tests of the technician CLI protocol parser (cli/protocol.hpp): every rejection reason.
#include "hoistway/edge/cli/protocol.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

namespace cli = hoistway::edge::cli;
namespace hc = hoistway::common;

cli::reject_reason reason_of(std::string_view line) {
  auto r = cli::parse_request(line);
  REQUIRE_FALSE(r.has_value());
  return r.error().reason;
}

}  // namespace

TEST_CASE("cli protocol: well-formed requests") {
  auto status = cli::parse_request(R"({"cmd":"status"})");
  REQUIRE(status.has_value());
  CHECK(status->cmd == cli::command::status);

  auto events =
      cli::parse_request(R"({"cmd":"events","since_ms":1700000000000,"limit":5,"follow":true})");
  REQUIRE(events.has_value());
  CHECK(events->cmd == cli::command::events);
  CHECK(events->since_ms == std::optional<std::int64_t>(1'700'000'000'000));
  CHECK(events->limit == 5);
  CHECK(events->follow);

  auto visit = cli::parse_request(R"({"cmd":"visit_start","technician":"T-42@acme"})");
  REQUIRE(visit.has_value());
  CHECK(visit->technician == "T-42@acme");
  CHECK(visit->car == 0);  // the first car unless named
  visit = cli::parse_request(R"({"cmd":"visit_start","technician":"T-42","car":3})");
  REQUIRE(visit.has_value());
  CHECK(visit->car == 3);

  auto item = cli::parse_request(
      R"({"cmd":"checklist","item":"brake test","result":"ng","note":"worn pads"})");
  REQUIRE(item.has_value());
  CHECK(item->item == "brake test");
  CHECK_FALSE(item->ok);
  CHECK(item->note == "worn pads");

  for (auto name : {"visit_end", "outbox", "flush", "config_show", "ping"}) {
    auto r = cli::parse_request(std::string(R"({"cmd":")") + name + "\"}");
    REQUIRE(r.has_value());
    CHECK(cli::to_string(r->cmd) == name);
  }
}

TEST_CASE("cli protocol: encode_request round-trips through parse_request") {
  cli::request r;
  r.cmd = cli::command::checklist;
  r.item = "doors";
  r.ok = true;
  r.note = "ok \"quoted\"";
  auto back = cli::parse_request(cli::encode_request(r));
  REQUIRE(back.has_value());
  CHECK(back->item == "doors");
  CHECK(back->note == r.note);
  r = {};
  r.cmd = cli::command::events;
  r.since_ms = 5;
  r.follow = true;
  back = cli::parse_request(cli::encode_request(r));
  REQUIRE(back.has_value());
  CHECK(back->since_ms == std::optional<std::int64_t>(5));
  CHECK(back->follow);
  r = {};
  r.cmd = cli::command::visit_start;
  r.technician = "T-42";
  r.car = 255;
  back = cli::parse_request(cli::encode_request(r));
  REQUIRE(back.has_value());
  CHECK(back->technician == "T-42");
  CHECK(back->car == 255);
}

TEST_CASE("cli protocol: each malformed request has its reason") {
  CHECK(reason_of(std::string(cli::max_request_bytes + 1, ' ')) == cli::reject_reason::too_long);
  CHECK(reason_of("status") == cli::reject_reason::bad_json);
  CHECK(reason_of("{\"cmd\":") == cli::reject_reason::bad_json);
  CHECK(reason_of("[1,2]") == cli::reject_reason::not_an_object);
  CHECK(reason_of(R"({"command":"status"})") == cli::reject_reason::not_an_object);
  CHECK(reason_of(R"({"cmd":7})") == cli::reject_reason::not_an_object);
  CHECK(reason_of(R"({"cmd":"reboot"})") == cli::reject_reason::unknown_command);
  CHECK(reason_of(R"({"cmd":"status","verbose":true})") == cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"events","since_ms":-1})") == cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"events","since_ms":"yesterday"})") ==
        cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"events","limit":0})") == cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"events","limit":100000})") == cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"events","follow":"yes"})") == cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"visit_start"})") == cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"visit_start","technician":""})") == cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"visit_start","technician":"a b"})") ==
        cli::reject_reason::bad_argument);
  for (auto car : {"256", "-1", "1.5", "\"1\"", "null"}) {
    CHECK(reason_of(std::string(R"({"cmd":"visit_start","technician":"T","car":)") + car + "}") ==
          cli::reject_reason::bad_argument);
  }
  CHECK(reason_of(R"({"cmd":"checklist","item":"x"})") == cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"checklist","item":"x","result":"maybe"})") ==
        cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"checklist","item":"","result":"ok"})") ==
        cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"checklist","item":"a\nb","result":"ok"})") ==
        cli::reject_reason::bad_argument);
  CHECK(reason_of(R"({"cmd":"checklist","item":"x","result":"ok","note":5})") ==
        cli::reject_reason::bad_argument);
  CHECK(reason_of("{\"cmd\":\"checklist\",\"item\":\"x\",\"result\":\"ok\",\"note\":\"" +
                  std::string(201, 'n') + "\"}") == cli::reject_reason::bad_argument);
}

TEST_CASE("cli protocol: a rejection line names its reason") {
  const auto line = cli::encode_rejection({cli::reject_reason::conflict, "no visit is open"});
  const auto j = nlohmann::json::parse(line);
  CHECK(j["ok"] == false);
  CHECK(j["reason"] == "conflict");
  CHECK(j["error"] == "no visit is open");
}

TEST_CASE("cli protocol: records as JSON") {
  hc::record rec{42, 1, 1'700'000'000'000,
                 5,  3, hc::fault_event{301, hc::severity::critical, true}};
  const auto j = cli::to_json(rec);
  CHECK(j["seq"] == 42);
  CHECK(j["car"] == 1);
  CHECK(j["kind"] == "fault");
  CHECK(j["time"] == "2023-11-14T22:13:20.000Z");
  CHECK(j["body"]["code"] == 301);
  CHECK(j["body"]["severity"] == "critical");
}
