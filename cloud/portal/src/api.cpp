// Routes of the portal API.
#include "hoistway/cloud/portal/api.hpp"

#include <charconv>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/registry/time_zone.hpp"
#include "hoistway/common/crypto.hpp"
#include "hoistway/common/record_json.hpp"

namespace hoistway::cloud {

using nlohmann::json;

http_response problem(unsigned status, std::string_view title, std::string_view detail) {
  json body = {{"type", "about:blank"}, {"title", title}, {"status", status}};
  if (!detail.empty()) body["detail"] = detail;
  return {status, "application/problem+json", body.dump(), {}, nullptr};
}

http_response method_not_allowed(std::string_view allow) {
  auto r = problem(405, "Method Not Allowed", "this route takes " + std::string(allow));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

json unit_status_json(const unit_view& v, const unit_entry* entry) {
  json out = {
      {"unit_id", v.unit_id},
      {"online", v.device_online},
      {"last_seen_at", v.last_seen_ms > 0 ? json(common::format_rfc3339(v.last_seen_ms)) : json()}};
  if (entry != nullptr) {
    out["name"] = entry->name;
    out["building_id"] = entry->building_id;
    out["monitored"] = entry->monitored;
  }
  if (v.state) {
    const auto& s = *v.state;
    out["in_service"] = s.in_service;
    out["mode"] = common::to_string(s.mode);
    out["floor"] = s.floor;
    out["direction"] = common::to_string(s.dir);
    out["door"] = common::to_string(s.door);
    out["load_kg"] = s.load_kg;
    out["position_mm"] = s.position_mm;
    out["speed_mm_s"] = s.speed_mm_s;
    out["alarm"] = s.alarm;
    out["fault_codes"] = s.fault_codes;
    out["updated_at"] = common::format_rfc3339(v.updated_ms);
  } else {
    for (const auto* key : {"in_service", "mode", "floor", "direction", "door", "load_kg",
                            "position_mm", "speed_mm_s", "alarm", "updated_at"}) {
      out[key] = nullptr;
    }
    out["fault_codes"] = json::array();
  }
  return out;
}

namespace {

http_response ok_json(const json& body) {
  return {200, "application/json", body.dump(), {}, nullptr};
}

bool is_read(const http_request& r) { return r.method == "GET" || r.method == "HEAD"; }
constexpr std::string_view read_methods = "GET, HEAD";

std::string query(const http_request& r, const std::string& key) {
  const auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

// from/to as RFC 3339; defaults: the last 24 hours. At most 400 days.
std::expected<time_range, std::string> parse_range(const http_request& r, std::int64_t now,
                                                   std::int64_t default_span_ms) {
  time_range range{now - default_span_ms, now};
  const auto from = query(r, "from");
  const auto to = query(r, "to");
  if (!to.empty()) {
    auto t = common::parse_rfc3339(to);
    if (!t) return std::unexpected("'to' is not an RFC 3339 time");
    range.to_ms = *t;
    if (from.empty()) range.from_ms = range.to_ms - default_span_ms;
  }
  if (!from.empty()) {
    auto f = common::parse_rfc3339(from);
    if (!f) return std::unexpected("'from' is not an RFC 3339 time");
    range.from_ms = *f;
  }
  if (range.to_ms <= range.from_ms) return std::unexpected("'from' must be before 'to'");
  if (range.to_ms - range.from_ms > 400LL * 86'400'000) {
    return std::unexpected("the range may span at most 400 days");
  }
  return range;
}

std::optional<long long> parse_int(const std::string& text) {
  long long value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// ?limit: 1 to 1000, default 100; nullopt if out of range or not a number.
std::optional<std::size_t> parse_limit(const http_request& r) {
  const auto text = query(r, "limit");
  if (text.empty()) return 100;
  const auto n = parse_int(text);
  if (!n || *n < 1 || *n > 1000) return std::nullopt;
  return static_cast<std::size_t>(*n);
}

// "+09:00" / "-05:30" / "Z" → minutes.
std::optional<int> parse_offset(const std::string& text) {
  if (text.empty() || text == "Z" || text == "z") return 0;
  auto digit = [&text](std::size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':' || !digit(1) ||
      !digit(2) || !digit(4) || !digit(5)) {
    return std::nullopt;
  }
  const auto h = parse_int(text.substr(1, 2));
  const auto m = parse_int(text.substr(4, 2));
  if (!h || !m || *h > 14 || *m > 59) return std::nullopt;
  return static_cast<int>((text[0] == '-' ? -1 : 1) * (*h * 60 + *m));
}

// A loopback peer that is not relaying for someone else (a reverse proxy on the same host sets
// one of these headers; without them the peer is a local process).
bool local_peer(const http_request& r) {
  const auto& a = r.remote_address;
  const bool loopback = a.starts_with("127.") || a == "::1";
  return loopback && r.header("forwarded").empty() && r.header("x-forwarded-for").empty() &&
         r.header("x-real-ip").empty();
}

// What the stream says about itself, beside the bus's records (named by push_type): the caller
// may read no more (`end`), events were missed (`reset`), a unit left the stream
// (`unit_removed`). cloud/openapi.yaml names the same.
enum class stream_notice : std::uint8_t { end, reset, unit_removed };

std::string_view to_string(stream_notice notice) noexcept {
  switch (notice) {
    case stream_notice::end:
      return "end";
    case stream_notice::reset:
      return "reset";
    case stream_notice::unit_removed:
      return "unit_removed";
  }
  return "unknown";
}

// One Server-Sent Event of type `type` (a push_type or a stream_notice) with one line of data.
template <typename Type>
std::string sse_event(Type type, std::string_view data, std::optional<std::uint64_t> id = {}) {
  std::string out;
  if (id) out += "id: " + std::to_string(*id) + "\n";
  out += "event: " + std::string(to_string(type)) + "\ndata: " + std::string(data) + "\n\n";
  return out;
}

// The push stream of one caller: status and alert events of the units its customer has a
// monitoring contract for, re-checked at every take() against the directory's cached snapshot
// (take() runs on the connection's I/O strand: memory only).
class sse_stream final : public http_stream {
 public:
  sse_stream(std::shared_ptr<event_bus> bus, std::shared_ptr<directory> dir, caller who,
             std::shared_ptr<api_counters> counters, std::shared_ptr<void> slot,
             std::uint64_t cursor, bool resumed, std::function<bool()> session_alive)
      : session_alive_(std::move(session_alive)),
        bus_(std::move(bus)),
        dir_(std::move(dir)),
        who_(std::move(who)),
        counters_(std::move(counters)),
        slot_(std::move(slot)),
        cursor_(cursor),
        resumed_(resumed) {}

  void start(std::function<void()> notify) override { watch_ = bus_->watch(std::move(notify)); }

  bool finished() const override { return finished_; }

  std::string take() override {
    if (finished_) return {};
    std::string out;
    if (!greeted_) {
      greeted_ = true;
      out += "retry: 2000\n\n";
    }
    const auto snap = dir_->cached();
    if (who_.is_session() ? !session_alive_() : !snap->key_active(who_)) {
      // Nothing more for a revoked key or an ended session: the last words, and the server
      // closes the connection.
      finished_ = true;
      if (who_.is_session()) {
        ++counters_->streams_signed_out;
        out +=
            sse_event(stream_notice::end, R"({"reason":"the session was signed out or expired"})");
      } else {
        ++counters_->streams_revoked;
        out += sse_event(stream_notice::end, R"({"reason":"the API key was revoked"})");
      }
      return out;
    }
    if (snap != snapshot_) units_from(snap, out);
    bool missed = false;
    std::uint64_t scanned = cursor_;
    const auto events = bus_->after(
        cursor_, [this](const std::string& u) { return units_.contains(u); }, 512, &missed,
        &scanned);
    if (missed && resumed_) {
      // The client asked to resume from an event that has left the ring: tell it to reload.
      out +=
          sse_event(stream_notice::reset, R"({"reason":"events were missed; reload the state"})");
    }
    resumed_ = false;
    for (const auto& e : events) {
      out += sse_event(e.type, e.data, e.id);
    }
    cursor_ = scanned;
    return out;
  }

 private:
  // The units the stream carries, again from a new snapshot (at most once a load, not per
  // event); a unit that left (contract ended, unit moved) is announced once.
  void units_from(std::shared_ptr<const directory::snapshot> snap, std::string& out) {
    std::set<std::string> now;
    for (const auto& [id, unit] : snap->units) {
      if (snap->monitored_for(who_.customer_id, id)) now.insert(id);
    }
    for (const auto& gone : units_) {
      if (now.contains(gone)) continue;
      ++counters_->stream_units_ended;
      out += sse_event(
          stream_notice::unit_removed,
          json{{"unit_id", gone}, {"reason", "the unit has no monitoring contract now"}}.dump());
    }
    units_ = std::move(now);
    snapshot_ = std::move(snap);
  }

  std::function<bool()> session_alive_;  // a session's stream: memory-only re-check
  std::shared_ptr<event_bus> bus_;
  std::shared_ptr<directory> dir_;
  caller who_;
  std::shared_ptr<api_counters> counters_;
  std::shared_ptr<void> slot_;  // this stream's place under the caps
  std::shared_ptr<const directory::snapshot> snapshot_;
  std::set<std::string> units_;
  std::uint64_t cursor_;
  bool resumed_;
  bool greeted_ = false;
  bool finished_ = false;
  std::shared_ptr<void> watch_;
};

}  // namespace

// Open event streams per API key and in total. Entries exist only for keys with open streams,
// so the map holds at most max_streams keys.
struct api::stream_slots {
  std::mutex mutex;
  std::size_t total = 0;
  std::map<std::string, std::size_t> per_key;
};

api::api(api_context context)
    : ctx_(std::move(context)), slots_(std::make_shared<stream_slots>()) {}

http_lane api::lane_of(const http_request& request) const {
  for (const auto& prefix : ctx_.slow_prefixes) {
    if (request.path.starts_with(prefix)) return http_lane::slow;
  }
  return http_lane::fast;
}

std::span<const route_spec> api::routes() {
  static constexpr route_spec table[] = {
      {"GET", "/healthz"},
      {"GET", "/metrics"},
      {"GET", "/openapi.yaml"},
      {"GET", "/api/v1/units"},
      {"GET", "/api/v1/buildings"},
      {"GET", "/api/v1/earthquake"},
      {"GET", "/api/v1/units/{unit_id}/status"},
      {"GET", "/api/v1/units/{unit_id}/events"},
      {"GET", "/api/v1/units/{unit_id}/usage"},
      {"GET", "/api/v1/units/{unit_id}/availability"},
      {"GET", "/api/v1/units/{unit_id}/visits"},
      {"GET", "/api/v1/units/{unit_id}/visits/{visit_id}/report"},
      {"GET", "/api/v1/alerts"},
      {"GET", "/api/v1/alerts/{alert_id}"},
      {"POST", "/api/v1/alerts/{alert_id}/ack"},
      {"GET", "/api/v1/stream"},
  };
  return table;
}

http_response api::handle(const http_request& request) const {
  const auto& path = request.path;
  if (path == "/healthz") return is_read(request) ? healthz() : method_not_allowed(read_methods);
  if (path == "/metrics") {
    if (auto refused = refuse_metrics(request, true)) return std::move(*refused);
    return is_read(request) ? metrics() : method_not_allowed(read_methods);
  }
  if (path == "/openapi.yaml")
    return is_read(request) ? openapi() : method_not_allowed(read_methods);
  for (const auto& module : ctx_.modules) {
    if (auto response = module(request)) return std::move(*response);
  }
  if (path.starts_with("/api/v1/")) {
    // A request that sends a key is taken by its key; without one, by its session cookie.
    const bool sends_key =
        !request.header("authorization").empty() || !request.header("x-api-key").empty();
    if (!sends_key && ctx_.session) {
      auto session = ctx_.session(request);
      switch (session.outcome) {
        case session_check::signed_in:
          return route_v1(request, session.who);
        case session_check::refused: {
          ++counters_->sessions_refused;
          auto r =
              problem(401, "Unauthorized",
                      session.detail.empty() ? "the session is not signed in" : session.detail);
          r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hoistway\"");
          return r;
        }
        case session_check::unavailable: {
          ++counters_->sessions_unavailable;
          auto r = problem(503, "Service Unavailable",
                           "the session cannot be checked now; try again in a moment");
          r.headers.emplace_back("Retry-After", "5");
          return r;
        }
        case session_check::none:
          break;
      }
    }
    auto who = ctx_.dir->authenticate(request.header("authorization"), request.header("x-api-key"));
    if (!who) {
      ++counters_->unauthenticated;
      auto r = problem(401, "Unauthorized",
                       who.error() == auth_failure::missing
                           ? "send an API key (Authorization: Bearer hwk_…) or sign in"
                           : "the API key is malformed, unknown or revoked");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"hoistway\"");
      return r;
    }
    return route_v1(request, *who);
  }
  ++counters_->not_found;
  return problem(404, "Not Found", "no route for " + path);
}

http_response api::metrics_listener(const http_request& request) const {
  if (request.path != "/metrics") {
    ++counters_->not_found;
    return problem(404, "Not Found", "this listener serves /metrics only");
  }
  if (auto refused = refuse_metrics(request, false)) return std::move(*refused);
  return is_read(request) ? metrics() : method_not_allowed(read_methods);
}

std::optional<http_response> api::refuse_metrics(const http_request& request, bool main) const {
  if (main && !ctx_.metrics_on_main) {
    ++counters_->metrics_refused;
    return problem(404, "Not Found", "no route for /metrics");
  }
  if (!ctx_.metrics_token.empty()) {
    static constexpr std::string_view bearer = "Bearer ";
    const auto authorization = request.header("authorization");
    const auto given = authorization.starts_with(bearer)
                           ? std::string_view(authorization).substr(bearer.size())
                           : std::string_view();
    // Digests of equal length, so the comparison says nothing about the token's length.
    const auto want = common::crypto::sha256(common::crypto::as_bytes(ctx_.metrics_token));
    const auto got = common::crypto::sha256(common::crypto::as_bytes(given));
    if (!common::crypto::constant_time_equal(want, got)) {
      ++counters_->metrics_refused;
      auto r = problem(401, "Unauthorized", "/metrics needs Authorization: Bearer <metrics token>");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"metrics\"");
      return r;
    }
    return std::nullopt;
  }
  // A listener of its own is reachable from wherever the operator chose to bind it.
  if (!main || local_peer(request)) return std::nullopt;
  ++counters_->metrics_refused;
  return problem(403, "Forbidden",
                 "/metrics is served to local peers only: set [http] metrics_token_file or "
                 "metrics_listen to read it from elsewhere");
}

http_response api::refuse_role(const caller& who) const {
  ++counters_->role_refused;
  return problem(403, "Forbidden",
                 std::string("a ") + std::string(to_string(who.kind)) +
                     " session does not see real-time data: sign in to the customer portal");
}

std::optional<http_response> api::refuse_csrf(const http_request& request,
                                              const caller& who) const {
  if (!who.is_session()) return std::nullopt;  // a key is not sent by a browser on its own
  const auto header = request.header("x-csrf-token");
  const auto cookie = request.cookie("hw_csrf");
  if (!header.empty() && cookie.size() == header.size() &&
      common::crypto::constant_time_equal(common::crypto::as_bytes(header),
                                          common::crypto::as_bytes(cookie))) {
    return std::nullopt;
  }
  ++counters_->csrf_refused;
  return problem(403, "Forbidden",
                 "missing or wrong CSRF token: send the hw_csrf cookie's value in X-CSRF-Token");
}

http_response api::route_v1(const http_request& request, const caller& who) const {
  const std::string_view path = request.path;
  // An eService session sees units, visits and reports; nothing real-time.
  const bool real_time = who.kind != caller_kind::eservice_session;
  if (path == "/api/v1/units")
    return is_read(request) ? units(who) : method_not_allowed(read_methods);
  if (path == "/api/v1/buildings")
    return is_read(request) ? buildings(who) : method_not_allowed(read_methods);
  if (path == "/api/v1/earthquake") {
    if (!is_read(request)) return method_not_allowed(read_methods);
    return real_time ? earthquake(request, who) : refuse_role(who);
  }
  if (path == "/api/v1/alerts") {
    if (!is_read(request)) return method_not_allowed(read_methods);
    return real_time ? alerts(request, who) : refuse_role(who);
  }
  if (path == "/api/v1/stream") {
    if (!is_read(request)) return method_not_allowed(read_methods);
    return real_time ? stream(request, who) : refuse_role(who);
  }
  static constexpr std::string_view alerts_prefix = "/api/v1/alerts/";
  if (path.starts_with(alerts_prefix) && path.ends_with("/ack")) {
    if (request.method != "POST") return method_not_allowed("POST");
    if (!real_time) return refuse_role(who);
    if (auto refused = refuse_csrf(request, who)) return std::move(*refused);
    const auto id = path.substr(alerts_prefix.size(), path.size() - alerts_prefix.size() - 4);
    return ack_alert(request, who, id);
  }
  if (path.starts_with(alerts_prefix) && path.size() > alerts_prefix.size() &&
      path.find('/', alerts_prefix.size()) == std::string_view::npos) {
    if (!is_read(request)) return method_not_allowed(read_methods);
    if (!real_time) return refuse_role(who);
    return alert(who, path.substr(alerts_prefix.size()));
  }
  static constexpr std::string_view units_prefix = "/api/v1/units/";
  if (path.starts_with(units_prefix)) {
    const auto rest = path.substr(units_prefix.size());
    const auto slash = rest.find('/');
    if (slash != std::string_view::npos && slash > 0) {
      const auto unit = ctx_.dir->unit_of(who.customer_id, std::string(rest.substr(0, slash)));
      if (!unit) {
        ++counters_->not_found;
        return problem(404, "Not Found", "no unit " + std::string(rest.substr(0, slash)));
      }
      if (!is_read(request)) return method_not_allowed(read_methods);
      return unit_route(request, who, *unit, rest.substr(slash + 1));
    }
  }
  ++counters_->not_found;
  return problem(404, "Not Found", "no route for " + request.path);
}

common::result<json> api::unit_json(const unit_entry& entry, const caller& who,
                                    std::int64_t now) const {
  auto v = ctx_.view->unit(entry.unit_id, now)
               .value_or(unit_view{entry.unit_id, {}, 0, {}, 0, 0, false});
  const bool real_time = entry.monitored && who.kind != caller_kind::eservice_session;
  if (!real_time) {
    // Without a monitoring contract (or to an eService session) the unit is listed, but shows
    // no real-time data.
    v.state.reset();
    v.device_online = false;
    v.last_seen_ms = 0;
  }
  auto out = unit_status_json(v, &entry);
  // How long silence is normal (the agents' snapshot period): a page marks a tile stale by itself
  // when updated_at is older than this (and says so).
  out["expected_interval_s"] = ctx_.expected_interval_s;
  if (!real_time) {
    out["technician"] = nullptr;
    return out;
  }
  auto t = technician_of(v);
  if (!t) return std::unexpected(t.error());
  out["technician"] = std::move(*t);
  return out;
}

http_response api::units(const caller& who) const {
  const auto now = ctx_.clock->wall_ms();
  json list = json::array();
  for (const auto& entry : ctx_.dir->units_of(who.customer_id)) {
    auto out = unit_json(entry, who, now);
    if (!out) return problem(500, "Internal Server Error", out.error().message);
    list.push_back(std::move(*out));
  }
  return ok_json({{"units", list}});
}

http_response api::buildings(const caller& who) const {
  const auto now = ctx_.clock->wall_ms();
  auto found = ctx_.db->buildings(who.customer_id);
  if (!found) return problem(500, "Internal Server Error", found.error().message);
  std::map<std::string, unit_entry> entries;
  for (auto& e : ctx_.dir->units_of(who.customer_id)) entries.emplace(e.unit_id, std::move(e));
  json list = json::array();
  for (auto& b : *found) {
    const auto zone = b["time_zone"].get<std::string>();
    json offset_text;  // null: no time zone set (or the system does not know it any more)
    json offset_minutes;
    if (!zone.empty()) {
      if (const auto minutes = utc_offset_minutes(zone, now)) {
        offset_text = format_utc_offset(*minutes);
        offset_minutes = *minutes;
      }
    }
    json building = {
        {"building_id", b["building_id"]}, {"name", b["name"]},
        {"address", b["address"]},         {"time_zone", zone.empty() ? json() : json(zone)},
        {"utc_offset", offset_text},       {"utc_offset_minutes", offset_minutes}};
    // A group is the cars one controller (one device) dispatches together.
    json groups = json::array();
    for (auto& u : b["units"]) {
      const auto id = u["unit_id"].get<std::string>();
      const auto entry = entries.find(id);
      if (entry == entries.end()) continue;  // not in the directory's snapshot yet
      const auto device = u["device_id"].get<std::string>();
      if (groups.empty() || groups.back()["group_id"] != device)
        groups.push_back({{"group_id", device}, {"units", json::array()}});
      auto status = unit_json(entry->second, who, now);
      if (!status) return problem(500, "Internal Server Error", status.error().message);
      const auto landings = u["landings"].get<std::int64_t>();
      groups.back()["units"].push_back(
          {{"unit_id", id},
           {"name", u["name"]},
           {"car", u["car"]},
           {"landings", landings > 0 ? json(landings) : json()},
           {"floor_labels", u["floor_labels"].empty() ? json() : u["floor_labels"]},
           {"monitored", entry->second.monitored},
           {"status", std::move(*status)}});
    }
    building["groups"] = std::move(groups);
    list.push_back(std::move(building));
  }
  return ok_json({{"buildings", list}});
}

http_response api::earthquake(const http_request& request, const caller& who) const {
  const auto now = ctx_.clock->wall_ms();
  // Restorations whose seismic stop is within the last `days` (default 7, at most 400).
  std::int64_t days = 7;
  if (const auto text = query(request, "days"); !text.empty()) {
    const auto n = parse_int(text);
    if (!n || *n < 1 || *n > 400) {
      ++counters_->bad_requests;
      return problem(400, "Bad Request", "'days' must be 1 to 400");
    }
    days = *n;
  }
  std::map<std::string, unit_entry> entries;
  std::vector<std::string> ids;
  for (auto& e : ctx_.dir->units_of(who.customer_id)) {
    if (!e.monitored) continue;
    ids.push_back(e.unit_id);
    entries.emplace(e.unit_id, std::move(e));
  }
  auto rows = ctx_.db->restorations(ids, now - days * 86'400'000);
  if (!rows) return problem(500, "Internal Server Error", rows.error().message);
  auto names = ctx_.db->buildings(who.customer_id);
  if (!names) return problem(500, "Internal Server Error", names.error().message);
  std::map<std::string, json> by_building;
  bool active = false;
  for (auto& car : *rows) {
    const auto& entry = entries.at(car["unit_id"].get<std::string>());
    car["name"] = entry.name;
    const auto state = car["state"].get<std::string>();
    active = active || state != "restored";
    auto& b = by_building[entry.building_id];
    if (b.is_null()) {
      b = {{"building_id", entry.building_id},
           {"name", ""},
           {"counts", {{"seismic_stop", 0}, {"awaiting_inspection", 0}, {"restored", 0}}},
           {"cars", json::array()}};
      for (const auto& n : *names) {
        if (n["building_id"] == entry.building_id) b["name"] = n["name"];
      }
    }
    b["counts"][state] = b["counts"][state].get<std::int64_t>() + 1;
    b["cars"].push_back(std::move(car));
  }
  json buildings = json::array();
  for (auto& [id, b] : by_building) buildings.push_back(std::move(b));
  return ok_json({{"active", active}, {"buildings", buildings}});
}

common::result<json> api::technician_of(const unit_view& v) const {
  const bool inspection = v.state && v.state->mode == common::car_mode::inspection;
  return ctx_.db->technician(v.unit_id, inspection);
}

http_response api::unit_route(const http_request& request, const caller& who,
                              const unit_entry& unit, std::string_view rest) const {
  const auto now = ctx_.clock->wall_ms();
  static constexpr std::string_view visits_prefix = "visits/";
  if (rest == "visits") {
    auto visits = ctx_.db->visits(unit.unit_id, 200);
    if (!visits) return problem(500, "Internal Server Error", visits.error().message);
    return ok_json(*visits);
  }
  if (rest.starts_with(visits_prefix) && rest.ends_with("/report")) {
    const auto visit_id =
        std::string(rest.substr(visits_prefix.size(), rest.size() - visits_prefix.size() - 7));
    auto report = ctx_.db->visit_report(unit.unit_id, visit_id);
    if (!report) return problem(500, "Internal Server Error", report.error().message);
    if (!*report) return problem(404, "Not Found", "no visit " + visit_id + " for this unit");
    const bool html = query(request, "format") == "html" ||
                      (query(request, "format").empty() &&
                       request.header("accept").find("text/html") != std::string::npos);
    // The printable report styles itself inline and runs no script.
    if (html)
      return {200,
              "text/html; charset=utf-8",
              visit_report_html(**report),
              {{"Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"}},
              nullptr};
    return ok_json(**report);
  }
  if (who.kind == caller_kind::eservice_session) return refuse_role(who);
  if (!unit.monitored) {
    return problem(403, "Forbidden", "unit " + unit.unit_id + " has no monitoring contract");
  }
  if (rest == "status") {
    auto out = unit_json(unit, who, now);
    if (!out) return problem(500, "Internal Server Error", out.error().message);
    return ok_json(*out);
  }
  auto range = parse_range(request, now, 86'400'000);
  if (!range) {
    ++counters_->bad_requests;
    return problem(400, "Bad Request", range.error());
  }
  if (rest == "events") {
    const auto limit = parse_limit(request);
    if (!limit) {
      ++counters_->bad_requests;
      return problem(400, "Bad Request", "'limit' must be 1 to 1000");
    }
    static const std::set<std::string> kinds = {
        "trip",           "door_cycle",   "fault",      "entrapment",
        "mode_change",    "power_change", "earthquake", "technician_visit",
        "checklist_item", "usage_rollup", "clock_jump", "outbox_drop"};
    const auto type = query(request, "type");
    if (!type.empty() && !kinds.contains(type)) {
      ++counters_->bad_requests;
      return problem(400, "Bad Request", "unknown event type '" + type + "'");
    }
    auto page = ctx_.db->events(unit.unit_id, *range, type, *limit, query(request, "cursor"));
    if (!page) {
      ++counters_->bad_requests;
      return problem(page.error().code == common::errc::invalid_argument ? 400 : 500,
                     page.error().code == common::errc::invalid_argument ? "Bad Request"
                                                                         : "Internal Server Error",
                     page.error().message);
    }
    return ok_json({{"unit_id", unit.unit_id},
                    {"events", page->events},
                    {"next_cursor", page->next_cursor ? json(*page->next_cursor) : json()}});
  }
  if (rest == "usage") {
    const auto size_text = query(request, "bucket");
    if (!size_text.empty() && size_text != "hour" && size_text != "day") {
      ++counters_->bad_requests;
      return problem(400, "Bad Request", "'bucket' is hour or day");
    }
    const auto offset = parse_offset(query(request, "utc_offset"));
    if (!offset) {
      ++counters_->bad_requests;
      return problem(400, "Bad Request", "'utc_offset' is like +09:00");
    }
    const auto size = size_text == "day" ? bucket::day : bucket::hour;
    auto usage = ctx_.db->usage(unit.unit_id, *range, size, *offset);
    if (!usage) return problem(500, "Internal Server Error", usage.error().message);
    return ok_json(*usage);
  }
  if (rest == "availability") {
    auto availability = ctx_.db->availability(unit.unit_id, *range, ctx_.max_status_gap.count());
    if (!availability) return problem(500, "Internal Server Error", availability.error().message);
    return ok_json(*availability);
  }
  ++counters_->not_found;
  return problem(404, "Not Found", "no route for " + request.path);
}

std::vector<std::string> api::monitored_units(const caller& who) const {
  std::vector<std::string> ids;
  for (const auto& u : ctx_.dir->units_of(who.customer_id)) {
    if (u.monitored) ids.push_back(u.unit_id);
  }
  return ids;
}

http_response api::alerts(const http_request& request, const caller& who) const {
  auto bad = [this](std::string_view detail) {
    ++counters_->bad_requests;
    return problem(400, "Bad Request", detail);
  };
  queries::alert_filter filter;
  filter.state = query(request, "state");
  if (!filter.state.empty() && filter.state != "open" && filter.state != "raised" &&
      filter.state != "acknowledged" && filter.state != "cleared") {
    return bad("'state' is open, raised, acknowledged or cleared");
  }
  filter.kind = query(request, "kind");
  if (!filter.kind.empty() && filter.kind != "entrapment" && filter.kind != "out_of_service" &&
      filter.kind != "fault" && filter.kind != "earthquake" && filter.kind != "device_offline") {
    return bad("'kind' is entrapment, out_of_service, fault, earthquake or device_offline");
  }
  const auto limit = parse_limit(request);
  if (!limit) return bad("'limit' must be 1 to 1000");
  filter.limit = *limit;
  if (!query(request, "from").empty() || !query(request, "to").empty()) {
    auto range = parse_range(request, ctx_.clock->wall_ms(), 86'400'000);
    if (!range) return bad(range.error());
    filter.range = *range;
  }
  filter.cursor = query(request, "cursor");
  if (filter.cursor.size() > 64) return bad("'cursor' is not a cursor this API gave");
  std::vector<std::string> ids;
  const auto unit = query(request, "unit_id");
  if (!unit.empty()) {
    const auto entry = ctx_.dir->unit_of(who.customer_id, unit);
    if (!entry) {
      ++counters_->not_found;
      return problem(404, "Not Found", "no unit " + unit);
    }
    if (entry->monitored) ids.push_back(unit);
  } else {
    ids = monitored_units(who);
  }
  auto list = ctx_.db->alerts(ids, filter);
  if (!list) {
    if (list.error().code == common::errc::invalid_argument) return bad(list.error().message);
    return problem(500, "Internal Server Error", list.error().message);
  }
  return ok_json(*list);
}

http_response api::alert(const caller& who, std::string_view id) const {
  const auto alert_id = parse_int(std::string(id));
  if (!alert_id) {
    ++counters_->not_found;
    return problem(404, "Not Found", "no alert " + std::string(id));
  }
  auto found = ctx_.db->alert(monitored_units(who), *alert_id);
  if (!found) return problem(500, "Internal Server Error", found.error().message);
  if (!*found) {
    ++counters_->not_found;
    return problem(404, "Not Found", "no alert " + std::string(id));
  }
  return ok_json(**found);
}

namespace {

// A comment is for people: at most 500 characters of valid UTF-8, no control characters but
// line breaks and tabs. Empty if none was sent; the reason if it is refused.
std::expected<std::string, std::string> ack_comment(const http_request& request) {
  if (request.body.empty()) return std::string();
  const auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return std::unexpected("the body must be one JSON object");
  const auto it = body.find("comment");
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return std::unexpected("'comment' must be a string");
  const auto& text = it->get_ref<const std::string&>();
  // nlohmann's parser has checked the UTF-8 already; count characters, refuse controls.
  std::size_t chars = 0;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c & 0xC0U) != 0x80U) ++chars;
    if ((c < 0x20U && ch != '\n' && ch != '\t' && ch != '\r') || c == 0x7FU)
      return std::unexpected("'comment' holds a control character");
  }
  if (chars > 500) return std::unexpected("'comment' may be at most 500 characters");
  return text;
}

}  // namespace

