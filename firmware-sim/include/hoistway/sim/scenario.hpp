// A scenario: a TOML timeline of things that happen to the group (faults, degradation, building
// emergencies, mode switches, extra passengers) plus random fault rates, and the events the
// scenario promises to produce (checked by tests/sim). firmware-sim/scenarios/*.toml documents
// every action.
// Thread-safety: plain values; the loaders are reentrant.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/controller_state.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/sim/sim_event.hpp"

namespace hoistway::sim {

// Faults that can be injected (some are degradations rather than codes).
enum class injected_fault : std::uint8_t {
  door_lock_failure,       // the next door closings fail to lock
  door_obstruction,        // something blocks the doors: every closing is interrupted
  leveling_error,          // the next stops end outside the leveling tolerance
  safety_chain_open,       // emergency stop; car held until cleared
  drive_fault,             // emergency stop; car held until cleared
  entrapment,              // the next trip with passengers stops between floors
  door_close_degradation,  // closing time drifts longer by `rate` ms per day
  brake_degradation,       // brake deceleration drops by `rate` mm/s^2 per day
};
inline constexpr std::size_t injected_fault_count = 8;

std::string_view to_string(injected_fault fault) noexcept;
std::optional<injected_fault> injected_fault_from_name(std::string_view name) noexcept;

enum class action_kind : std::uint8_t {
  inject,      // fault (+ duration_ms: clears itself after it; 0 = until `clear`)
  clear,       // fault
  set_mode,    // mode: normal, inspection, independent, out_of_service (per car)
  earthquake,  // whole group
  earthquake_reset,
  power_loss,
  power_restore,
  fire_alarm,
  fire_reset,
  inspection_move,  // car, distance_mm (signed)
  car_call,         // car, floor
  passenger,        // from, to, count
  alarm,            // car: alarm button pressed for duration_ms
};

std::string_view to_string(action_kind kind) noexcept;

struct scenario_action {
  std::int64_t at_ms = 0;
  action_kind kind = action_kind::inject;
  std::int16_t car = -1;  // -1: every car (or not car-specific)
  injected_fault fault = injected_fault::drive_fault;
  std::int64_t duration_ms = 0;
  double rate = 0.0;
  std::int32_t count = 1;
  common::car_mode mode = common::car_mode::normal;
  std::int32_t distance_mm = 0;
  std::int16_t floor = 0;
  std::int16_t to_floor = 0;
  std::uint32_t line = 0;  // in the scenario file, for logs
};

// Random faults per car and per simulated day; each clears itself after `clear_after_ms`.
struct random_fault_rates {
  std::array<double, injected_fault_count> per_car_day{};
  std::int64_t clear_after_ms = 20 * 60'000;
};

struct scenario {
  std::string name;
  std::string description;
  std::optional<std::int64_t> duration_ms;          // how long the scenario wants to run
  std::optional<std::int32_t> start_time_of_day_s;  // overrides the building's start_time
  std::vector<event_kind> promises;                 // events the scenario must produce
  std::vector<scenario_action> actions;             // ascending at_ms (file order on ties)
  random_fault_rates random;
};

// Errors (errc::invalid_argument) read "source:line:col: reason". `floors` and `cars` bound
// the floors and cars the actions may name.
common::result<scenario> parse_scenario(std::string_view toml_text, std::string_view source_name,
                                        std::int16_t floors, std::int16_t cars);
common::result<scenario> load_scenario(const std::filesystem::path& path, std::int16_t floors,
                                       std::int16_t cars);

}  // namespace hoistway::sim
