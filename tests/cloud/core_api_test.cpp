// Tests of the portal API (api.hpp) over a real store: tenancy (401/403/404), parameter
// validation, alert acknowledgement, the OpenAPI description held against the route table,
// /metrics and who may read it, the push stream (its caps, and how it re-checks the key and the
// contracts), and the lanes routes wait in.
#include "hoistway/cloud/portal/api.hpp"

#include <doctest/doctest.h>

#include <unistd.h>
#include "require_ok.hpp"
#include "temp_dir.hpp"
#include "tenancy.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/ingest/projector.hpp"
#include "hoistway/cloud/live/event_bus.hpp"
#include "hoistway/cloud/live/live_view.hpp"
#include "hoistway/cloud/portal/queries.hpp"
#include "hoistway/cloud/registry/directory.hpp"
#include "hoistway/cloud/registry/registry.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/time.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace common = hoistway::common;
namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t minute = 60'000;
constexpr std::int64_t hour = 60 * minute;

const std::int64_t t0 = common::parse_rfc3339("2026-11-25T00:00:00Z").value();

using hoistway::testing::temp_dir;

// The repository root (set by tests/CMakeLists.txt).
fs::path source_root() { return fs::path(HOISTWAY_SOURCE_DIR); }

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (auto pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// Customers A and B. A has a monitored unit uA1 and an unmonitored uA2; B has a monitored uB1.
// Each unit has a technician visit; uA1 and uB1 have an open entrapment alert, uA1 also a
// cleared fault alert.
struct fixture {
  temp_dir dir;
  std::string path = dir.file("cloud.db");
  std::shared_ptr<common::manual_clock> clock =
      std::make_shared<common::manual_clock>(t0 + 2 * hour);
  hc::api_key_secret key_a, key_b, key_a_revoked;
  std::int64_t alert_a = 0, alert_a_cleared = 0, alert_b = 0;
  std::shared_ptr<hc::live_view> view = std::make_shared<hc::live_view>(std::chrono::seconds(30));
  std::shared_ptr<hc::event_bus> bus;
  std::shared_ptr<hc::queries> db;
  std::shared_ptr<hc::directory> directory;
  hc::ingest_counters ingest_counters;
  bool with_ingest = true;
  bool broker_up = true;
  hc::http_server_stats http_stats;
  std::string openapi_text = read_text(source_root() / "cloud" / "openapi.yaml");
  std::optional<hc::api> api;
  std::string remote = "192.0.2.1";  // the peer address requests come from
  std::size_t max_streams = 256;
  std::size_t max_streams_per_key = 8;
  bool metrics_on_main = true;
  std::string metrics_token;
  std::vector<std::function<std::string()>> metrics_sections;
  std::vector<std::string> slow_prefixes;

  explicit fixture(std::size_t bus_capacity = 64) {
    bus = std::make_shared<hc::event_bus>(bus_capacity, 1000);
    setup_registry();
    setup_records();
    view->add_unit("uA1", "dA", 0);
    view->add_unit("uA2", "dA", 1);
    view->add_unit("uB1", "dB", 0);
    common::run_state s;
    s.in_service = true;
    s.mode = common::car_mode::normal;
    s.floor = 4;
    view->apply("uA1", s, clock->wall_ms() - 1000);
    view->apply("uA2", s, clock->wall_ms() - 1000);
    view->apply("uB1", s, clock->wall_ms() - 1000);
    view->device_seen("dA", clock->wall_ms() - 1000);
    view->device_seen("dB", clock->wall_ms() - 1000);
    auto q = hc::queries::open(path, clock);
    REQUIRE_OK(q);
    db = *q;
    auto d = hc::directory::open(path, clock);
    REQUIRE_OK(d);
    directory = *d;
    build();
  }

  void build(std::string_view openapi = {}) {
    hc::api_context ctx;
    ctx.view = view;
    ctx.clock = clock;
    ctx.dir = directory;
    ctx.db = db;
    ctx.bus = bus;
    ctx.ingest = [this]() -> const hc::ingest_counters* {
      return with_ingest ? &ingest_counters : nullptr;
    };
    ctx.broker_connected = [this] { return broker_up; };
    ctx.http = &http_stats;
    ctx.openapi_yaml = openapi.empty() ? std::string_view(openapi_text) : openapi;
    ctx.max_streams = max_streams;
    ctx.max_streams_per_key = max_streams_per_key;
    ctx.metrics_on_main = metrics_on_main;
    ctx.metrics_token = metrics_token;
    ctx.slow_prefixes = slow_prefixes;
    ctx.metrics_sections = metrics_sections;
    api.emplace(std::move(ctx));
  }

  void setup_registry() {
    hoistway::testing::tenancy t(path, clock);
    hoistway::testing::two_customers(t, t0 - 24 * hour);
    key_a = t.key("A", "a");
    key_b = t.key("B", "b");
    key_a_revoked = t.key("A", "old");
    REQUIRE(t.registry().revoke_api_key(key_a_revoked.key_id));
  }

  void setup_records() {
    auto st = hc::store::open(path);
    REQUIRE(st);
    auto proj = hc::projector::create(st->db());
    REQUIRE(proj);
    auto tx = st->begin();
    REQUIRE(tx);
    std::vector<hc::pushed> out;
    std::map<std::string, std::uint64_t> seqs;
    auto add = [&](const std::string& device, const std::string& unit, std::int64_t wall,
                   common::record_body body) {
      const common::record rec{
          ++seqs[device], static_cast<std::uint8_t>(unit == "uA2" ? 1 : 0), wall, wall, 1,
          std::move(body)};
      REQUIRE(proj->apply(device, unit, rec, out));
    };
    for (const auto& [device, unit] : std::vector<std::pair<std::string, std::string>>{
             {"dA", "uA1"}, {"dA", "uA2"}, {"dB", "uB1"}}) {
      const std::string visit = "V-" + unit;
      add(device, unit, t0 + minute, common::technician_visit{true, visit, "Tech"});
      add(device, unit, t0 + 2 * minute, common::trip{0, 3, 0, 0, 5000, 2000, 9000});
      add(device, unit, t0 + 3 * minute, common::checklist_item{visit, "brakes", true, ""});
      add(device, unit, t0 + 4 * minute, common::technician_visit{false, visit, "Tech"});
    }
    add("dA", "uA1", t0 + 5 * minute, common::fault_event{42, common::severity::minor, true});
    add("dA", "uA1", t0 + 6 * minute, common::fault_event{42, common::severity::minor, false});
    add("dA", "uA1", t0 + 7 * minute, common::entrapment{true, 1, 0, 80, true});
    add("dB", "uB1", t0 + 7 * minute, common::entrapment{true, 2, 0, 90, true});
    REQUIRE(tx->commit());
    for (const auto& p : out) {
      if (p.type != hc::push_type::alert) continue;
      const auto id = p.data["alert_id"].get<std::int64_t>();
      if (p.unit_id == "uB1") alert_b = id;
      if (p.unit_id == "uA1" && p.data["kind"] == "entrapment") alert_a = id;
      if (p.unit_id == "uA1" && p.data["kind"] == "fault") alert_a_cleared = id;
    }
    REQUIRE(alert_a != 0);
    REQUIRE(alert_b != 0);
    REQUIRE(alert_a_cleared != 0);
  }

  hc::http_response call(const std::string& method, const std::string& path_,
                         const std::map<std::string, std::string>& query = {},
                         const std::string& token = {},
                         const std::map<std::string, std::string>& headers = {}) {
    hc::http_request r;
    r.method = method;
    r.path = path_;
    r.target = path_;
    r.query = query;
    r.headers = headers;
    if (!token.empty()) r.headers["authorization"] = "Bearer " + token;
    r.remote_address = remote;
    return api->handle(r);
  }
  hc::http_response get(const std::string& path_, const std::string& token,
                        const std::map<std::string, std::string>& query = {}) {
    return call("GET", path_, query, token);
  }
};

json body_of(const hc::http_response& r) {
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), r.body);
  return j;
}

