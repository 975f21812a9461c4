// What the portal pages need from the API (issue 15), over a real store and the real accounts
// module: the data routes taken by a browser's signed-in session (accounts::session_auth wired
// as the server wires it: a portal session sees what an API key sees, an eService session its
// units without real-time data and the visits, a session's write needs the CSRF header, a
// signed-out, expired, mid-login or malformed session is refused, a session's stream ends when it
// is signed out); alerts with who, comment, timeline and filters; the inspection work status;
// the buildings overview with time zones and hoistways; the earthquake restoration.
#include <memory>
#include <string>

#include "accounts_test_fixture.hpp"
#include "hoistway/cloud/ingest/projector.hpp"
#include "hoistway/cloud/live/event_bus.hpp"
#include "hoistway/cloud/live/live_view.hpp"
#include "hoistway/cloud/portal/api.hpp"
#include "hoistway/cloud/portal/queries.hpp"
#include "hoistway/cloud/registry/directory.hpp"
#include "hoistway/cloud/registry/registry.hpp"
#include "hoistway/cloud/registry/time_zone.hpp"
#include "hoistway/cloud/store/store.hpp"

using namespace accounts_test;
namespace common = hoistway::common;

namespace {

const std::string taro = "taro@sakura.example.jp";

json portal_form() {
  return {{"password", "Sakura#2024"},
          {"password_confirm", "Sakura#2024"},
          {"company", "Sakura Building Co."},
          {"last_name", "Yamada"},
          {"first_name", "Taro"},
          {"country", "JP"},
          {"mobile_phone", "9011112222"},
          {"privacy_policy_accepted", true},
          {"privacy_policy_version", "2024-04-01"},
          {"terms_of_use_accepted", true},
          {"terms_of_use_version", "2024-04-01"}};
}

// The accounts fixture's store (customers C1 with U1 monitored, U2 without a contract, U4 whose
// contract ended; C2 with U3 monitored) with records, and the portal API over it with sessions.
struct stack {
  fixture f;
  std::shared_ptr<common::clock> clock{std::shared_ptr<void>(), &f.clock()};  // not owned
  std::shared_ptr<hc::live_view> view = std::make_shared<hc::live_view>(std::chrono::seconds(30));
  std::shared_ptr<hc::event_bus> bus = std::make_shared<hc::event_bus>(64, 1000);
  std::shared_ptr<acc::session_auth> sessions;
  std::optional<hc::api> api;
  std::int64_t alert_u1 = 0, alert_u3 = 0;
  hc::api_key_secret key_c1;

  stack() {
    add_records();
    const auto now = f.clock().wall_ms();
    common::run_state s;
    s.in_service = true;
    s.mode = common::car_mode::normal;
    s.floor = 4;
    for (const auto* u : {"U1", "U2", "U3", "U4"}) {
      view->add_unit(u, std::string(u) == "U3" ? "d2" : "d1", 0);
      view->apply(u, s, now - 1000);
    }
    view->device_seen("d1", now - 1000);
    view->device_seen("d2", now - 1000);
    auto reg = hc::registry::open(f.path(), clock);
    REQUIRE(reg);
    key_c1 = *reg->create_api_key("C1", "c1");
    auto q = hc::queries::open(f.path(), clock);
    REQUIRE(q);
    auto d = hc::directory::open(f.path(), clock);
    REQUIRE(d);
    auto a = acc::session_auth::open(f.path(), clock);
    REQUIRE(a);
    sessions = *a;
    hc::api_context ctx;
    ctx.view = view;
    ctx.clock = clock;
    ctx.dir = *d;
    ctx.db = *q;
    ctx.bus = bus;
    ctx.max_streams_per_key = 2;
    ctx.session = [s = sessions](const hc::http_request& r) { return s->resolve(r); };
    ctx.watch_session = [s = sessions](const hc::caller& who) { return s->watch(who); };
    api.emplace(std::move(ctx));
  }

  // The ingest's side: the store and the projector, as the writer runs them.
  std::optional<hc::store> store_;
  std::optional<hc::projector> projector_;
  std::uint64_t seq_ = 0;

  // Projects records in one transaction (as the ingest writer does); returns what it pushed.
  std::vector<hc::pushed> project(
      const std::vector<std::tuple<std::string, std::string, std::int64_t, common::record_body>>&
          records) {
    auto tx = store_->begin();
    REQUIRE(tx);
    std::vector<hc::pushed> out;
    for (const auto& [device, unit, wall, body] : records) {
      const common::record rec{++seq_, 0, wall, wall, 1, body};
      REQUIRE(projector_->apply(device, unit, rec, out));
    }
    REQUIRE(tx->commit());
    return out;
  }

