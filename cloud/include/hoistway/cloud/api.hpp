// The portal HTTP API (/api/v1, described by cloud/openapi.yaml) and the operational routes
// (/healthz, /metrics). A pure function of the request and the live view.
// Thread-safety: handle() may be called from any number of threads at once.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "hoistway/cloud/http.hpp"
#include "hoistway/cloud/ingest.hpp"
#include "hoistway/cloud/live_view.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud {

// A group of routes served beside the core API (e.g. accounts): answers nullopt for a request
// that is not one of its routes.
using route_module = std::function<std::optional<http_response>(const http_request&)>;

struct api_context {
  std::shared_ptr<live_view> view;
  std::shared_ptr<common::clock> clock;
  std::function<const ingest_counters*()> ingest;  // may return nullptr
  std::function<bool()> broker_connected;
  const http_server_stats* http = nullptr;
  std::vector<route_module> modules;  // tried in order before the 404
};

class api {
 public:
  explicit api(api_context context) : ctx_(std::move(context)) {}
  http_response handle(const http_request& request) const;

 private:
  http_response units() const;
  http_response unit_status(const std::string& unit_id) const;
  http_response healthz() const;
  http_response metrics() const;
  api_context ctx_;
};

// application/problem+json (RFC 9457).
http_response problem(unsigned status, std::string_view title, std::string_view detail = {});

}  // namespace hoistway::cloud
