// Routes of the portal API.
#include "hoistway/cloud/api.hpp"

#include <nlohmann/json.hpp>

#include "hoistway/cloud/record_json.hpp"

namespace hoistway::cloud {

using nlohmann::json;

http_response problem(unsigned status, std::string_view title, std::string_view detail) {
  json body = {{"type", "about:blank"}, {"title", title}, {"status", status}};
  if (!detail.empty()) body["detail"] = detail;
  return {status, "application/problem+json", body.dump(), {}};
}

namespace {

http_response ok_json(const json& body) { return {200, "application/json", body.dump(), {}}; }

json status_json(const unit_view& v) {
  json out = {{"unit_id", v.unit_id},
              {"device_id", v.device_id},
              {"car", v.car},
              {"online", v.device_online},
              {"last_seen_at", v.last_seen_ms > 0 ? json(common::format_rfc3339(v.last_seen_ms)) : json()}};
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

}  // namespace

http_response api::handle(const http_request& request) const {
  const auto& path = request.path;
  const bool read = request.method == "GET" || request.method == "HEAD";
  if (path == "/healthz") return read ? healthz() : problem(405, "Method Not Allowed");
  if (path == "/metrics") return read ? metrics() : problem(405, "Method Not Allowed");
  if (path == "/api/v1/units") return read ? units() : problem(405, "Method Not Allowed");
  static constexpr std::string_view units_prefix = "/api/v1/units/";
  if (path.starts_with(units_prefix)) {
    const auto rest = std::string_view(path).substr(units_prefix.size());
    const auto slash = rest.find('/');
    if (slash != std::string_view::npos && rest.substr(slash + 1) == "status" && slash > 0) {
      if (!read) return problem(405, "Method Not Allowed");
      return unit_status(std::string(rest.substr(0, slash)));
    }
  }
  for (const auto& module : ctx_.modules) {
    if (auto response = module(request)) return std::move(*response);
  }
  return problem(404, "Not Found", "no route for " + path);
}

http_response api::units() const {
  json list = json::array();
  for (const auto& v : ctx_.view->units(ctx_.clock->wall_ms())) list.push_back(status_json(v));
  return ok_json({{"units", list}});
}

http_response api::unit_status(const std::string& unit_id) const {
  auto v = ctx_.view->unit(unit_id, ctx_.clock->wall_ms());
  if (!v) return problem(404, "Not Found", "no unit " + unit_id);
  return ok_json(status_json(*v));
}

http_response api::healthz() const {
  const bool broker = !ctx_.broker_connected || ctx_.broker_connected();
  json body = {{"status", broker ? "ok" : "degraded"}, {"broker_connected", broker}};
  return {broker ? 200U : 503U, "application/json", body.dump(), {}};
}

http_response api::metrics() const {
  std::string out;
  auto counter = [&out](std::string_view name, std::string_view help, std::uint64_t value,
                        std::string_view labels = {}) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
    out += "# TYPE " + std::string(name) + " counter\n";
    out += std::string(name) + std::string(labels) + " " + std::to_string(value) + "\n";
  };
  if (const auto* c = ctx_.ingest ? ctx_.ingest() : nullptr) {
    counter("hoistway_frames_in_total", "Frames received from the broker.", c->frames_in);
    counter("hoistway_frames_accepted_total", "Frames that passed every check.", c->frames_accepted);
    counter("hoistway_records_stored_total", "Records stored for the first time.", c->records_stored);
    counter("hoistway_records_duplicate_total", "Records received again and ignored.",
            c->records_duplicate);
    counter("hoistway_acks_published_total", "Stored-acks published.", c->acks_published);
    out += "# HELP hoistway_frames_rejected_total Frames rejected, by reason.\n";
    out += "# TYPE hoistway_frames_rejected_total counter\n";
    for (std::size_t r = 0; r < common::wire::reject_reason_count; ++r) {
      out += "hoistway_frames_rejected_total{reason=\"" +
             std::string(common::wire::to_string(static_cast<common::wire::reject_reason>(r))) +
             "\"} " + std::to_string(c->rejected[r].load()) + "\n";
    }
    out += "# HELP hoistway_ingest_queue_depth Frames waiting for the writer.\n";
    out += "# TYPE hoistway_ingest_queue_depth gauge\n";
    out += "hoistway_ingest_queue_depth " + std::to_string(c->queue_depth.load()) + "\n";
  }
  if (ctx_.http != nullptr) {
    counter("hoistway_http_requests_total", "HTTP requests handled.", ctx_.http->requests);
    counter("hoistway_http_rejected_total", "HTTP requests rejected before routing.",
            ctx_.http->rejected);
  }
  return {200, "text/plain; version=0.0.4", out, {}};
}

}  // namespace hoistway::cloud
