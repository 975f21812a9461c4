// The portal HTTP API (/api/v1, described by cloud/openapi.yaml) and the operational routes
// (/healthz, /metrics, /openapi.yaml). A function of the request, the live view, the directory
// and the queries: no sockets, so every route is tested directly.
//
// Tenancy: every /api/v1 route needs an API key (Authorization: Bearer hwk_…); a unit of
// another customer, or one that does not exist, answers 404 alike. Real-time data (status,
// events, usage, availability, the stream) needs a monitoring contract (403 without one).
//
// Thread-safety: handle() may be called from any number of threads at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "hoistway/cloud/directory.hpp"
#include "hoistway/cloud/event_bus.hpp"
#include "hoistway/cloud/http.hpp"
#include "hoistway/cloud/ingest.hpp"
#include "hoistway/cloud/live_view.hpp"
#include "hoistway/cloud/queries.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud {

// A group of routes served beside the core API (e.g. accounts): answers nullopt for a request
// that is not one of its routes.
using route_module = std::function<std::optional<http_response>(const http_request&)>;

struct api_counters {
  std::atomic<std::uint64_t> unauthenticated{0};
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> not_found{0};
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
  std::vector<route_module> modules;                  // tried in order before the 404
};

// One route of the core API, as cloud/openapi.yaml names it ("/api/v1/units/{unit_id}/status").
struct route_spec {
  std::string_view method;
  std::string_view path;
};

class api {
 public:
  explicit api(api_context context) : ctx_(std::move(context)) {}
  http_response handle(const http_request& request) const;
  // Every route handle() serves (modules aside); a test holds it against openapi.yaml.
  static std::span<const route_spec> routes();
  const api_counters& counters() const { return *counters_; }

 private:
  http_response route_v1(const http_request& request, const caller& who) const;
  http_response units(const caller& who) const;
  http_response unit_route(const http_request& request, const caller& who, const unit_entry& unit,
                           std::string_view rest) const;
  http_response alerts(const http_request& request, const caller& who) const;
  http_response ack_alert(const caller& who, std::string_view id) const;
  http_response stream(const http_request& request, const caller& who) const;
  http_response healthz() const;
  http_response metrics() const;
  http_response openapi() const;

  api_context ctx_;
  std::shared_ptr<api_counters> counters_ = std::make_shared<api_counters>();
};

// application/problem+json (RFC 9457).
http_response problem(unsigned status, std::string_view title, std::string_view detail = {});
// 405 with the Allow header the status requires (RFC 9110 §15.5.6): `allow` is what the route
// takes.
http_response method_not_allowed(std::string_view allow);

// The status of a unit as the API and the stream show it.
nlohmann::json unit_status_json(const unit_view& v, const unit_entry* entry);

}  // namespace hoistway::cloud
