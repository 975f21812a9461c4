// The fault codes hoistway-sim reports in car_state::fault_codes, with severity and meaning.
// Codes are grouped by area: 1xx doors, 2xx drive and motion, 3xx safety and building events.
// They are part of the controller link's contract with the edge agent: never renumber.
// Thread-safety: constants and pure lookups.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "hoistway/common/controller_state.hpp"

namespace hoistway::sim {

enum class fault_code : std::uint16_t {
  door_lock_failure = 101,  // landing/car door lock did not make after closing
  door_obstruction = 102,   // doors reopened max_reopens times in one cycle: car held
  door_close_slow = 103,    // degradation: door closing time above 125 % of nominal
  leveling_error = 201,     // car stopped outside the leveling tolerance; relevels
  drive_fault = 202,        // inverter/drive tripped: emergency stop
  brake_distance = 203,     // degradation: brake stopping distance above 150 % of nominal
  safety_chain_open = 301,  // a safety-chain contact opened: emergency stop
  entrapment = 302,         // passengers held in a car outside the door zone
  earthquake_sensor = 303,  // seismic sensor tripped: earthquake operation until reset
  power_failure = 304,      // mains power lost
  fire_alarm = 305,         // building fire alarm: fire recall
};

struct fault_info {
  fault_code code;
  std::string_view name;
  common::severity level;
  std::string_view description;
};

// Every code, ascending.
std::span<const fault_info> all_faults() noexcept;
const fault_info& info(fault_code code) noexcept;
std::string_view to_string(fault_code code) noexcept;
std::optional<fault_code> fault_from_name(std::string_view name) noexcept;

}  // namespace hoistway::sim
