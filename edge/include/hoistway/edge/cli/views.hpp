// What the technician CLI shows (hoistctl status, outbox, flush, config show): JSON views built
// from plain facts the agent gathers. Pure functions, so the agent's loop holds no JSON layout
// and a view can be read (and tested) on its own. The fields are hoistctl's contract
// (edge/src/hoistctl.cpp reads them): add, do not rename.
// Thread-safety: stateless functions; call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/common/controller_state.hpp"
#include "hoistway/edge/agent_config.hpp"
#include "hoistway/edge/outbox.hpp"
#include "hoistway/edge/uplink/window.hpp"

namespace hoistway::edge::cli {

// One answer line; text that is not UTF-8 is replaced, never thrown on.
std::string dump(const nlohmann::json& j);
// An RFC 3339 time, or null for 0 (never happened).
nlohmann::json time_or_null(std::int64_t wall_ms);
// Samples per second at `interval`, to three decimals.
double sample_hz(std::chrono::milliseconds interval);

struct controller_facts {
  bool reachable = false;
  std::int64_t last_read_wall_ms = 0;
  std::uint64_t errors = 0;
  std::uint64_t late_reads = 0;
  const common::group_state* group = nullptr;  // the last successful read
  std::vector<bool> in_service;                // per car of *group, in its order
};

struct status_facts {
  const agent_config* config = nullptr;
  std::string_view agent_version;
  std::uint32_t boot = 0;
  std::string_view boot_id;
  std::int64_t now_wall_ms = 0;
  std::int64_t started_wall_ms = 0;
  double sample_hz = 0;
  controller_facts controller;
  const uplink_window* uplink = nullptr;
  std::uint64_t publish_failures = 0;
  std::uint64_t outbox_read_failures = 0;
  outbox_stats outbox;
  const std::optional<open_visit>* visit = nullptr;
  std::uint64_t commands_accepted = 0;
  std::span<const std::uint64_t> commands_rejected;  // by common::downlink::reject_reason
  std::span<const std::uint64_t> cli_rejected;       // by cli::reject_reason
};

// hoistctl status.
nlohmann::json status_view(const status_facts& facts);

// hoistctl outbox.
nlohmann::json outbox_view(const outbox_stats& stats, std::uint64_t cap,
                           const std::vector<std::pair<std::string, std::uint64_t>>& by_kind,
                           std::uint64_t unreported_dropped, std::int64_t now_wall_ms);

// hoistctl config show: the configuration in force, secrets redacted.
nlohmann::json config_view(const agent_config& config, double sample_hz);

// hoistctl flush: a progress line, and the final answer.
nlohmann::json flush_progress(std::uint64_t from, std::uint64_t target, std::uint64_t acked_through,
                              bool connected);
nlohmann::json flush_done(std::uint64_t target, std::uint64_t depth);

// The outbox's oldest record's age in seconds, or null when it is empty.
nlohmann::json outbox_age(const outbox_stats& stats, std::int64_t now_wall_ms);

}  // namespace hoistway::edge::cli
