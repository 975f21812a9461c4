// The fault code table.
#include "hoistway/sim/fault_codes.hpp"

#include <array>

namespace hoistway::sim {

namespace {

using common::severity;

constexpr std::array<fault_info, 11> faults{{
    {fault_code::door_lock_failure, "door_lock_failure", severity::major,
     "door lock did not make after closing"},
    {fault_code::door_obstruction, "door_obstruction", severity::minor,
     "doors reopened too often in one cycle; car held with doors open"},
    {fault_code::door_close_slow, "door_close_slow", severity::minor,
     "door closing time above 125 % of nominal"},
    {fault_code::leveling_error, "leveling_error", severity::minor,
     "car stopped outside the leveling tolerance"},
    {fault_code::safety_chain_open, "safety_chain_open", severity::critical,
     "safety chain open; emergency stop"},
    {fault_code::entrapment, "entrapment", severity::critical,
     "passengers held in a car outside the door zone"},
    {fault_code::drive_fault, "drive_fault", severity::major, "drive tripped; emergency stop"},
    {fault_code::brake_distance, "brake_distance", severity::major,
     "brake stopping distance above 150 % of nominal"},
    {fault_code::power_failure, "power_failure", severity::major, "mains power lost"},
    {fault_code::earthquake_sensor, "earthquake_sensor", severity::critical,
     "seismic sensor tripped; earthquake operation until reset"},
    {fault_code::fire_alarm, "fire_alarm", severity::major, "building fire alarm; fire recall"},
}};

}  // namespace

std::span<const fault_info> all_faults() noexcept { return faults; }

const fault_info& info(fault_code code) noexcept {
  for (const auto& f : faults) {
    if (f.code == code) return f;
  }
  return faults.front();
}

std::string_view to_string(fault_code code) noexcept { return info(code).name; }

std::optional<fault_code> fault_from_name(std::string_view name) noexcept {
  for (const auto& f : faults) {
    if (f.name == name) return f.code;
  }
  return std::nullopt;
}

}  // namespace hoistway::sim