http_response api::ack_alert(const http_request& request, const caller& who,
                             std::string_view id) const {
  const auto alert_id = parse_int(std::string(id));
  if (!alert_id) {
    ++counters_->not_found;
    return problem(404, "Not Found", "no alert " + std::string(id));
  }
  auto comment = ack_comment(request);
  if (!comment) {
    ++counters_->bad_requests;
    return problem(400, "Bad Request", comment.error());
  }
  queries::acknowledger by;
  by.kind = std::string(to_string(who.kind));
  by.by = who.is_session() ? who.name : who.key_id;
  by.email = who.email;
  auto acked = ctx_.db->acknowledge_alert(monitored_units(who), *alert_id, by, *comment);
  if (!acked) {
    if (acked.error().code == common::errc::conflict)
      return problem(409, "Conflict", acked.error().message);
    return problem(500, "Internal Server Error", acked.error().message);
  }
  if (!*acked) {
    ++counters_->not_found;
    return problem(404, "Not Found", "no alert " + std::string(id));
  }
  // The acknowledgement is itself an alert change that stream clients see.
  ctx_.bus->publish((**acked)["unit_id"].get<std::string>(), push_type::alert, (**acked).dump());
  return ok_json(**acked);
}

http_response api::stream(const http_request& request, const caller& who) const {
  std::uint64_t cursor = ctx_.bus->last_id();
  bool resumed = false;
  const auto last = request.header("last-event-id");
  if (!last.empty()) {
    const auto id = parse_int(last);
    if (!id || *id < 0) {
      ++counters_->bad_requests;
      return problem(400, "Bad Request", "Last-Event-ID is not an event id");
    }
    cursor = static_cast<std::uint64_t>(*id);
    resumed = true;
  }
  auto too_many = [](std::string_view detail) {
    auto r = problem(429, "Too Many Requests", detail);
    r.headers.emplace_back("Retry-After", "30");
    return r;
  };
  {
    std::lock_guard lock(slots_->mutex);
    if (slots_->total >= ctx_.max_streams) {
      ++counters_->streams_refused_total;
      return too_many("the server has " + std::to_string(ctx_.max_streams) +
                      " event streams open, its maximum");
    }
    const auto it = slots_->per_key.find(who.key_id);
    const std::size_t open = it == slots_->per_key.end() ? 0 : it->second;
    if (open >= ctx_.max_streams_per_key) {
      ++counters_->streams_refused_per_key;
      return too_many(std::string(who.is_session() ? "this session" : "this API key") + " has " +
                      std::to_string(ctx_.max_streams_per_key) +
                      " event streams open, its maximum: close one first");
    }
    ++slots_->per_key[who.key_id];
    ++slots_->total;
  }
  // Given back when the stream goes (or its response is dropped unsent).
  std::shared_ptr<void> slot(nullptr, [slots = slots_, key = who.key_id](void*) {
    std::lock_guard lock(slots->mutex);
    --slots->total;
    const auto it = slots->per_key.find(key);
    if (it != slots->per_key.end() && --it->second == 0) slots->per_key.erase(it);
  });
  http_response r;
  r.content_type = "text/event-stream";
  std::function<bool()> alive;
  if (who.is_session()) {
    if (ctx_.watch_session) alive = ctx_.watch_session(who);
    if (!alive) {
      // No watcher: the session still ends its stream when it expires.
      alive = [clock = ctx_.clock, until = who.session_expires_ms] {
        return clock->wall_ms() < until;
      };
    }
  }
  r.stream = std::make_shared<sse_stream>(ctx_.bus, ctx_.dir, who, counters_, std::move(slot),
                                          cursor, resumed, std::move(alive));
  return r;
}

