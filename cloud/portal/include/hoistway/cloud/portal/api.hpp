// The portal HTTP API (/api/v1, described by cloud/openapi.yaml) and the operational routes
// (/healthz, /metrics, /openapi.yaml). A function of the request, the live view, the directory
// and the queries: no sockets, so every route is tested directly.
//
// Tenancy: every /api/v1 route needs an API key (Authorization: Bearer hwk_…) or a browser's
// signed-in session (api_context::session); a unit of another customer, or one that does not
// exist, answers 404 alike. Real-time data (status, events, usage, availability, the stream)
// needs a monitoring contract (403 without one). A portal session sees what a key sees; an
// eService session sees its customer's units without real-time data, their visits and reports,
// and gets 403 on the real-time routes. A session's writes need the double-submit CSRF token
// (the hw_csrf cookie repeated in X-CSRF-Token; 403 without it); a key needs none.
//
// Event streams (GET /api/v1/stream) are capped per API key and in total (429 over a cap). Each
// take() re-checks, from the directory's cached snapshot (no store access: take() runs on the
// connection's I/O strand), that the key is still active and which of the customer's units have
// a monitoring contract now: a revoked key ends the stream (a last `event: end`), a unit whose
// contract ended stops getting events (an `event: unit_removed` says so) while the others go on.
//
// /metrics is served on the main listener only to loopback peers without proxy headers, unless
// `metrics_token` is set (then to any peer with "Authorization: Bearer <token>"), or not at all
// when it has a listener of its own (`metrics_on_main = false`, metrics_listener() serves it).
//
// Thread-safety: handle(), metrics_listener() and lane_of() may be called from any number of
// threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "hoistway/cloud/live/counters.hpp"
#include "hoistway/cloud/live/event_bus.hpp"
#include "hoistway/cloud/live/live_view.hpp"
#include "hoistway/cloud/portal/http.hpp"
#include "hoistway/cloud/portal/queries.hpp"
#include "hoistway/cloud/registry/directory.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud {

// A group of routes served beside the core API (e.g. accounts): answers nullopt for a request
// that is not one of its routes.
using route_module = std::function<std::optional<http_response>(const http_request&)>;

// What a browser's session cookie came to (api_context::session).
enum class session_check {
  none,       // no session cookie: the request has only what an API key gives it
  signed_in,  // a fully signed-in, unexpired session: `who` is its caller
  refused,    // a cookie that names no signed-in session (unknown, expired, mid-login, signed out)
  unavailable,  // the store could not be read: refuse (fail closed), never let it through
};
struct session_lookup {
  session_check outcome = session_check::none;
  caller who;
  std::string detail;  // why it was refused, for the 401's detail
};
// Resolves the session cookies of a request (the accounts module provides it; the portal room
// does not link accounts). Called on the fast lane: a cheap lookup, never a password hash.
using session_resolver = std::function<session_lookup(const http_request&)>;
// For an event stream opened by a session: a check the stream calls at every take() on the I/O
// strand, so it must read memory only; false once the session is signed out or expired.
using session_watcher = std::function<std::function<bool()>(const caller&)>;

struct api_counters {
  std::atomic<std::uint64_t> unauthenticated{0};
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> not_found{0};
  std::atomic<std::uint64_t> metrics_refused{0};          // /metrics without the right to it
  std::atomic<std::uint64_t> streams_refused_per_key{0};  // 429: the key has max_streams_per_key
  std::atomic<std::uint64_t> streams_refused_total{0};    // 429: the server has max_streams
  std::atomic<std::uint64_t> streams_revoked{0};          // streams ended: key revoked
  std::atomic<std::uint64_t> stream_units_ended{0};       // units dropped from a stream: contract
  std::atomic<std::uint64_t> sessions_refused{0};      // 401: a cookie naming no signed-in session
  std::atomic<std::uint64_t> sessions_unavailable{0};  // 503: the session could not be checked
  std::atomic<std::uint64_t> csrf_refused{0};  // 403: a session's write without its CSRF token
  std::atomic<std::uint64_t> role_refused{0};  // 403: an eService session on a real-time route
  std::atomic<std::uint64_t> streams_signed_out{0};  // streams ended: session signed out/expired
};

