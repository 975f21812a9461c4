// The technician CLI's JSON views (views.hpp).
#include "hoistway/edge/cli/views.hpp"

#include <cmath>

#include "hoistway/common/downlink.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/edge/cli/protocol.hpp"

namespace hoistway::edge::cli {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json time_or_null(std::int64_t wall_ms) {
  return wall_ms > 0 ? json(common::format_rfc3339(wall_ms)) : json(nullptr);
}

double sample_hz(std::chrono::milliseconds interval) {
  return std::round(1'000'000.0 / static_cast<double>(interval.count())) / 1000.0;
}

json outbox_age(const outbox_stats& stats, std::int64_t now_wall_ms) {
  if (!stats.oldest_wall_ms) return nullptr;
  return static_cast<double>(now_wall_ms - *stats.oldest_wall_ms) / 1000.0;
}

namespace {

// Counters by reason, the reasons that happened only.
template <typename Reason>
json nonzero_by_reason(std::span<const std::uint64_t> counts) {
  json out = json::object();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] > 0) out[std::string(to_string(static_cast<Reason>(i)))] = counts[i];
  }
  return out;
}

json acks_rejected_by_reason(const uplink_window& uplink) {
  json out = json::object();
  for (std::size_t i = 0; i < ack_rejection_count; ++i) {
    const auto reason = static_cast<ack_rejection>(i);
    out[std::string(to_string(reason))] = uplink.acks_rejected(reason);
  }
  return out;
}

}  // namespace

json status_view(const status_facts& f) {
  const auto& config = *f.config;
  const auto& group = *f.controller.group;
  const auto& uplink = *f.uplink;
  json cars = json::array();
  for (std::size_t i = 0; i < group.cars.size(); ++i) {
    const auto& c = group.cars[i];
    cars.push_back(
        {{"car", c.car},
         {"floor", c.floor},
         {"direction", common::to_string(c.dir)},
         {"door", common::to_string(c.door)},
         {"mode", common::to_string(c.mode)},
         {"in_service", i < f.controller.in_service.size() && f.controller.in_service[i]},
         {"load_kg", c.load_kg},
         {"position_mm", c.position_mm},
         {"speed_mm_s", c.speed_mm_s},
         {"alarm", c.alarm},
         {"fault_codes", c.fault_codes}});
  }
  json visit = nullptr;
  if (const auto& v = *f.visit) {
    visit = {{"visit_id", v->visit_id},
             {"technician", v->technician},
             {"car", v->car},
             {"started_at", common::format_rfc3339(v->started_wall_ms)}};
  }
  return {
      {"ok", true},
      {"device_id", config.device_id},
      {"agent_version", f.agent_version},
      {"boot", f.boot},
      {"boot_id", f.boot_id},
      {"started_at", time_or_null(f.started_wall_ms)},
      {"uptime_s", (f.now_wall_ms - f.started_wall_ms) / 1000},
      {"sample_hz", f.sample_hz},
      {"controller",
       {{"reachable", f.controller.reachable},
        {"socket", config.controller_socket},
        {"controller_id", group.controller_id},
        {"firmware", group.firmware},
        {"last_read_at", time_or_null(f.controller.last_read_wall_ms)},
        {"errors", f.controller.errors},
        {"late_reads", f.controller.late_reads},
        {"cars", cars}}},
      {"broker",
       {{"uri", config.mqtt.server_uri},
        {"connected", uplink.is_connected()},
        {"connected_since",
         uplink.is_connected() ? time_or_null(uplink.connected_since_wall_ms()) : json(nullptr)},
        {"last_ack_at", time_or_null(uplink.last_ack_wall_ms())},
        {"acked_through", f.outbox.acked_through},
        {"sent_through", uplink.sent_through()},
        {"publish_failures", f.publish_failures}}},
      {"outbox",
       {{"depth", f.outbox.depth},
        {"oldest_age_s", outbox_age(f.outbox, f.now_wall_ms)},
        {"next_seq", f.outbox.next_seq},
        {"dropped_samples", f.outbox.dropped_samples}}},
      {"visit", visit},
      {"commands",
       {{"accepted", f.commands_accepted},
        {"rejected", nonzero_by_reason<common::downlink::reject_reason>(f.commands_rejected)}}},
      {"cli_rejected", nonzero_by_reason<reject_reason>(f.cli_rejected)},
      {"acks_rejected", uplink.acks_rejected_total()},
      {"acks_rejected_by_reason", acks_rejected_by_reason(uplink)},
      {"outbox_read_failures", f.outbox_read_failures}};
}

json outbox_view(const outbox_stats& stats, std::uint64_t cap,
                 const std::vector<std::pair<std::string, std::uint64_t>>& by_kind,
                 std::uint64_t unreported_dropped, std::int64_t now_wall_ms) {
  json kinds = json::object();
  for (const auto& [kind, n] : by_kind) kinds[kind] = n;
  return {{"ok", true},
          {"depth", stats.depth},
          {"cap", cap},
          {"samples", stats.samples},
          {"events", stats.events},
          {"by_kind", kinds},
          {"oldest_age_s", outbox_age(stats, now_wall_ms)},
          {"dropped_samples", stats.dropped_samples},
          {"unreported_dropped", unreported_dropped},
          {"next_seq", stats.next_seq},
          {"acked_through", stats.acked_through}};
}

json config_view(const agent_config& config, double hz) {
  json tls = nullptr;
  if (config.mqtt.tls) {
    tls = {{"ca_file", config.mqtt.tls->ca_file},
           {"cert_file", config.mqtt.tls->cert_file},
           {"key_file", config.mqtt.tls->key_file}};
  }
  return {{"ok", true},
          {"path", config.config_path},
          {"config_hash", config.config_hash},
          {"config",
           {{"device_id", config.device_id},
            {"controller", {{"socket", config.controller_socket}, {"sample_hz", hz}}},
            {"mqtt",
             {{"uri", config.mqtt.server_uri},
              {"username", config.mqtt.username},
              {"password", config.mqtt.password.empty() ? "" : "(set)"},
              {"keep_alive_s", config.mqtt.keep_alive.count()},
              {"reconnect_min_ms", config.mqtt.reconnect_min.count()},
              {"reconnect_max_ms", config.mqtt.reconnect_max.count()},
              {"tls", tls}}},
            {"security", {{"key_id", config.key_id}, {"key_hex", "(redacted)"}}},
            {"outbox", {{"path", config.outbox_path}, {"max_records", config.outbox_max_records}}},
            {"publish",
             {{"max_batch_records", config.max_batch_records},
              {"max_unacked_records", config.max_unacked_records},
              {"ack_timeout_s", config.ack_timeout.count() / 1000}}},
            {"events",
             {{"snapshot_interval_s", config.derive.snapshot_interval.count() / 1000},
              {"entrapment_after_s", config.derive.entrapment_after.count() / 1000},
              {"rollup_interval_s", config.derive.rollup_interval.count() / 1000}}},
            {"cli", {{"socket", config.cli_socket}, {"events_kept", config.cli_events_kept}}},
            {"commands", {{"max_age_s", config.command_max_age.count()}}}}}};
}

json flush_progress(std::uint64_t from, std::uint64_t target, std::uint64_t acked_through,
                    bool connected) {
  return {{"progress",
           {{"from", from},
            {"target", target},
            {"acked_through", acked_through},
            {"connected", connected}}}};
}

json flush_done(std::uint64_t target, std::uint64_t depth) {
  return {{"ok", true}, {"flushed_through", target}, {"depth", depth}};
}

}  // namespace hoistway::edge::cli
