// The fault codes hoistway-sim reports in car_state::fault_codes, with severity and meaning.
// Codes are grouped by hundreds as controllers do and as the edge agent's deriver expects
// (edge/src/deriver.cpp severity_of): 1xx doors, 2xx leveling, 3xx safety chain, 4xx drive
// and machine, 5xx power, 6xx seismic, 7xx building signals. They are part of the controller
// link's contract: never renumber, only add.
// Thread-safety: constants and pure lookups.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "hoistway/common/controller_state.hpp"

namespace hoistway::sim {

enum class fault_code : std::uint16_t {
  door_lock_failure = 101,  // landing/car door lock did not make after closing (3 attempts)
  door_obstruction = 102,   // doors reopened max_reopens times in one cycle: car held open
  door_close_slow = 103,    // degradation: door closing time above 125 % of nominal
  leveling_error = 201,     // car stopped outside the leveling tolerance; relevels
  safety_chain_open = 301,  // a safety-chain contact opened: emergency stop
  entrapment = 302,         // passengers held in a car outside the door zone for 30 s
  drive_fault = 401,        // inverter/drive tripped: emergency stop
  brake_distance = 402,     // degradation: brake stopping distance above 150 % of nominal
  power_failure = 501,      // mains power lost
  earthquake_sensor = 601,  // seismic sensor tripped: earthquake operation until reset
  fire_alarm = 701,         // building fire alarm: fire recall
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