struct api_context {
  std::shared_ptr<live_view> view;
  std::shared_ptr<common::clock> clock;
  std::shared_ptr<directory> dir;
  std::shared_ptr<queries> db;
  std::shared_ptr<event_bus> bus;
  std::function<const ingest_counters*()> ingest;  // may return nullptr
  std::function<bool()> broker_connected;
  const http_server_stats* http = nullptr;
  std::string_view openapi_yaml;                      // served at /openapi.yaml
  std::chrono::milliseconds max_status_gap{150'000};  // availability: a status holds this long
  // How long a unit's silence is normal (the agents' snapshot_interval_s, 60 by default): in
  // every status the API answers, so a page marks a tile stale by itself.
  std::int64_t expected_interval_s = 60;
  std::vector<route_module> modules;  // tried in order before the 404
  // What the modules count, for /metrics: each returns whole metric families in Prometheus'
  // text format, called at every scrape (from any thread).
  std::vector<std::function<std::string()>> metrics_sections;
  // Requests whose path starts with one of these go to the server's slow lane (routes that hash
  // passwords or queue mail: a flood of them must not hold the workers the others need).
  std::vector<std::string> slow_prefixes;
  std::size_t max_streams = 256;        // open event streams in total
  std::size_t max_streams_per_key = 8;  // open event streams of one API key
  bool metrics_on_main = true;          // false: /metrics is on a listener of its own
  std::string metrics_token;            // non-empty: /metrics needs "Bearer <token>"
  // Browser sessions on the /api/v1 data routes (unset: API keys only). A request that sends an
  // API key is taken by its key, whatever cookies it carries.
  session_resolver session;
  session_watcher watch_session;  // unset: a session's stream ends when the session expires
};

// One route of the core API, as cloud/openapi.yaml names it ("/api/v1/units/{unit_id}/status").
struct route_spec {
  std::string_view method;
  std::string_view path;
};

class api {
 public:
  explicit api(api_context context);
  http_response handle(const http_request& request) const;
  // The handler of a metrics-only listener ([http] metrics_listen): /metrics, nothing else.
  http_response metrics_listener(const http_request& request) const;
  // Which of the server's lanes the request waits in.
  http_lane lane_of(const http_request& request) const;
  // Every route handle() serves (modules aside); a test holds it against openapi.yaml.
  static std::span<const route_spec> routes();
  const api_counters& counters() const { return *counters_; }

 private:
  http_response route_v1(const http_request& request, const caller& who) const;
  http_response units(const caller& who) const;
  http_response buildings(const caller& who) const;
  http_response earthquake(const http_request& request, const caller& who) const;
  // A unit as /units, /status and /buildings show it: its status (no real-time fields without a
  // contract or to an eService session), expected_interval_s and technician.
  common::result<nlohmann::json> unit_json(const unit_entry& entry, const caller& who,
                                           std::int64_t now) const;
  http_response unit_route(const http_request& request, const caller& who, const unit_entry& unit,
                           std::string_view rest) const;
  http_response alerts(const http_request& request, const caller& who) const;
  http_response alert(const caller& who, std::string_view id) const;
  std::vector<std::string> monitored_units(const caller& who) const;
  // The unit's inspection work status (a technician on site), for its status JSON.
  common::result<nlohmann::json> technician_of(const unit_view& v) const;
  http_response ack_alert(const http_request& request, const caller& who,
                          std::string_view id) const;
  // 403 for an eService session on a real-time route (counted).
  http_response refuse_role(const caller& who) const;
  // nullopt if the write may go on: a key, or a session whose X-CSRF-Token repeats hw_csrf.
  std::optional<http_response> refuse_csrf(const http_request& request, const caller& who) const;
  http_response stream(const http_request& request, const caller& who) const;
  http_response healthz() const;
  http_response metrics() const;
  // nullopt if the request may read /metrics here; else the refusal.
  std::optional<http_response> refuse_metrics(const http_request& request, bool main) const;
  http_response openapi() const;

  struct stream_slots;  // open streams per key and in total

  api_context ctx_;
  std::shared_ptr<api_counters> counters_ = std::make_shared<api_counters>();
  std::shared_ptr<stream_slots> slots_;
};

// application/problem+json (RFC 9457).
http_response problem(unsigned status, std::string_view title, std::string_view detail = {});
// 405 with the Allow header the status requires (RFC 9110 §15.5.6): `allow` is what the route
// takes.
http_response method_not_allowed(std::string_view allow);

// The status of a unit as the API and the stream show it.
nlohmann::json unit_status_json(const unit_view& v, const unit_entry* entry);

}  // namespace hoistway::cloud