  void add_records() {
    auto st = hc::store::open(f.path());
    REQUIRE(st);
    store_.emplace(std::move(*st));
    auto proj = hc::projector::create(store_->db());
    REQUIRE(proj);
    projector_.emplace(std::move(*proj));
    auto& seq = seq_;
    auto* proj_ptr = &*projector_;
    auto tx = store_->begin();
    REQUIRE(tx);
    std::vector<hc::pushed> out;
    const auto t = f.clock().wall_ms() - 3'600'000;
    auto add = [&](const std::string& device, const std::string& unit, std::int64_t wall,
                   common::record_body body) {
      const common::record rec{++seq, 0, wall, wall, 1, std::move(body)};
      REQUIRE(proj_ptr->apply(device, unit, rec, out));
    };
    add("d1", "U1", t, common::technician_visit{true, "V-U1", "Tech"});
    add("d1", "U1", t + 1000, common::checklist_item{"V-U1", "brakes", true, ""});
    add("d1", "U1", t + 2000, common::technician_visit{false, "V-U1", "Tech"});
    add("d1", "U2", t, common::technician_visit{true, "V-U2", "Tech"});
    add("d1", "U1", t + 3000, common::entrapment{true, 1, 0, 80, true});
    add("d2", "U3", t + 3000, common::entrapment{true, 1, 0, 80, true});
    REQUIRE(tx->commit());
    for (const auto& p : out) {
      if (p.type != hc::push_type::alert) continue;
      (p.unit_id == "U1" ? alert_u1 : alert_u3) = p.data["alert_id"].get<std::int64_t>();
    }
    REQUIRE(alert_u1 != 0);
    REQUIRE(alert_u3 != 0);
  }

  // A request to the data routes with the fixture's cookie jar (as the browser sends it).
  hc::http_response call(const std::string& method, const std::string& path,
                         const std::map<std::string, std::string>& headers = {},
                         const std::string& body = "") {
    hc::http_request r;
    r.method = method;
    r.path = path;
    r.target = path;
    r.body = body;
    r.remote_address = "192.0.2.10";
    r.headers = headers;
    std::string cookies;
    for (const auto& [k, v] : f.jar) cookies += (cookies.empty() ? "" : "; ") + k + "=" + v;
    if (!cookies.empty()) r.headers["cookie"] = cookies;
    return api->handle(r);
  }
  hc::http_response get(const std::string& path) { return call("GET", path); }
  hc::http_response ack(std::int64_t id, bool with_csrf) {
    std::map<std::string, std::string> h{{"content-type", "application/json"}};
    if (with_csrf) h["x-csrf-token"] = f.jar["hw_csrf"];
    return call("POST", "/api/v1/alerts/" + std::to_string(id) + "/ack", h, "{}");
  }