void check_problem(const hc::http_response& r, unsigned status) {
  CHECK(r.status == status);
  CHECK(r.content_type == "application/problem+json");
  const auto j = body_of(r);
  CHECK(j["status"] == status);
  CHECK(j["type"] == "about:blank");
  CHECK(j["title"].is_string());
}

// A 405 is a problem that names, in its Allow header, the methods the route takes.
void check_not_allowed(const hc::http_response& r, std::string_view allow) {
  check_problem(r, 405);
  const auto it = std::ranges::find_if(r.headers, [](const auto& h) { return h.first == "Allow"; });
  REQUIRE(it != r.headers.end());
  CHECK(it->second == allow);
}

std::string with_ids(std::string_view route, const std::string& unit, const std::string& visit) {
  return replace_all(replace_all(std::string(route), "{unit_id}", unit), "{visit_id}", visit);
}

std::vector<hc::route_spec> unit_routes() {
  std::vector<hc::route_spec> out;
  for (const auto& r : hc::api::routes()) {
    if (r.path.find("{unit_id}") != std::string_view::npos) out.push_back(r);
  }
  return out;
}

// The operations under `paths:` of an OpenAPI file: (METHOD, path).
std::set<std::pair<std::string, std::string>> openapi_operations(const std::string& yaml) {
  static const std::regex path_line(R"(^  (/[^:\s]*):\s*$)");
  static const std::regex method_line(R"(^    (get|put|post|delete|patch|head|options):.*$)");
  std::set<std::pair<std::string, std::string>> out;
  bool in_paths = false;
  std::string current;
  for (const auto& line : lines_of(yaml)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ' && line[0] != '#') break;  // the next top-level key
    std::smatch m;
    if (std::regex_match(line, m, path_line)) {
      current = m[1].str();
    } else if (std::regex_match(line, m, method_line)) {
      REQUIRE_MESSAGE(!current.empty(), line);
      std::string method = m[1].str();
      for (auto& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.emplace(method, current);
    }
  }
  return out;
}

struct sse_event {
  std::uint64_t id = 0;
  std::string event;
  std::string data;
};
// Splits what a stream sent into events (blocks with an id); the rest is kept in `other`.
std::vector<sse_event> parse_sse(const std::string& text,
                                 std::vector<std::string>* other = nullptr) {
  std::vector<sse_event> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find("\n\n", pos);
    REQUIRE_MESSAGE(end != std::string::npos, "an SSE block must end with a blank line: " << text);
    const auto block = text.substr(pos, end - pos);
    pos = end + 2;
    sse_event e;
    bool has_id = false;
    for (const auto& line : lines_of(block)) {
      if (line.rfind("id: ", 0) == 0) {
        e.id = std::stoull(line.substr(4));
        has_id = true;
      } else if (line.rfind("event: ", 0) == 0) {
        e.event = line.substr(7);
      } else if (line.rfind("data: ", 0) == 0) {
        e.data = line.substr(6);
      }
    }
    if (has_id) {
      out.push_back(e);
    } else if (other != nullptr) {
      other->push_back(block);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("api: /api/v1 without a valid key is 401 with WWW-Authenticate") {
  fixture f;
  auto check_401 = [](const hc::http_response& r) {
    check_problem(r, 401);
    bool challenge = false;
    for (const auto& [name, value] : r.headers) {
      if (name == "WWW-Authenticate" && value.rfind("Bearer", 0) == 0) challenge = true;
    }
    CHECK(challenge);
  };
  for (const auto& route : hc::api::routes()) {
    if (!route.path.starts_with("/api/v1/")) continue;
    const auto p =
        with_ids(replace_all(std::string(route.path), "{alert_id}", std::to_string(f.alert_a)),
                 "uA1", "V-uA1");
    CAPTURE(p);
    check_401(f.call(std::string(route.method), p));                             // no key
    check_401(f.call(std::string(route.method), p, {}, "hwk_garbage"));          // malformed
    check_401(f.call(std::string(route.method), p, {}, f.key_a_revoked.token));  // revoked
    std::string wrong = f.key_a.token;
    wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
    check_401(f.call(std::string(route.method), p, {}, wrong));  // wrong secret
    check_401(f.call(std::string(route.method), p, {}, {}, {{"authorization", "Basic YTpi"}}));
  }
  check_401(f.call("GET", "/api/v1/nothing-here"));  // authentication comes before routing
  CHECK(body_of(f.call("GET", "/api/v1/units"))["detail"].get<std::string>().find("API key") !=
        std::string::npos);
  // Both ways of sending a good key work.
  CHECK(f.get("/api/v1/units", f.key_a.token).status == 200);
  CHECK(f.call("GET", "/api/v1/units", {}, {}, {{"x-api-key", f.key_a.token}}).status == 200);
  // The operational routes need no API key (/metrics has its own rule: a local peer here).
  CHECK(f.call("GET", "/healthz").status == 200);
  f.remote = "127.0.0.1";
  CHECK(f.call("GET", "/metrics").status == 200);
  CHECK(f.call("GET", "/openapi.yaml").status == 200);
  CHECK(f.api->counters().unauthenticated.load() >= 5);
}

TEST_CASE("api: a key of customer A gets 404 for every unit route of customer B's unit") {
  fixture f;
  const auto routes = unit_routes();
  REQUIRE(routes.size() >= 6);
  for (const auto& route : routes) {
    CAPTURE(route.path);
    const auto theirs = with_ids(route.path, "uB1", "V-uB1");
    // Positive control: B itself may read it.
    CHECK(f.call(std::string(route.method), theirs, {}, f.key_b.token).status == 200);

    const auto as_a = f.call(std::string(route.method), theirs, {}, f.key_a.token);
    check_problem(as_a, 404);
    const auto missing = f.call(std::string(route.method),
                                with_ids(route.path, "no-such-unit", "V-uB1"), {}, f.key_a.token);
    check_problem(missing, 404);
    // The same answer as for a unit that does not exist, id aside.
    CHECK(replace_all(as_a.body, "uB1", "X") == replace_all(missing.body, "no-such-unit", "X"));
    CHECK(as_a.headers == missing.headers);
    CHECK(as_a.body.find("Beta") == std::string::npos);

    // Neither bad parameters nor another method reveal that the unit exists.
    const auto bad = f.call(std::string(route.method), theirs,
                            {{"from", "garbage"}, {"limit", "0"}, {"bucket", "x"}}, f.key_a.token);
    CHECK(bad.status == 404);
    CHECK(f.call("POST", theirs, {}, f.key_a.token).status == 404);
    CHECK(f.call("DELETE", theirs, {}, f.key_a.token).status == 404);
  }
  // B's visit through A's own unit is not found either.
  CHECK(f.get("/api/v1/units/uA1/visits/V-uB1/report", f.key_a.token).status == 404);
  // A's unit list and alert list show nothing of B's.
  const auto units = body_of(f.get("/api/v1/units", f.key_a.token));
  REQUIRE(units["units"].size() == 2);
  for (const auto& u : units["units"]) CHECK(u["unit_id"] != "uB1");
  const auto alerts = body_of(f.get("/api/v1/alerts", f.key_a.token));
  REQUIRE(alerts["alerts"].size() == 2);
  for (const auto& a : alerts["alerts"]) CHECK(a["unit_id"] == "uA1");
  const auto alerts_b = body_of(f.get("/api/v1/alerts", f.key_b.token));
  REQUIRE(alerts_b["alerts"].size() == 1);
  CHECK(alerts_b["alerts"][0]["unit_id"] == "uB1");
}

TEST_CASE("api: an unmonitored unit has no real-time data but has its visits") {
  fixture f;
  for (const std::string rest : {"status", "events", "usage", "availability"}) {
    CAPTURE(rest);
    check_problem(f.get("/api/v1/units/uA2/" + rest, f.key_a.token), 403);
    CHECK(f.get("/api/v1/units/uA1/" + rest, f.key_a.token).status == 200);
  }
  const auto visits = f.get("/api/v1/units/uA2/visits", f.key_a.token);
  REQUIRE(visits.status == 200);
  const auto v = body_of(visits);
  REQUIRE(v["visits"].size() == 1);
  CHECK(v["visits"][0]["visit_id"] == "V-uA2");
  const auto report = f.get("/api/v1/units/uA2/visits/V-uA2/report", f.key_a.token);
  CHECK(report.status == 200);
  CHECK(body_of(report)["checklist"].size() == 1);
  const auto html =
      f.get("/api/v1/units/uA2/visits/V-uA2/report", f.key_a.token, {{"format", "html"}});
  CHECK(html.status == 200);
  CHECK(html.content_type.rfind("text/html", 0) == 0);

  // Listed, without real-time fields.
  const auto units = body_of(f.get("/api/v1/units", f.key_a.token));
  bool seen = false;
  for (const auto& u : units["units"]) {
    if (u["unit_id"] != "uA2") {
      CHECK(u["monitored"] == true);
      CHECK(u["in_service"] == true);
      CHECK(u["online"] == true);
      continue;
    }
    seen = true;
    CHECK(u["monitored"] == false);
    CHECK(u["in_service"].is_null());
    CHECK(u["floor"].is_null());
    CHECK(u["online"] == false);
    CHECK(u["last_seen_at"].is_null());
  }
  CHECK(seen);
  // Its alerts are not shown, and cannot be acknowledged.
  const auto alerts = body_of(f.get("/api/v1/alerts", f.key_a.token));
  for (const auto& a : alerts["alerts"]) CHECK(a["unit_id"] != "uA2");
}

TEST_CASE("api: invalid parameters are 400") {
  fixture f;
  const std::string events = "/api/v1/units/uA1/events";
  const std::string usage = "/api/v1/units/uA1/usage";
  const std::string availability = "/api/v1/units/uA1/availability";
  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> bad = {
      {events, {{"from", "yesterday"}}},
      {events, {{"to", "2026-13-01T00:00:00Z"}}},
      {events, {{"from", "2026-11-25T10:00:00Z"}, {"to", "2026-11-25T09:00:00Z"}}},
      {events, {{"from", "2026-11-25T10:00:00Z"}, {"to", "2026-11-25T10:00:00Z"}}},
      {events, {{"from", "2025-10-20T00:00:00Z"}, {"to", "2026-11-25T00:00:00Z"}}},  // 401 days
      {events, {{"limit", "0"}}},
      {events, {{"limit", "1001"}}},
      {events, {{"limit", "abc"}}},
      {events, {{"limit", "-1"}}},
      {events, {{"limit", "10x"}}},
      {events, {{"limit", "1e3"}}},
      {events, {{"type", "bogus"}}},
      {events, {{"type", "run_state"}}},
      {events, {{"type", "TRIP"}}},
      {events, {{"cursor", "abc"}}},
      {events, {{"cursor", "1.x"}}},
      {usage, {{"bucket", "week"}}},
      {usage, {{"bucket", "HOUR"}}},
      {usage, {{"utc_offset", "+9"}}},
      {usage, {{"utc_offset", "09:00"}}},
      {usage, {{"utc_offset", "+0900"}}},
      {usage, {{"utc_offset", "+15:00"}}},
      {usage, {{"utc_offset", "+09:60"}}},
      {usage, {{"utc_offset", "+09:00:00"}}},
      {usage, {{"utc_offset", "UTC"}}},
      {usage, {{"from", "garbage"}}},
      {availability, {{"to", "garbage"}}},
      {availability, {{"from", "2026-11-25T10:00:00Z"}, {"to", "2026-11-25T09:59:59Z"}}},
      {"/api/v1/alerts", {{"state", "closed"}}},
      {"/api/v1/alerts", {{"limit", "0"}}},
      {"/api/v1/alerts", {{"limit", "1001"}}},
  };
  const auto before = f.api->counters().bad_requests.load();
  for (const auto& [p, query] : bad) {
    CAPTURE(p);
    CAPTURE(json(query).dump());
    const auto r = f.get(p, f.key_a.token, query);
    check_problem(r, 400);
    CHECK(body_of(r)["title"] == "Bad Request");
    CHECK(body_of(r).contains("detail"));
  }
  CHECK(f.api->counters().bad_requests.load() == before + bad.size());

  const std::vector<std::pair<std::string, std::map<std::string, std::string>>> good = {
      {events, {}},
      {events, {{"from", "2025-10-21T00:00:00Z"}, {"to", "2026-11-25T00:00:00Z"}}},  // 400 days
      {events, {{"limit", "1"}}},
      {events, {{"limit", "1000"}}},
      {events, {{"type", "trip"}}},
      {events, {{"type", "earthquake"}}},
      {events, {{"to", "2026-11-25T09:00:00+09:00"}}},
      {usage, {{"bucket", "day"}, {"utc_offset", "+09:00"}}},
      {usage, {{"utc_offset", "-05:30"}}},
      {usage, {{"utc_offset", "+14:00"}}},
      {usage, {{"utc_offset", "Z"}}},
      {availability, {{"from", "2026-11-25T00:00:00Z"}, {"to", "2026-11-25T01:00:00Z"}}},
      {"/api/v1/alerts", {{"state", "open"}, {"limit", "1000"}}},
  };
  for (const auto& [p, query] : good) {
    CAPTURE(p);
    CAPTURE(json(query).dump());
    CHECK(f.get(p, f.key_a.token, query).status == 200);
  }
}

// The OpenAPI file says utc_offset matches ^[+-][0-9]{2}:[0-9]{2}$; parse_offset (api.cpp) reads
// the hours and minutes with from_chars, which takes a sign, so "+-1:00" and "+00:-5" pass.
// Regression (fixed)
TEST_CASE("api: a utc_offset with a sign inside is 400") {
  fixture f;
  for (const std::string offset : {"+-1:00", "+00:-5", "--1:00"}) {
    CAPTURE(offset);
    check_problem(f.get("/api/v1/units/uA1/usage", f.key_a.token, {{"utc_offset", offset}}), 400);
  }
}

TEST_CASE("api: events through the API page with next_cursor") {
  fixture f;
  const std::map<std::string, std::string> range = {{"from", "2026-11-25T00:00:00Z"},
                                                    {"to", "2026-11-25T01:00:00Z"}};
  auto q = range;
  q["limit"] = "2";
  std::vector<std::string> types;
  for (int page = 0; page < 10; ++page) {
    const auto r = f.get("/api/v1/units/uA1/events", f.key_a.token, q);
    REQUIRE(r.status == 200);
    const auto j = body_of(r);
    CHECK(j["unit_id"] == "uA1");
    for (const auto& e : j["events"]) types.push_back(e["type"].get<std::string>());
    if (j["next_cursor"].is_null()) break;
    q["cursor"] = j["next_cursor"].get<std::string>();
  }
  // visit start, trip, checklist item, visit end, fault raised, fault cleared, entrapment
  CHECK(types == std::vector<std::string>{"technician_visit", "trip", "checklist_item",
                                          "technician_visit", "fault", "fault", "entrapment"});
}

TEST_CASE("api: acknowledging alerts respects tenancy and state") {
  fixture f;
  const auto ack = [&f](std::int64_t id, const std::string& token) {
    return f.call("POST", "/api/v1/alerts/" + std::to_string(id) + "/ack", {}, token);
  };
  check_problem(ack(f.alert_b, f.key_a.token), 404);
  // Same answer as for an alert that does not exist.
  const auto missing = ack(999'999, f.key_a.token);
  check_problem(missing, 404);
  {
    auto theirs = body_of(ack(f.alert_b, f.key_a.token));
    auto none = body_of(missing);
    CHECK(replace_all(theirs["detail"].get<std::string>(), std::to_string(f.alert_b), "X") ==
          replace_all(none["detail"].get<std::string>(), "999999", "X"));
    theirs.erase("detail");
    none.erase("detail");
    CHECK(theirs == none);
  }
  check_problem(f.call("POST", "/api/v1/alerts/abc/ack", {}, f.key_a.token), 404);
  check_problem(f.call("POST", "/api/v1/alerts//ack", {}, f.key_a.token), 404);
  check_not_allowed(
      f.call("GET", "/api/v1/alerts/" + std::to_string(f.alert_a) + "/ack", {}, f.key_a.token),
      "POST");
  check_not_allowed(f.call("DELETE", "/api/v1/units", {}, f.key_a.token), "GET, HEAD");

  // B's alert is still raised: A's attempt changed nothing.
  auto b_alerts = body_of(f.get("/api/v1/alerts", f.key_b.token))["alerts"];
  REQUIRE(b_alerts.size() == 1);
  CHECK(b_alerts[0]["state"] == "raised");

  const auto last_before = f.bus->last_id();
  const auto by_b = ack(f.alert_b, f.key_b.token);
  REQUIRE(by_b.status == 200);
  const auto j = body_of(by_b);
  CHECK(j["state"] == "acknowledged");
  CHECK(j["acknowledged_by"] == f.key_b.key_id);
  CHECK(j["unit_id"] == "uB1");
  // The acknowledgement is pushed to stream clients.
  CHECK(f.bus->last_id() == last_before + 1);
  const auto pushed = f.bus->after(
      last_before, [](const std::string&) { return true; }, 10);
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0].unit_id == "uB1");
  CHECK(pushed[0].type == hc::push_type::alert);

  CHECK(ack(f.alert_a, f.key_a.token).status == 200);
  check_problem(ack(f.alert_a_cleared, f.key_a.token), 409);
  check_problem(ack(f.alert_a, f.key_b.token), 404);
}

TEST_CASE("api: cloud/openapi.yaml describes exactly the routes api::routes() serves") {
  fixture f;
  const auto ops = openapi_operations(f.openapi_text);
  REQUIRE(ops.size() >= 10);
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& r : hc::api::routes()) {
    served.emplace(std::string(r.method), std::string(r.path));
    CAPTURE(r.method);
    CAPTURE(r.path);
    CHECK(ops.contains({std::string(r.method), std::string(r.path)}));
  }
  for (const auto& [method, p] : ops) {
    if (p.starts_with("/api/v1/eservice") || p.starts_with("/api/v1/portal")) continue;
    CAPTURE(method);
    CAPTURE(p);
    CHECK(served.contains({method, p}));
  }

  // Served as built in.
  const auto r = f.call("GET", "/openapi.yaml");
  REQUIRE(r.status == 200);
  CHECK(r.body == f.openapi_text);
  CHECK(r.content_type.find("yaml") != std::string::npos);
  f.openapi_text.clear();
  f.build(std::string_view{});
  CHECK(f.call("GET", "/openapi.yaml").status == 404);
}

TEST_CASE("api: the OpenAPI parser in this test sees methods and paths") {
  const std::string yaml =
      "openapi: 3.1.0\npaths:\n  /a:\n    get:\n      summary: x\n  /b/{id}:\n    parameters: []\n"
      "    post:\n      summary: y\n    delete: {summary: z}\ncomponents:\n  /c:\n    get: {}\n";
  const auto ops = openapi_operations(yaml);
  CHECK(ops == std::set<std::pair<std::string, std::string>>{
                   {"GET", "/a"}, {"POST", "/b/{id}"}, {"DELETE", "/b/{id}"}});
}

TEST_CASE("api: /metrics carries what the route modules count, asked at each scrape") {
  fixture f;
  int scrapes = 0;
  f.metrics_sections.push_back([&scrapes] {
    ++scrapes;
    return "# TYPE hoistway_module_things_total counter\nhoistway_module_things_total " +
           std::to_string(scrapes) + "\n";
  });
  f.build();
  f.remote = "127.0.0.1";
  auto r = f.call("GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.body.find("\nhoistway_module_things_total 1\n") != std::string::npos);
  r = f.call("GET", "/metrics");
  CHECK(r.body.find("\nhoistway_module_things_total 2\n") != std::string::npos);
  CHECK(r.body.ends_with("hoistway_module_things_total 2\n"));  // after the API's own
}

TEST_CASE("api: /metrics is Prometheus text with rejected frames per reason") {
  fixture f;
  f.ingest_counters.frames_in = 7;
  f.ingest_counters.rejected[static_cast<std::size_t>(common::wire::reject_reason::bad_mac)] = 3;
  f.ingest_counters.rejected[static_cast<std::size_t>(common::wire::reject_reason::oversized)] = 1;
  f.http_stats.observe(std::chrono::microseconds(300));
  f.http_stats.observe(std::chrono::microseconds(2000));
  f.http_stats.reject(hc::http_reject::header_timeout);
  f.http_stats.connections_refused[static_cast<std::size_t>(hc::http_refusal::per_address)] = 4;
  (void)f.call("GET", "/api/v1/units");  // unauthenticated

  f.remote = "127.0.0.1";  // /metrics is for local peers by default
  const auto r = f.call("GET", "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.content_type.rfind("text/plain", 0) == 0);
  CHECK(r.content_type.find("version=0.0.4") != std::string::npos);
  const auto& text = r.body;
  REQUIRE_FALSE(text.empty());
  CHECK(text.back() == '\n');

  static const std::regex sample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*")*\})? (-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|\+Inf|NaN)$)");
  static const std::regex type_line(
      R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|summary|histogram|untyped)$)");
  static const std::regex help_line(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> values;  // sample (name + labels) → value
  for (const auto& line : lines_of(text)) {
    CAPTURE(line);
    std::smatch m;
    if (std::regex_match(line, m, type_line)) {
      CHECK_FALSE(types.contains(m[1].str()));  // one TYPE per family
      types[m[1].str()] = m[2].str();
      continue;
    }
    if (std::regex_match(line, m, help_line)) continue;
    REQUIRE(std::regex_match(line, m, sample));
    std::string family = m[1].str();
    for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (!types.contains(family) && family.ends_with(suffix)) {
        family = family.substr(0, family.size() - suffix.size());
      }
    }
    CHECK_MESSAGE(types.contains(family), "a sample before its TYPE line");
    const auto key = m[1].str() + m[2].str();
    CHECK_FALSE(values.contains(key));
    values[key] = m[4].str();
  }

  CHECK(types["hoistway_frames_rejected_total"] == "counter");
  for (std::size_t i = 0; i < common::wire::reject_reason_count; ++i) {
    const auto reason =
        std::string(common::wire::to_string(static_cast<common::wire::reject_reason>(i)));
    const auto key = "hoistway_frames_rejected_total{reason=\"" + reason + "\"}";
    CAPTURE(key);
    REQUIRE(values.contains(key));
    CHECK(values[key] == std::to_string(f.ingest_counters.rejected[i].load()));
  }
  CHECK(values["hoistway_frames_rejected_total{reason=\"bad_mac\"}"] == "3");
  CHECK(values["hoistway_frames_in_total"] == "7");
  CHECK(values["hoistway_api_unauthenticated_total"] == "1");
  CHECK(types["hoistway_http_request_duration_seconds"] == "histogram");
  CHECK(values["hoistway_http_request_duration_seconds_bucket{le=\"0.0005\"}"] == "1");
  CHECK(values["hoistway_http_request_duration_seconds_bucket{le=\"0.0025\"}"] == "2");
  CHECK(values["hoistway_http_request_duration_seconds_bucket{le=\"+Inf\"}"] == "2");
  CHECK(values["hoistway_http_request_duration_seconds_count"] == "2");
  // Every refusal of the server has its reason.
  for (std::size_t i = 0; i < hc::http_reject_count; ++i) {
    const auto key = "hoistway_http_rejected_total{reason=\"" +
                     std::string(hc::to_string(static_cast<hc::http_reject>(i))) + "\"}";
    CAPTURE(key);
    CHECK(values.contains(key));
  }
  CHECK(values["hoistway_http_rejected_total{reason=\"header_timeout\"}"] == "1");
  CHECK(values["hoistway_http_connections_refused_total{reason=\"per_address\"}"] == "4");
  CHECK(values["hoistway_http_connections_refused_total{reason=\"max_connections\"}"] == "0");
  for (const std::string name :
       {"hoistway_http_accept_errors_total", "hoistway_http_idle_closed_total",
        "hoistway_http_connections_open", "hoistway_http_queue_depth{lane=\"fast\"}",
        "hoistway_http_queue_depth{lane=\"slow\"}",
        "hoistway_http_queue_wait_seconds_count{lane=\"slow\"}",
        "hoistway_api_streams_revoked_total", "hoistway_api_stream_units_ended_total",
        "hoistway_api_metrics_refused_total"}) {
    CAPTURE(name);
    CHECK(values.contains(name));
  }
  CHECK(values.contains("hoistway_api_streams_refused_total{reason=\"per_key\"}"));
  CHECK(values.contains("hoistway_api_streams_refused_total{reason=\"total\"}"));

  SUBCASE("without ingest counters there are no ingest metrics") {
    f.with_ingest = false;
    const auto bare = f.call("GET", "/metrics");
    CHECK(bare.status == 200);
    CHECK(bare.body.find("hoistway_frames_rejected_total") == std::string::npos);
    CHECK(bare.body.find("hoistway_api_unauthenticated_total") != std::string::npos);
  }
}

TEST_CASE("api: /healthz reports the broker connection") {
  fixture f;
  auto r = f.call("GET", "/healthz");
  CHECK(r.status == 200);
  CHECK(body_of(r)["status"] == "ok");
  f.broker_up = false;
  r = f.call("GET", "/healthz");
  CHECK(r.status == 503);
  CHECK(body_of(r)["status"] == "degraded");
  CHECK(body_of(r)["broker_connected"] == false);
  check_not_allowed(f.call("POST", "/healthz"), "GET, HEAD");
  CHECK(f.call("GET", "/nothing").status == 404);
}

TEST_CASE("api: the stream pushes only the caller's monitored units, and resumes") {
  fixture f;
  auto r = f.get("/api/v1/stream", f.key_a.token);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/event-stream");
  REQUIRE(r.stream != nullptr);
  int notified = 0;
  r.stream->start([&notified] { ++notified; });
  const auto greeting = r.stream->take();
  CHECK(greeting.rfind("retry:", 0) == 0);
  CHECK(parse_sse(greeting).empty());

  const auto a1 = f.bus->publish("uA1", hc::push_type::status, R"({"unit_id":"uA1","n":1})");
  const auto b1 = f.bus->publish("uB1", hc::push_type::status, R"({"unit_id":"uB1","n":2})");
  const auto a2 =
      f.bus->publish("uA2", hc::push_type::status, R"({"unit_id":"uA2","n":3})");  // unmonitored
  const auto a3 = f.bus->publish("uA1", hc::push_type::alert, R"({"unit_id":"uA1","n":4})");
  const auto a4 = f.bus->publish("uA1", hc::push_type::status, R"({"unit_id":"uA1","n":5})");
  CHECK(notified == 5);
  (void)b1;
  (void)a2;

  const auto text = r.stream->take();
  CHECK(text.find("retry:") == std::string::npos);  // greeted once
  CHECK(text.find("uB1") == std::string::npos);
  CHECK(text.find("uA2") == std::string::npos);
  const auto events = parse_sse(text);
  REQUIRE(events.size() == 3);
  CHECK(events[0].id == a1);
  CHECK(events[0].event == "status");
  CHECK(events[0].data == R"({"unit_id":"uA1","n":1})");
  CHECK(events[1].id == a3);
  CHECK(events[1].event == "alert");
  CHECK(events[2].id == a4);
  CHECK(r.stream->take().empty());  // nothing new

  // B's stream sees B's event only.
  {
    auto with_last = f.call("GET", "/api/v1/stream", {}, f.key_b.token,
                            {{"last-event-id", std::to_string(a1 - 1)}});
    REQUIRE(with_last.stream != nullptr);
    with_last.stream->start([] {});
    const auto seen = parse_sse(with_last.stream->take());
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].id == b1);
  }

  // Resuming after a1 gives exactly the events after it.
  const auto resumed =
      f.call("GET", "/api/v1/stream", {}, f.key_a.token, {{"last-event-id", std::to_string(a1)}});
  REQUIRE(resumed.status == 200);
  REQUIRE(resumed.stream != nullptr);
  resumed.stream->start([] {});
  std::vector<std::string> other;
  const auto again = parse_sse(resumed.stream->take(), &other);
  REQUIRE(again.size() == 2);
  CHECK(again[0].id == a3);
  CHECK(again[1].id == a4);
  for (const auto& block : other) CHECK(block.find("event: reset") == std::string::npos);
  // Resuming at the newest id gives nothing.
  const auto at_end =
      f.call("GET", "/api/v1/stream", {}, f.key_a.token, {{"last-event-id", std::to_string(a4)}});
  REQUIRE(at_end.stream != nullptr);
  at_end.stream->start([] {});
  CHECK(parse_sse(at_end.stream->take()).empty());

  // A malformed Last-Event-ID is 400.
  for (const std::string bad : {"abc", "-5", "1.5"}) {
    CAPTURE(bad);
    check_problem(f.call("GET", "/api/v1/stream", {}, f.key_a.token, {{"last-event-id", bad}}),
                  400);
  }

  // Once the stream is gone, publishing no longer calls its notify.
  const auto before = notified;
  r.stream.reset();
  f.bus->publish("uA1", hc::push_type::status, "{}");
  CHECK(notified == before);
}

