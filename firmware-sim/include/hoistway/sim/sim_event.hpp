// What happened in the simulated group, as the model reports it to its observers (the trace
// writer, tests, logs). Events carry two small integers whose meaning depends on the kind
// (see the comments); the car's full state at that moment is read from the model.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hoistway::sim {

enum class event_kind : std::uint8_t {
  trip_started,       // value: from floor, detail: target floor
  trip_ended,         // value: floor, detail: stop error mm (signed)
  trip_retargeted,    // value: new target floor
  floor_passed,       // value: floor
  direction_changed,  // value: common::direction
  door_opening,
  door_opened,
  door_closing,   // value: 1 when nudging
  door_closed,    // value: the closing time in ms
  door_reopened,  // value: reopens in this cycle, detail: 1 physical obstruction
  door_nudging,
  door_lock_failed,    // value: attempt
  passengers_moved,    // value: left the car, detail: entered the car
  hall_call,           // value: floor, detail: common::direction
  mode_changed,        // value: old common::car_mode, detail: new
  fault_raised,        // value: fault_code
  fault_cleared,       // value: fault_code
  emergency_stop,      // value: stopping distance mm
  relevel,             // value: error mm before releveling
  entrapment_started,  // value: passengers
  entrapment_released,
  alarm_pressed,
  alarm_released,
  earthquake_started,
  earthquake_reset,
  power_lost,
  power_restored,
  fire_recall_started,
  fire_recall_reset,
  inspection_move,  // value: target position mm
  parking_started,  // value: parking floor
  brake_test,       // value: stopping distance mm from rated speed
  door_degraded,    // value: door closing time ms
  scenario_action,  // value: index of the action in the scenario
};

inline constexpr std::size_t event_kind_count =
    static_cast<std::size_t>(event_kind::scenario_action) + 1;

std::string_view to_string(event_kind kind) noexcept;
std::optional<event_kind> event_from_name(std::string_view name) noexcept;

struct sim_event {
  std::int64_t t_ms = 0;
  std::int16_t car = -1;  // -1: the whole group
  event_kind kind = event_kind::trip_started;
  std::int32_t value = 0;
  std::int32_t detail = 0;

  bool operator==(const sim_event&) const = default;
};

}  // namespace hoistway::sim