  // taro: eService signed in; with `portal`, the customer portal too (both cookies in the jar).
  void sign_up(bool portal) {
    f.sign_up(taro, "C1");
    if (!portal) return;
    f.clock().advance(61'000);
    REQUIRE(f.post("/api/v1/portal/access-request/code", {{"email", taro}}).status == 202);
    REQUIRE(
        f.post("/api/v1/portal/access-request/verify", {{"email", taro}, {"code", f.code(taro)}})
            .status == 200);
    REQUIRE(f.post("/api/v1/portal/access-request/form", portal_form()).status == 200);
    REQUIRE(f.post("/api/v1/portal/access-request/security-answer", {{"answer", "Pochi"}}).status ==
            201);
    REQUIRE(f.jar.contains("hw_portal"));
  }
};

json body_of(const hc::http_response& r) {
  auto j = json::parse(r.body, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), r.body);
  return j;
}

json unit_in(const json& list, const std::string& id) {
  for (const auto& u : list["units"]) {
    if (u["unit_id"] == id) return u;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("sessions: a portal session sees its customer's monitored units in real time") {
  stack s;
  s.sign_up(true);
  s.f.jar.erase("hw_eservice");  // the portal cookie alone
  auto r = s.get("/api/v1/units");
  REQUIRE(r.status == 200);
  const auto list = body_of(r);
  CHECK(list["units"].size() == 3);  // U1, U2, U4: C1's
  CHECK(unit_in(list, "U3").is_null());
  CHECK(unit_in(list, "U1")["floor"] == 4);
  CHECK(unit_in(list, "U2")["floor"].is_null());  // no monitoring contract
  CHECK(unit_in(list, "U4")["floor"].is_null());  // the contract ended
  CHECK(s.get("/api/v1/units/U1/status").status == 200);
  CHECK(s.get("/api/v1/units/U1/events").status == 200);
  CHECK(s.get("/api/v1/units/U1/usage").status == 200);
  CHECK(s.get("/api/v1/units/U1/availability").status == 200);
  CHECK(s.get("/api/v1/units/U2/status").status == 403);
  CHECK(s.get("/api/v1/units/U2/visits").status == 200);
  CHECK(s.get("/api/v1/units/U3/status").status == 404);
  r = s.get("/api/v1/alerts");
  REQUIRE(r.status == 200);
  const auto alerts = body_of(r)["alerts"];
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["alert_id"] == s.alert_u1);
  CHECK(s.get("/api/v1/stream").stream != nullptr);
}

TEST_CASE("sessions: an eService session sees units and visits, never real-time data") {
  stack s;
  s.sign_up(false);
  REQUIRE(s.f.jar.contains("hw_eservice"));
  auto r = s.get("/api/v1/units");
  REQUIRE(r.status == 200);
  const auto list = body_of(r);
  CHECK(list["units"].size() == 3);
  for (const auto& u : list["units"]) {
    CHECK(u["floor"].is_null());
    CHECK(u["in_service"].is_null());
    CHECK(u["online"] == false);
  }
  r = s.get("/api/v1/units/U1/visits");
  REQUIRE(r.status == 200);
  CHECK(r.body.find("V-U1") != std::string::npos);
  CHECK(s.get("/api/v1/units/U1/visits/V-U1/report").status == 200);
  for (const auto* route :
       {"/api/v1/units/U1/status", "/api/v1/units/U1/events", "/api/v1/units/U1/usage",
        "/api/v1/units/U1/availability", "/api/v1/alerts", "/api/v1/stream"}) {
    CAPTURE(route);
    CHECK(s.get(route).status == 403);
  }
  CHECK(s.ack(s.alert_u1, true).status == 403);
  CHECK(s.get("/api/v1/units/U3/visits").status == 404);  // another customer's
  CHECK(s.api->counters().role_refused.load() == 7);
}

TEST_CASE(
    "sessions: an acknowledgement by a session needs the CSRF header, and names the account") {
  stack s;
  s.sign_up(true);
  REQUIRE(s.f.jar.contains("hw_csrf"));
  auto r = s.ack(s.alert_u1, false);
  CHECK(r.status == 403);
  CHECK(s.api->counters().csrf_refused.load() == 1);
  // A header that does not repeat the cookie is refused the same.
  r = s.call("POST", "/api/v1/alerts/" + std::to_string(s.alert_u1) + "/ack",
             {{"x-csrf-token", std::string(32, 'a')}});
  CHECK(r.status == 403);
  CHECK(s.ack(s.alert_u3, true).status == 404);  // another customer's alert
  r = s.ack(s.alert_u1, true);
  REQUIRE(r.status == 200);
  const auto acked = body_of(r);
  CHECK(acked["state"] == "acknowledged");
  CHECK(acked["acknowledged_by"] == "Yamada Taro");
  CHECK(acked["acknowledged_by_email"] == taro);
  CHECK(acked["acknowledged_by_kind"] == "portal");
  // A key needs no CSRF header (and a request with a key is taken by its key).
  hc::http_request k;
  k.method = "POST";
  k.path = k.target = "/api/v1/alerts/" + std::to_string(s.alert_u1) + "/ack";
  k.headers["authorization"] = "Bearer " + s.key_c1.token;
  CHECK(s.api->handle(k).status == 200);
}

TEST_CASE("sessions: signed out, expired, mid-login and malformed sessions are refused") {
  stack s;
  // Mid-login: the temporary password gives a session that must change its password first.
  const std::string jiro = "jiro@sakura.example.jp";
  REQUIRE(s.f.ops().register_eservice(jiro, "C1", ""));
  REQUIRE(s.f.ops().issue_password(jiro));
  const auto temp = s.f.temp_password(jiro);
  REQUIRE(s.f.post("/api/v1/eservice/login", {{"email", jiro}, {"password", temp}}).status == 200);
  REQUIRE(s.f.jar.contains("hw_eservice"));
  auto r = s.get("/api/v1/units");
  CHECK(r.status == 401);
  CHECK(body_of(r)["detail"] == "the sign-in is not finished");
  s.f.jar.clear();

  s.sign_up(true);
  CHECK(s.get("/api/v1/units").status == 200);
  // A request with a key is the key's, whatever cookie it carries: a bad key is a 401.
  CHECK(s.call("GET", "/api/v1/units", {{"authorization", "Bearer hwk_nonsense"}}).status == 401);
  // Malformed.
  auto jar = s.f.jar;
  s.f.jar = {{"hw_portal", "not-a-token"}};
  CHECK(s.get("/api/v1/units").status == 401);
  // Signed out: the portal cookie is refused; the eService one still holds.
  s.f.jar = jar;
  REQUIRE(s.f.post("/api/v1/portal/logout", json::object()).status == 200);
  s.f.jar["hw_portal"] = jar["hw_portal"];  // a browser that kept the old cookie
  r = s.get("/api/v1/units");
  REQUIRE(r.status == 200);
  CHECK(unit_in(body_of(r), "U1")["floor"].is_null());  // as the eService session
  s.f.jar.erase("hw_eservice");
  CHECK(s.get("/api/v1/units").status == 401);
  // Expired.
  s.f.jar = jar;
  s.f.jar.erase("hw_portal");
  s.f.clock().advance(400LL * 86'400'000);
  CHECK(s.get("/api/v1/units").status == 401);
  const auto metrics = s.sessions->metrics_text();
  CHECK(metrics.find("hoistway_sessions_refused_total{reason=\"mid_login\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("hoistway_sessions_refused_total{reason=\"malformed\"} 1") !=
        std::string::npos);
  CHECK(metrics.find("hoistway_sessions_refused_total{reason=\"expired\"} 1") != std::string::npos);
  // The signed-out portal cookie twice: beside the eService one, then alone.
  CHECK(metrics.find("hoistway_sessions_refused_total{reason=\"unknown\"} 2") != std::string::npos);
  CHECK(s.api->counters().sessions_refused.load() == 4);
}

TEST_CASE("sessions: a session's streams are capped, and end when it signs out") {
  stack s;
  s.sign_up(true);
  s.f.jar.erase("hw_eservice");
  auto first = s.get("/api/v1/stream");
  REQUIRE(first.stream != nullptr);
  auto second = s.get("/api/v1/stream");
  REQUIRE(second.stream != nullptr);
  CHECK(s.get("/api/v1/stream").status == 429);  // max_streams_per_key = 2, per session
  second = {};
  auto stream = first.stream;
  stream->start([] {});
  CHECK(stream->take().find("event: end") == std::string::npos);
  s.sessions->recheck();
  CHECK(stream->take().find("event: end") == std::string::npos);
  REQUIRE(s.f.post("/api/v1/portal/logout", json::object()).status == 200);
  CHECK(stream->take().find("event: end") == std::string::npos);  // not re-checked yet
  s.sessions->recheck();
  const auto last = stream->take();
  CHECK(last.find("event: end") != std::string::npos);
  CHECK(last.find("signed out") != std::string::npos);
  CHECK(stream->finished());
  CHECK(s.api->counters().streams_signed_out.load() == 1);
}

TEST_CASE("alerts: an entrapment's timeline, detected to cleared, with who and the comment") {
  stack s;
  s.sign_up(true);
  const auto path = "/api/v1/alerts/" + std::to_string(s.alert_u1) + "/ack";
  std::map<std::string, std::string> h{{"content-type", "application/json"},
                                       {"x-csrf-token", s.f.jar["hw_csrf"]}};
  // Comments are checked: a JSON object, a string, at most 500 characters, no controls.
  const auto before = s.api->counters().bad_requests.load();
  CHECK(s.call("POST", path, h, "not json").status == 400);
  CHECK(s.call("POST", path, h, json{{"comment", 5}}.dump()).status == 400);
  CHECK(s.call("POST", path, h, json{{"comment", std::string(501, 'x')}}.dump()).status == 400);
  CHECK(s.call("POST", path, h, json{{"comment", "bell\u0007"}}.dump()).status == 400);
  CHECK(s.api->counters().bad_requests.load() == before + 4);
  std::string long_ja;
  for (int i = 0; i < 500; ++i) long_ja += "閉";  // 500 characters, 1500 bytes: allowed
  CHECK(s.call("POST", path, h, json{{"comment", long_ja + "閉"}}.dump()).status == 400);
  auto r = s.call("POST", path, h, json{{"comment", "技術者に連絡しました\nETA 20 min"}}.dump());
  REQUIRE(r.status == 200);
  CHECK(body_of(r)["comment"] == "技術者に連絡しました\nETA 20 min");
  // Again: nothing changes, the first comment stays.
  r = s.call("POST", path, h, json{{"comment", "second"}}.dump());
  REQUIRE(r.status == 200);
  CHECK(body_of(r)["comment"] == "技術者に連絡しました\nETA 20 min");

  const auto now = s.f.clock().wall_ms();
  auto pushed =
      s.project({{"d1", "U1", now + 1000, common::technician_visit{true, "V-9", "Sato"}}});
  REQUIRE(pushed.size() == 2);  // the unit's technician, and the alert again: its timeline grew
  CHECK(pushed[0].type == hc::push_type::technician);
  CHECK(pushed[1].type == hc::push_type::alert);
  CHECK(pushed[1].data["alert_id"] == s.alert_u1);
  s.project({{"d1", "U1", now + 2000, common::entrapment{false, 1, 0, 0, false}}});

  r = s.get("/api/v1/alerts/" + std::to_string(s.alert_u1));
  REQUIRE(r.status == 200);
  const auto alert = body_of(r);
  CHECK(alert["state"] == "cleared");
  const auto& t = alert["timeline"];
  REQUIRE(t.size() == 5);
  CHECK(t[0]["step"] == "detected");
  CHECK(t[0]["detail"].get<std::string>().find("floor 1") != std::string::npos);
  CHECK(t[1]["step"] == "acknowledged");
  CHECK(t[1]["by"] == "Yamada Taro");
  CHECK(t[1]["email"] == taro);
  CHECK(t[1]["by_kind"] == "portal");
  CHECK(t[1]["comment"] == "技術者に連絡しました\nETA 20 min");
  CHECK(t[2]["step"] == "technician_on_site");
  CHECK(t[2]["technician"] == "Sato");
  CHECK(t[2]["visit_id"] == "V-9");
  CHECK(t[2]["at"] == common::format_rfc3339(now + 1000));
  CHECK(t[3]["step"] == "released");
  CHECK(t[4]["step"] == "cleared");
  CHECK(t[4]["at"] == common::format_rfc3339(now + 2000));
  // Another customer's alert, and one that does not exist, answer alike.
  CHECK(s.get("/api/v1/alerts/" + std::to_string(s.alert_u3)).status == 404);
  CHECK(s.get("/api/v1/alerts/999999").status == 404);
  CHECK(s.get("/api/v1/alerts/abc").status == 404);
}

TEST_CASE("alerts: a timeline holds at most max_steps_per_alert steps, the rest are counted") {
  stack s;
  const auto now = s.f.clock().wall_ms();
  std::vector<std::tuple<std::string, std::string, std::int64_t, common::record_body>> visits;
  for (int i = 0; i < 40; ++i) {
    visits.emplace_back("d1", "U1", now + i,
                        common::technician_visit{true, "W" + std::to_string(i), "T"});
  }
  s.project(visits);
  CHECK(s.projector_->steps_suppressed() == 40 + 1 - hc::projector::max_steps_per_alert);
  hc::http_request k;
  k.method = "GET";
  k.path = k.target = "/api/v1/alerts/" + std::to_string(s.alert_u1);
  k.headers["authorization"] = "Bearer " + s.key_c1.token;
  const auto r = s.api->handle(k);
  REQUIRE(r.status == 200);
  CHECK(body_of(r)["timeline"].size() == hc::projector::max_steps_per_alert);
}

TEST_CASE("alerts: filtered by state, kind, unit and period, paged with a cursor") {
  stack s;
  const auto now = s.f.clock().wall_ms();
  s.project({{"d1", "U1", now - 5000, common::fault_event{7, common::severity::minor, true}},
             {"d1", "U1", now - 4000, common::fault_event{8, common::severity::minor, true}},
             {"d1", "U1", now - 3000, common::fault_event{8, common::severity::minor, false}},
             {"d1", "U2", now - 3000, common::fault_event{9, common::severity::minor, true}}});
  auto get = [&](const std::map<std::string, std::string>& q) {
    hc::http_request k;
    k.method = "GET";
    k.path = k.target = "/api/v1/alerts";
    k.query = q;
    k.headers["authorization"] = "Bearer " + s.key_c1.token;
    return s.api->handle(k);
  };
  auto ids = [](const hc::http_response& r) {
    std::vector<std::int64_t> out;
    const auto body = body_of(r);  // named: a temporary's element would dangle in the loop
    for (const auto& a : body["alerts"]) out.push_back(a["alert_id"].get<std::int64_t>());
    return out;
  };
  auto all = get({});
  REQUIRE(all.status == 200);
  CHECK(ids(all).size() == 3);  // U1's entrapment and two faults; U2 is not monitored
  CHECK(body_of(all)["next_cursor"].is_null());
  CHECK(ids(get({{"kind", "fault"}})).size() == 2);
  CHECK(ids(get({{"kind", "fault"}, {"state", "cleared"}})).size() == 1);
  CHECK(ids(get({{"kind", "entrapment"}})) == std::vector<std::int64_t>{s.alert_u1});
  CHECK(ids(get({{"unit_id", "U2"}})).empty());   // the customer's, but not monitored
  CHECK(get({{"unit_id", "U3"}}).status == 404);  // another customer's
  const auto period =
      get({{"from", common::format_rfc3339(now - 4500)}, {"to", common::format_rfc3339(now)}});
  CHECK(ids(period).size() == 1);  // the fault raised at now - 4000
  // Pages of one, newest first, until next_cursor is null.
  std::vector<std::int64_t> paged;
  std::map<std::string, std::string> q{{"limit", "1"}};
  for (int i = 0; i < 10; ++i) {
    const auto r = get(q);
    REQUIRE(r.status == 200);
    for (const auto id : ids(r)) paged.push_back(id);
    const auto next = body_of(r)["next_cursor"];
    if (next.is_null()) break;
    q["cursor"] = next.get<std::string>();
  }
  CHECK(paged == ids(all));
  CHECK(get({{"cursor", "nonsense"}}).status == 400);
  CHECK(get({{"kind", "flood"}}).status == 400);
  CHECK(get({{"from", "yesterday"}}).status == 400);
}

TEST_CASE("technician: an open visit with its checklist, and inspection mode without one") {
  stack s;
  auto status = [&] {
    hc::http_request k;
    k.method = "GET";
    k.path = k.target = "/api/v1/units/U1/status";
    k.headers["authorization"] = "Bearer " + s.key_c1.token;
    const auto r = s.api->handle(k);
    REQUIRE(r.status == 200);
    return body_of(r);
  };
  auto before = status();
  CHECK(before["expected_interval_s"] == 60);
  CHECK(before["technician"]["on_site"] == false);
  CHECK(before["technician"]["registered"] == false);
  const auto now = s.f.clock().wall_ms();
  auto pushed = s.project(
      {{"d1", "U1", now, common::technician_visit{true, "V-7", "T-0042 Suzuki"}},
       {"d1", "U1", now + 1000, common::checklist_item{"V-7", "brakes", true, ""}},
       {"d1", "U1", now + 2000, common::checklist_item{"V-7", "doors", false, "gap 7 mm"}}});
  std::size_t technician_pushes = 0;
  for (const auto& p : pushed) technician_pushes += p.type == hc::push_type::technician ? 1 : 0;
  CHECK(technician_pushes == 3);
  CHECK(pushed.back().data["technician"]["checklist"]["done"] == 2);
  auto t = status()["technician"];
  CHECK(t["on_site"] == true);
  CHECK(t["registered"] == true);
  CHECK(t["technician"] == "T-0042 Suzuki");
  CHECK(t["visit_id"] == "V-7");
  CHECK(t["since"] == common::format_rfc3339(now));
  CHECK(t["checklist"]["done"] == 2);
  CHECK(t["checklist"]["ng"] == 1);
  CHECK(t["checklist"]["total"].is_null());
  pushed = s.project({{"d1", "U1", now + 3000, common::technician_visit{false, "V-7", "T"}}});
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0].data["technician"]["on_site"] == false);
  CHECK(status()["technician"]["on_site"] == false);
  // In inspection mode with no visit open: on site, unregistered, since the mode's first row.
  common::run_state insp;
  insp.in_service = false;
  insp.mode = common::car_mode::inspection;
  pushed = s.project({{"d1", "U1", now + 4000, insp}});
  bool announced = false;
  for (const auto& p : pushed) {
    if (p.type == hc::push_type::technician) announced = p.data["technician"]["on_site"] == true;
  }
  CHECK(announced);
  s.view->apply("U1", insp, now + 4000);
  t = status()["technician"];
  CHECK(t["on_site"] == true);
  CHECK(t["registered"] == false);
  CHECK(t["in_inspection_mode"] == true);
  CHECK(t["since"] == common::format_rfc3339(now + 4000));
  CHECK(t["technician"].is_null());
}

TEST_CASE("time zones: IANA names from the system's files, offsets at a moment") {
  const auto winter = common::parse_rfc3339("2026-01-15T12:00:00Z").value();
  const auto summer = common::parse_rfc3339("2026-07-15T12:00:00Z").value();
  CHECK(hc::utc_offset_minutes("Asia/Tokyo", winter) == 540);
  CHECK(hc::utc_offset_minutes("Asia/Tokyo", summer) == 540);
  CHECK(hc::utc_offset_minutes("Europe/Berlin", winter) == 60);
  CHECK(hc::utc_offset_minutes("Europe/Berlin", summer) == 120);
  CHECK(hc::utc_offset_minutes("America/New_York", winter) == -300);
  CHECK(hc::utc_offset_minutes("Asia/Kolkata", summer) == 330);
  CHECK(hc::utc_offset_minutes("UTC", summer) == 0);
  CHECK_FALSE(hc::utc_offset_minutes("Mars/Olympus_Mons", summer));
  CHECK_FALSE(hc::valid_time_zone("../../etc/passwd"));
  CHECK_FALSE(hc::valid_time_zone("/etc/passwd"));
  CHECK_FALSE(hc::valid_time_zone(""));
  CHECK(hc::valid_time_zone("Asia/Tokyo"));
  CHECK(hc::format_utc_offset(540) == "+09:00");
  CHECK(hc::format_utc_offset(-330) == "-05:30");
  CHECK(hc::format_utc_offset(0) == "+00:00");
}

TEST_CASE("buildings: time zone, groups, units with their hoistway and status") {
  stack s;
  auto reg = hc::registry::open(s.f.path(), s.clock);
  REQUIRE(reg);
  CHECK(reg->set_time_zone("B1", "Mars/Base").error().code == common::errc::invalid_argument);
  CHECK(reg->set_time_zone("B9", "Asia/Tokyo").error().code == common::errc::not_found);
  REQUIRE(reg->set_time_zone("B1", "Asia/Tokyo"));
  CHECK(reg->set_layout("U1", {5, {"B1", "1", "2"}}).error().code ==
        common::errc::invalid_argument);  // one label per landing
  CHECK(reg->set_layout("U1", {0, {}}).error().code == common::errc::invalid_argument);
  CHECK(reg->set_layout("U1", {3, {"B1", "1,5", "2"}}).error().code ==
        common::errc::invalid_argument);
  REQUIRE(reg->set_layout("U1", {5, {"B1", "1", "2", "3", "4"}}));
  REQUIRE(reg->set_layout("U2", {5, {}}));
  const auto units = reg->units("C1");
  REQUIRE(units);
  CHECK((*units)[0].floor_labels == std::vector<std::string>{"B1", "1", "2", "3", "4"});

  s.sign_up(true);
  s.f.jar.erase("hw_eservice");
  auto r = s.get("/api/v1/buildings");
  REQUIRE(r.status == 200);
  const auto list = body_of(r)["buildings"];
  REQUIRE(list.size() == 1);  // C1's only
  const auto& b = list[0];
  CHECK(b["building_id"] == "B1");
  CHECK(b["name"] == "Sakura Building");
  CHECK(b["time_zone"] == "Asia/Tokyo");
  CHECK(b["utc_offset"] == "+09:00");
  CHECK(b["utc_offset_minutes"] == 540);
  REQUIRE(b["groups"].size() == 1);
  CHECK(b["groups"][0]["group_id"] == "d1");
  const auto& cars = b["groups"][0]["units"];
  REQUIRE(cars.size() == 3);
  CHECK(cars[0]["unit_id"] == "U1");
  CHECK(cars[0]["landings"] == 5);
  CHECK(cars[0]["floor_labels"][0] == "B1");
  CHECK(cars[0]["status"]["floor"] == 4);
  CHECK(cars[0]["status"]["expected_interval_s"] == 60);
  CHECK(cars[0]["status"]["technician"]["on_site"] == false);
  CHECK(cars[1]["unit_id"] == "U2");
  CHECK(cars[1]["floor_labels"].is_null());
  CHECK(cars[1]["status"]["floor"].is_null());  // no monitoring contract
  CHECK(cars[1]["status"]["technician"].is_null());
  // An eService session sees the buildings without real-time data.
  s.f.jar.erase("hw_portal");
  s.f.sign_in(taro, "newpass123", "Pochi");
  r = s.get("/api/v1/buildings");
  REQUIRE(r.status == 200);
  CHECK(body_of(r)["buildings"][0]["groups"][0]["units"][0]["status"]["floor"].is_null());
}

TEST_CASE("earthquake: each car from seismic stop to awaiting inspection to restored") {
  stack s;
  auto get = [&](const std::string& path) {
    hc::http_request k;
    k.method = "GET";
    k.path = k.target = path;
    k.headers["authorization"] = "Bearer " + s.key_c1.token;
    return s.api->handle(k);
  };
  auto r = get("/api/v1/earthquake");
  REQUIRE(r.status == 200);
  CHECK(body_of(r)["active"] == false);
  CHECK(body_of(r)["buildings"].empty());
  const auto now = s.f.clock().wall_ms();
  common::run_state quake;
  quake.in_service = false;
  quake.mode = common::car_mode::earthquake;
  common::run_state normal;
  normal.in_service = true;
  normal.mode = common::car_mode::normal;
  common::run_state out_of_service;
  out_of_service.in_service = false;
  out_of_service.mode = common::car_mode::out_of_service;
  auto pushed = s.project({{"d1", "U1", now, quake},
                           {"d1", "U1", now, common::earthquake_operation{true, 2}},
                           {"d1", "U4", now, common::earthquake_operation{true, 0}}});
  std::size_t quake_pushes = 0;
  for (const auto& p : pushed) quake_pushes += p.type == hc::push_type::earthquake ? 1 : 0;
  CHECK(quake_pushes == 2);
  r = get("/api/v1/earthquake");
  REQUIRE(r.status == 200);
  auto body = body_of(r);
  CHECK(body["active"] == true);
  REQUIRE(body["buildings"].size() == 1);
  CHECK(body["buildings"][0]["name"] == "Sakura Building");
  REQUIRE(body["buildings"][0]["cars"].size() == 1);  // U4's contract ended: not shown
  CHECK(body["buildings"][0]["cars"][0]["state"] == "seismic_stop");
  CHECK(body["buildings"][0]["cars"][0]["stopped_at"] == common::format_rfc3339(now));
  CHECK(body["buildings"][0]["counts"]["seismic_stop"] == 1);
  // Out of earthquake mode but out of service: awaiting inspection.
  s.project({{"d1", "U1", now + 60'000, out_of_service},
             {"d1", "U1", now + 60'000, common::earthquake_operation{false, 2}}});
  body = body_of(get("/api/v1/earthquake"));
  CHECK(body["buildings"][0]["cars"][0]["state"] == "awaiting_inspection");
  CHECK(body["buildings"][0]["cars"][0]["awaiting_inspection_at"] ==
        common::format_rfc3339(now + 60'000));
  CHECK(body["active"] == true);
  // Back in normal service: restored.
  pushed = s.project({{"d1", "U1", now + 120'000, normal}});
  bool restored = false;
  for (const auto& p : pushed) {
    if (p.type == hc::push_type::earthquake) restored = p.data["state"] == "restored";
  }
  CHECK(restored);
  body = body_of(get("/api/v1/earthquake"));
  CHECK(body["buildings"][0]["cars"][0]["state"] == "restored");
  CHECK(body["buildings"][0]["cars"][0]["restored_at"] == common::format_rfc3339(now + 120'000));
  CHECK(body["active"] == false);
  // A car back in normal service as the operation ends is restored at once.
  s.project({{"d1", "U1", now + 200'000, quake},
             {"d1", "U1", now + 200'000, common::earthquake_operation{true, 1}},
             {"d1", "U1", now + 260'000, normal},
             {"d1", "U1", now + 260'000, common::earthquake_operation{false, 1}}});
  body = body_of(get("/api/v1/earthquake"));
  CHECK(body["buildings"][0]["cars"][0]["state"] == "restored");
  CHECK(body["buildings"][0]["cars"][0]["stopped_at"] == common::format_rfc3339(now + 200'000));
  hc::http_request bad;
  bad.method = "GET";
  bad.path = bad.target = "/api/v1/earthquake";
  bad.query["days"] = "0";
  bad.headers["authorization"] = "Bearer " + s.key_c1.token;
  CHECK(s.api->handle(bad).status == 400);
  // eService: no real-time data.
  s.sign_up(false);
  CHECK(s.get("/api/v1/earthquake").status == 403);
}