TEST_CASE("api: resuming from an event that has left the ring says reset") {
  fixture f(4);  // a ring of four events
  const auto first = f.bus->publish("uA1", hc::push_type::status, R"({"n":0})");
  for (int i = 1; i < 10; ++i)
    f.bus->publish("uA1", hc::push_type::status, R"({"n":)" + std::to_string(i) + "}");
  const auto r = f.call("GET", "/api/v1/stream", {}, f.key_a.token,
                        {{"last-event-id", std::to_string(first)}});
  REQUIRE(r.stream != nullptr);
  r.stream->start([] {});
  std::vector<std::string> other;
  const auto events = parse_sse(r.stream->take(), &other);
  bool reset = false;
  for (const auto& block : other) {
    if (block.find("event: reset") != std::string::npos) reset = true;
  }
  CHECK(reset);
  REQUIRE(events.size() == 4);  // what the ring still holds
  CHECK(events.back().id == f.bus->last_id());
}

TEST_CASE("api: /metrics is for local peers unless a token or a listener of its own says so") {
  fixture f;
  auto metrics_status = [&f](const std::string& remote,
                             const std::map<std::string, std::string>& headers = {}) {
    f.remote = remote;
    return f.call("GET", "/metrics", {}, {}, headers).status;
  };
  SUBCASE("by default: loopback peers without proxy headers only") {
    CHECK(metrics_status("127.0.0.1") == 200);
    CHECK(metrics_status("127.0.0.53") == 200);
    CHECK(metrics_status("::1") == 200);
    CHECK(metrics_status("192.0.2.1") == 403);
    check_problem(f.call("GET", "/metrics"), 403);
    CHECK(metrics_status("10.0.0.7") == 403);
    // A proxy on the same host relays for someone else.
    CHECK(metrics_status("127.0.0.1", {{"x-forwarded-for", "203.0.113.9"}}) == 403);
    CHECK(metrics_status("127.0.0.1", {{"forwarded", "for=203.0.113.9"}}) == 403);
    CHECK(metrics_status("127.0.0.1", {{"x-real-ip", "203.0.113.9"}}) == 403);
    CHECK(f.api->counters().metrics_refused >= 5);
  }
  SUBCASE("with a token: any peer with the token, no peer without it") {
    f.metrics_token = "s3cret-metrics-token-0123456789";
    f.build();
    CHECK(metrics_status("192.0.2.1") == 401);
    CHECK(metrics_status("127.0.0.1") == 401);  // loopback is no longer enough
    CHECK(metrics_status("192.0.2.1", {{"authorization", "Bearer wrong"}}) == 401);
    CHECK(metrics_status("192.0.2.1", {{"authorization", "Bearer " + f.metrics_token + "x"}}) ==
          401);
    CHECK(metrics_status("192.0.2.1", {{"authorization", f.metrics_token}}) == 401);
    CHECK(metrics_status("192.0.2.1", {{"authorization", "Bearer " + f.metrics_token}}) == 200);
    f.remote = "192.0.2.1";
    const auto r = f.call("GET", "/metrics");
    check_problem(r, 401);
    CHECK(std::ranges::any_of(r.headers,
                              [](const auto& h) { return h.first == "WWW-Authenticate"; }));
  }
  SUBCASE("on a listener of its own: not on the main one") {
    f.metrics_on_main = false;
    f.build();
    CHECK(metrics_status("127.0.0.1") == 404);
    hc::http_request r;
    r.method = "GET";
    r.path = r.target = "/metrics";
    r.remote_address = "192.0.2.1";  // the listener's own address is the operator's choice
    const auto served = f.api->metrics_listener(r);
    CHECK(served.status == 200);
    CHECK(served.body.find("hoistway_api_metrics_refused_total") != std::string::npos);
    r.path = r.target = "/api/v1/units";
    CHECK(f.api->metrics_listener(r).status == 404);  // nothing else there
    r.path = r.target = "/metrics";
    r.method = "POST";
    CHECK(f.api->metrics_listener(r).status == 405);
  }
  SUBCASE("on a listener of its own with a token: the token is needed there too") {
    f.metrics_on_main = false;
    f.metrics_token = "s3cret-metrics-token-0123456789";
    f.build();
    hc::http_request r;
    r.method = "GET";
    r.path = r.target = "/metrics";
    r.remote_address = "127.0.0.1";
    CHECK(f.api->metrics_listener(r).status == 401);
    r.headers["authorization"] = "Bearer " + f.metrics_token;
    CHECK(f.api->metrics_listener(r).status == 200);
  }
}