http_response api::healthz() const {
  const bool broker = !ctx_.broker_connected || ctx_.broker_connected();
  json body = {{"status", broker ? "ok" : "degraded"}, {"broker_connected", broker}};
  return {broker ? 200U : 503U, "application/json", body.dump(), {}, nullptr};
}

http_response api::openapi() const {
  if (ctx_.openapi_yaml.empty())
    return problem(404, "Not Found", "no OpenAPI description built in");
  return {200, "application/yaml", std::string(ctx_.openapi_yaml), {}, nullptr};
}

http_response api::metrics() const {
  std::string out;
  auto header = [&out](std::string_view name, std::string_view type, std::string_view help) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " +
           std::string(name) + " " + std::string(type) + "\n";
  };
  auto metric = [&out, &header](std::string_view name, std::string_view type, std::string_view help,
                                std::uint64_t value) {
    header(name, type, help);
    out += std::string(name) + " " + std::to_string(value) + "\n";
  };
  auto gauge = [&out, &header](std::string_view name, std::string_view help, double value) {
    header(name, "gauge", help);
    out += std::string(name) + " " + std::to_string(value) + "\n";
  };
  // A counter with one label: a line per value of an enum, counts[i] named by name_of(i).
  auto by_label = [&out, &header](std::string_view name, std::string_view label,
                                  std::string_view help, const auto& counts, auto name_of) {
    header(name, "counter", help);
    for (std::size_t i = 0; i < counts.size(); ++i) {
      out += std::string(name) + "{" + std::string(label) + "=\"" + std::string(name_of(i)) +
             "\"} " + std::to_string(counts[i].load()) + "\n";
    }
  };
  auto seconds = [](std::uint64_t us) { return static_cast<double>(us) / 1e6; };
  // A summary of durations counted in microseconds.
  auto summary = [&out, &header, &seconds](std::string_view name, std::string_view help,
                                           std::uint64_t sum_us, std::uint64_t count) {
    header(name, "summary", help);
    out += std::string(name) + "_sum " + std::to_string(seconds(sum_us)) + "\n" +
           std::string(name) + "_count " + std::to_string(count) + "\n";
  };
  if (const auto* c = ctx_.ingest ? ctx_.ingest() : nullptr) {
    metric("hoistway_frames_in_total", "counter", "Frames received from the broker.", c->frames_in);
    metric("hoistway_frames_accepted_total", "counter", "Frames that passed every check.",
           c->frames_accepted);
    metric("hoistway_records_stored_total", "counter", "Records stored for the first time.",
           c->records_stored);
    metric("hoistway_records_duplicate_total", "counter", "Records received again and ignored.",
           c->records_duplicate);
    metric("hoistway_records_late_total", "counter",
           "Records stored below a seq their device had delivered before (a gap filled late).",
           c->records_late);
    metric("hoistway_acks_published_total", "counter", "Stored-acks published.", c->acks_published);
    metric("hoistway_store_transactions_total", "counter", "Ingest transactions committed.",
           c->transactions);
    by_label("hoistway_frames_rejected_total", "reason", "Frames rejected, by reason.", c->rejected,
             [](std::size_t r) {
               return common::wire::to_string(static_cast<common::wire::reject_reason>(r));
             });
    metric("hoistway_commands_sent_total", "counter", "Down-link commands signed and published.",
           c->commands_sent);
    metric("hoistway_command_results_total", "counter", "Command results verified and recorded.",
           c->command_results);
    metric("hoistway_command_results_rejected_total", "counter",
           "Command results rejected (bad MAC, unknown device, malformed, no such command).",
           c->command_results_rejected);
    metric("hoistway_presence_accepted_total", "counter", "Signed births and last wills taken.",
           c->presence_accepted);
    metric("hoistway_presence_rejected_total", "counter",
           "Presence messages refused: unsigned, forged, or from an unknown device.",
           c->presence_rejected);
    metric("hoistway_presence_stale_total", "counter",
           "Presence messages from an earlier session than the last taken (replays).",
           c->presence_stale);
    metric("hoistway_alerts_suppressed_total", "counter",
           "Fault alerts not raised: the unit had the most open fault alerts a unit may have.",
           c->alerts_suppressed);
    metric("hoistway_store_failures_total", "counter",
           "Ingest transactions the store failed (disk full, I/O error, locked); each retried.",
           c->store_failures);
    metric("hoistway_messages_discarded_total", "counter",
           "Presences and command results the store refused, neither stored nor kept.",
           c->messages_discarded);
    metric("hoistway_dead_letters_total", "counter", "Rejected messages kept as dead letters.",
           c->dead_letters);
    metric("hoistway_dead_letters_suppressed_total", "counter",
           "Rejected messages only counted: over [ingest] dead_letters_per_s.",
           c->dead_letters_suppressed);
    metric("hoistway_dead_letters_pruned_total", "counter",
           "Dead letters deleted: over dead_letters_max_rows or older than dead_letters_days.",
           c->dead_letters_pruned);
    metric("hoistway_ingest_queue_depth", "gauge", "Frames waiting for the writer.",
           c->queue_depth);
    summary("hoistway_ack_latency_seconds", "Frame arrival to stored-ack publish.",
            c->ack_latency_sum_us, c->ack_latency_count);
    const auto& r = c->retention;
    out += "# HELP hoistway_retention_rows_deleted_total Rows deleted by retention, by table.\n";
    out += "# TYPE hoistway_retention_rows_deleted_total counter\n";
    out += "hoistway_retention_rows_deleted_total{table=\"frames\"} " +
           std::to_string(r.frames_deleted.load()) + "\n";
    out += "hoistway_retention_rows_deleted_total{table=\"records\"} " +
           std::to_string(r.samples_deleted.load()) + "\n";
    out += "hoistway_retention_rows_deleted_total{table=\"status_log\"} " +
           std::to_string(r.status_log_deleted.load()) + "\n";
    metric("hoistway_retention_sweeps_total", "counter", "Retention sweeps completed.", r.sweeps);
    metric("hoistway_retention_sweep_failures_total", "counter",
           "Retention sweeps abandoned on a store error.", r.failures);
    gauge("hoistway_retention_last_sweep_timestamp_seconds",
          "When the last sweep ended (0: none yet).",
          static_cast<double>(r.last_sweep_end_ms.load()) / 1e3);
    gauge("hoistway_retention_last_sweep_duration_seconds", "The last sweep, first step to last.",
          seconds(r.last_sweep_duration_us));
    gauge("hoistway_retention_last_sweep_max_step_seconds",
          "The longest step (ingest waits for at most one) of the last sweep.",
          seconds(r.last_sweep_max_step_us));
    summary("hoistway_retention_step_seconds", "Time in retention steps (write lock held).",
            r.step_sum_us, r.step_count);
    metric("hoistway_store_pages", "gauge", "Pages in the store file, after the last sweep.",
           r.store_pages);
    metric("hoistway_store_free_pages", "gauge",
           "Free pages in the store file (reused by inserts), after the last sweep.",
           r.store_free_pages);
  }
  if (ctx_.http != nullptr) {
    const auto& h = *ctx_.http;
    metric("hoistway_http_requests_total", "counter", "HTTP requests handed to the workers.",
           h.requests);
    by_label("hoistway_http_rejected_total", "reason",
             "HTTP requests the server answered or closed itself, by reason.", h.rejected,
             [](std::size_t i) { return to_string(static_cast<http_reject>(i)); });
    metric("hoistway_http_idle_closed_total", "counter",
           "Keep-alive connections closed after idle_timeout.", h.idle_closed);
    metric("hoistway_http_connections_accepted_total", "counter", "Connections accepted.",
           h.connections_accepted);
    by_label("hoistway_http_connections_refused_total", "reason",
             "Connections closed at once over a cap, by cap.", h.connections_refused,
             [](std::size_t i) { return to_string(static_cast<http_refusal>(i)); });
    metric("hoistway_http_connections_open", "gauge", "Open connections.", h.connections_open);
    metric("hoistway_http_accept_errors_total", "counter",
           "accept() failures (e.g. EMFILE at the descriptor limit), each followed by a back-off.",
           h.accept_errors);
    header("hoistway_http_queue_depth", "gauge", "Requests waiting for a worker, by lane.");
    for (std::size_t l = 0; l < http_lane_count; ++l) {
      out += "hoistway_http_queue_depth{lane=\"" +
             std::string(to_string(static_cast<http_lane>(l))) + "\"} " +
             std::to_string(h.queue_depth[l].load()) + "\n";
    }
    metric("hoistway_http_workers_busy", "gauge", "Workers running a handler.", h.workers_busy);
    header("hoistway_http_queue_wait_seconds", "summary",
           "Time from parsed to picked up by a worker, by lane.");
    for (std::size_t l = 0; l < http_lane_count; ++l) {
      const auto lane = "{lane=\"" + std::string(to_string(static_cast<http_lane>(l))) + "\"} ";
      out += "hoistway_http_queue_wait_seconds_sum" + lane +
             std::to_string(seconds(h.queue_wait_sum_us[l])) + "\n";
      out += "hoistway_http_queue_wait_seconds_count" + lane +
             std::to_string(h.queue_wait_count[l].load()) + "\n";
    }
    metric("hoistway_http_streams_open", "gauge", "Open event streams.", h.streams_open);
    out += "# HELP hoistway_http_request_duration_seconds Handler latency.\n";
    out += "# TYPE hoistway_http_request_duration_seconds histogram\n";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < http_server_stats::bounds.size(); ++i) {
      cumulative += h.latency_buckets[i];
      std::ostringstream le;
      le << http_server_stats::bounds[i];
      out += "hoistway_http_request_duration_seconds_bucket{le=\"" + le.str() + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    cumulative += h.latency_buckets[http_server_stats::bounds.size()];
    out += "hoistway_http_request_duration_seconds_bucket{le=\"+Inf\"} " +
           std::to_string(cumulative) + "\n";
    out += "hoistway_http_request_duration_seconds_sum " +
           std::to_string(static_cast<double>(h.latency_sum_us.load()) / 1e6) + "\n";
    out += "hoistway_http_request_duration_seconds_count " + std::to_string(cumulative) + "\n";
  }
  metric("hoistway_api_unauthenticated_total", "counter", "API requests without a valid key.",
         counters_->unauthenticated);
  metric("hoistway_api_bad_requests_total", "counter", "API requests with invalid parameters.",
         counters_->bad_requests);
  metric("hoistway_api_not_found_total", "counter", "API requests for unknown routes or ids.",
         counters_->not_found);
  metric("hoistway_api_metrics_refused_total", "counter",
         "/metrics requests refused (not a local peer, wrong token, or served elsewhere).",
         counters_->metrics_refused);
  out += "# HELP hoistway_api_streams_refused_total Event streams refused (429), by cap.\n";
  out += "# TYPE hoistway_api_streams_refused_total counter\n";
  out += "hoistway_api_streams_refused_total{reason=\"per_key\"} " +
         std::to_string(counters_->streams_refused_per_key.load()) + "\n";
  out += "hoistway_api_streams_refused_total{reason=\"total\"} " +
         std::to_string(counters_->streams_refused_total.load()) + "\n";
  metric("hoistway_api_streams_revoked_total", "counter",
         "Event streams ended because their API key was revoked.", counters_->streams_revoked);
  metric("hoistway_api_stream_units_ended_total", "counter",
         "Units dropped from open event streams because their monitoring contract ended.",
         counters_->stream_units_ended);
  metric("hoistway_api_sessions_refused_total", "counter",
         "API requests whose session cookie named no signed-in session (401).",
         counters_->sessions_refused);
  metric("hoistway_api_sessions_unavailable_total", "counter",
         "API requests whose session could not be checked (store error; 503).",
         counters_->sessions_unavailable);
  metric("hoistway_api_csrf_refused_total", "counter",
         "Writes by a session without its CSRF token (403).", counters_->csrf_refused);
  metric("hoistway_api_role_refused_total", "counter",
         "Real-time routes refused to an eService session (403).", counters_->role_refused);
  metric("hoistway_api_streams_signed_out_total", "counter",
         "Event streams ended because their session was signed out or expired.",
         counters_->streams_signed_out);
  for (const auto& section : ctx_.metrics_sections) out += section();
  return {200, "text/plain; version=0.0.4", out, {}, nullptr};
}

}  // namespace hoistway::cloud
