// The domain view of an elevator group controller: what the simulator produces, what travels on
// the controller link (schemas/controller_link.fbs), and what the edge agent samples.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hoistway::common {

// Numeric values equal those of schemas/common.fbs: the codecs rely on it.
enum class direction : std::uint8_t { none = 0, up = 1, down = 2 };
enum class door_state : std::uint8_t {
  closed = 0,
  opening = 1,
  open = 2,
  closing = 3,
  unknown = 4
};
enum class car_mode : std::uint8_t {
  normal = 0,
  inspection = 1,
  independent = 2,
  fire_recall = 3,
  earthquake = 4,
  power_failure = 5,
  out_of_service = 6,
  parking = 7,
  unknown = 8,
};
enum class severity : std::uint8_t { info = 0, minor = 1, major = 2, critical = 3 };

std::string_view to_string(direction value) noexcept;
std::string_view to_string(door_state value) noexcept;
std::string_view to_string(car_mode value) noexcept;
std::string_view to_string(severity value) noexcept;

// A controller's own lifetime counters for a car (controller_link.fbs CarCounters).
struct car_counters {
  std::uint64_t trips = 0;  // runs between two stops, relevels and inspection runs included
  std::uint64_t door_cycles = 0;
  std::uint64_t running_ms = 0;
  std::uint64_t distance_mm = 0;

  bool operator==(const car_counters&) const = default;
};

// The car state a controller reports.
struct car_state {
  std::uint8_t car = 0;
  std::int32_t position_mm = 0;  // car floor level above the lowest landing
  std::int32_t speed_mm_s = 0;   // signed: + up, - down
  std::int16_t floor = 0;        // landing the car is at, or the last one passed
  direction dir = direction::none;
  door_state door = door_state::closed;
  std::uint16_t load_kg = 0;
  std::uint16_t rated_load_kg = 0;
  car_mode mode = car_mode::normal;
  bool in_door_zone = true;
  bool alarm = false;
  std::vector<std::uint16_t> fault_codes;  // active, ascending
  bool safety_chain_ok = true;
  bool power_ok = true;
  bool inspection_switch = false;
  std::uint16_t door_reopens = 0;
  std::optional<car_counters> counters;  // absent: the controller offers none

  bool operator==(const car_state&) const = default;
};

// One read of a whole group controller.
struct group_state {
  std::string controller_id;
  std::string firmware;
  std::int64_t sim_time_ms = 0;
  std::int16_t floors = 0;
  std::vector<car_state> cars;
  // Sill level of each landing (index = floor) above the lowest, strictly ascending; empty when
  // the controller does not say.
  std::vector<std::int32_t> landing_levels_mm;

  bool operator==(const group_state&) const = default;
};

}  // namespace hoistway::common
