// Names of simulator events (they appear in traces and scenario "promises").
#include "hoistway/sim/sim_event.hpp"

#include <array>

namespace hoistway::sim {

namespace {

constexpr std::array<std::string_view, event_kind_count> names{{
    "trip_started",        "trip_ended",      "trip_retargeted", "floor_passed",
    "direction_changed",   "door_opening",    "door_opened",     "door_closing",
    "door_closed",         "door_reopened",   "door_nudging",    "door_lock_failed",
    "passengers_moved",    "hall_call",       "mode_changed",    "fault_raised",
    "fault_cleared",       "emergency_stop",  "relevel",         "entrapment_started",
    "entrapment_released", "alarm_pressed",   "alarm_released",  "earthquake_started",
    "earthquake_reset",    "power_lost",      "power_restored",  "fire_recall_started",
    "fire_recall_reset",   "inspection_move", "parking_started", "brake_test",
    "door_degraded",       "scenario_action",
}};

}  // namespace

std::string_view to_string(event_kind kind) noexcept {
  const auto i = static_cast<std::size_t>(kind);
  return i < names.size() ? names[i] : "unknown";
}

std::optional<event_kind> event_from_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<event_kind>(i);
  }
  return std::nullopt;
}

}  // namespace hoistway::sim