TEST_CASE("api: account routes wait in the slow lane, everything else in the fast one") {
  fixture f;
  hc::http_request r;
  r.path = "/api/v1/eservice/forgot-password";
  CHECK(f.api->lane_of(r) == hc::http_lane::fast);  // no slow prefixes configured
  f.slow_prefixes = {"/api/v1/eservice/", "/api/v1/portal/"};
  f.build();
  CHECK(f.api->lane_of(r) == hc::http_lane::slow);
  r.path = "/api/v1/portal/login";
  CHECK(f.api->lane_of(r) == hc::http_lane::slow);
  for (const auto* path : {"/api/v1/units", "/api/v1/units/uA1/status", "/healthz", "/metrics",
                           "/api/v1/stream", "/api/v1/eservicex"}) {
    CAPTURE(path);
    r.path = path;
    CHECK(f.api->lane_of(r) == hc::http_lane::fast);
  }
}

TEST_CASE("api: event streams are capped per key and in total: 429 with Retry-After") {
  fixture f;
  f.max_streams = 3;
  f.max_streams_per_key = 2;
  f.build();
  auto open = [&f](const std::string& token) { return f.get("/api/v1/stream", token); };
  auto retry_after = [](const hc::http_response& r) {
    const auto it =
        std::ranges::find_if(r.headers, [](const auto& h) { return h.first == "Retry-After"; });
    return it == r.headers.end() ? std::string() : it->second;
  };
  auto a1 = open(f.key_a.token);
  auto a2 = open(f.key_a.token);
  REQUIRE(a1.status == 200);
  REQUIRE(a2.status == 200);
  const auto a3 = open(f.key_a.token);
  check_problem(a3, 429);
  CHECK(a3.stream == nullptr);
  CHECK_FALSE(retry_after(a3).empty());
  CHECK(f.api->counters().streams_refused_per_key == 1);

  auto b1 = open(f.key_b.token);  // another key: the third stream in all
  REQUIRE(b1.status == 200);
  const auto b2 = open(f.key_b.token);
  check_problem(b2, 429);
  CHECK_FALSE(retry_after(b2).empty());
  CHECK(f.api->counters().streams_refused_total == 1);

  // A stream that goes gives its place back; so does a stream response never sent.
  a1.stream.reset();
  auto a4 = open(f.key_a.token);
  CHECK(a4.status == 200);
  a4 = {};
  b1 = {};
  CHECK(open(f.key_b.token).status == 200);
  CHECK(f.api->counters().streams_refused_per_key == 1);
  CHECK(f.api->counters().streams_refused_total == 1);

  SUBCASE("a cap of zero refuses every stream") {
    f.max_streams_per_key = 0;
    f.build();
    check_problem(open(f.key_b.token), 429);
  }
}

TEST_CASE("api: a revoked key ends its stream, an ended contract stops that unit's events") {
  fixture f;
  hoistway::testing::tenancy tenancy(f.path, f.clock);
  REQUIRE(f.key_a.key_id != f.key_b.key_id);
  // A second monitored unit of customer A, so one contract can end while the stream goes on.
  tenancy.contract("uA2", t0);
  f.clock->advance(1000);
  REQUIRE(f.directory->refresh());

  auto a = f.get("/api/v1/stream", f.key_a.token);
  auto b = f.get("/api/v1/stream", f.key_b.token);
  REQUIRE(a.stream != nullptr);
  REQUIRE(b.stream != nullptr);
  a.stream->start([] {});
  b.stream->start([] {});
  (void)a.stream->take();
  (void)b.stream->take();
  const auto first = f.bus->publish("uA1", hc::push_type::status, R"({"n":1})");
  const auto second = f.bus->publish("uA2", hc::push_type::status, R"({"n":2})");
  auto seen = parse_sse(a.stream->take());
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].id == first);
  CHECK(seen[1].id == second);

  // uA1's contract ends: the next take (an event, or the server's periodic one) drops it.
  REQUIRE(tenancy.registry().end_contracts("uA1", f.clock->wall_ms()));
  f.clock->advance(1000);
  REQUIRE(f.directory->refresh());
  f.bus->publish("uA1", hc::push_type::status, R"({"n":3})");
  const auto third = f.bus->publish("uA2", hc::push_type::status, R"({"n":4})");
  std::vector<std::string> other;
  seen = parse_sse(a.stream->take(), &other);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].id == third);
  REQUIRE(other.size() == 1);
  CHECK(other[0].find("event: unit_removed") != std::string::npos);
  CHECK(other[0].find("\"uA1\"") != std::string::npos);
  CHECK_FALSE(a.stream->finished());
  CHECK(f.api->counters().stream_units_ended == 1);
  f.bus->publish("uA1", hc::push_type::status, R"({"n":5})");
  CHECK(a.stream->take().empty());  // announced once, then silence for uA1

  // Key A is revoked: its stream says so and ends, with or without an event to carry it.
  REQUIRE(tenancy.registry().revoke_api_key(f.key_a.key_id));
  f.clock->advance(1000);
  REQUIRE(f.directory->refresh());
  const auto last = a.stream->take();
  CHECK(last.find("event: end") != std::string::npos);
  CHECK(last.find("revoked") != std::string::npos);
  CHECK(parse_sse(last).empty());
  CHECK(a.stream->finished());
  CHECK(f.api->counters().streams_revoked == 1);
  f.bus->publish("uA2", hc::push_type::status, R"({"n":6})");
  CHECK(a.stream->take().empty());  // nothing after the end
  CHECK(f.api->counters().streams_revoked == 1);

  // Customer B's stream goes on.
  const auto for_b = f.bus->publish("uB1", hc::push_type::status, R"({"n":7})");
  seen = parse_sse(b.stream->take());
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].id == for_b);
  CHECK_FALSE(b.stream->finished());
  // And the revoked key opens no new one.
  CHECK(f.get("/api/v1/stream", f.key_a.token).status == 401);
}
