// The building a simulated group controller serves: landings at real levels, the cars' drive and
// door parameters, the traffic profile and the group's special floors. Loaded from a TOML
// building file (firmware-sim/buildings/*.toml documents every key).
// Thread-safety: plain values; the loaders are reentrant.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/result.hpp"

namespace hoistway::sim {

enum class traffic_profile : std::uint8_t { none, office, residential };

std::string_view to_string(traffic_profile value) noexcept;

struct landing {
  std::string name;
  std::int32_t level_mm = 0;  // sill level above the lowest landing
};

// Drive, door and load parameters of one car. Units: mm, s-based rates, ms durations.
struct car_spec {
  std::int32_t rated_speed_mm_s = 1600;
  std::int32_t acceleration_mm_s2 = 900;
  std::int32_t jerk_mm_s3 = 1200;
  std::int32_t leveling_speed_mm_s = 80;    // final creep into the landing
  std::int32_t leveling_distance_mm = 40;   // length of that creep
  std::int32_t leveling_tolerance_mm = 10;  // a stop further off than this is a leveling error
  std::int32_t door_zone_mm = 75;           // doors may open only within +/- this of a level
  std::int32_t inspection_speed_mm_s = 300;
  std::int32_t rescue_speed_mm_s = 150;          // emergency-power / manual rescue moves
  std::int32_t brake_deceleration_mm_s2 = 2500;  // emergency stop on the machine brake
  std::int32_t start_delay_ms = 600;             // door locked -> brake lifted and moving
  std::uint16_t rated_load_kg = 1000;
  std::int32_t door_open_ms = 2000;
  std::int32_t door_close_ms = 2800;
  std::int32_t dwell_hall_ms = 3000;        // doors held open for a landing call
  std::int32_t dwell_car_ms = 2000;         // doors held open for a car call only
  std::int32_t transfer_ms = 1100;          // per passenger entering or leaving
  std::uint16_t nudging_after_reopens = 3;  // then close slowly, ignoring the light curtain
  std::uint16_t max_reopens = 8;            // a physical obstruction beyond this takes the car out
};

struct traffic_spec {
  traffic_profile profile = traffic_profile::office;
  std::uint32_t population = 600;
  std::int16_t lobby_floor = 0;
  double intensity = 1.0;                       // multiplies every rate of the profile
  std::int32_t start_time_of_day_s = 6 * 3600;  // time of day at simulated time 0
  std::int32_t start_day = 0;                   // day of week at simulated time 0, 0 = Monday
  double light_curtain_probability = 0.04;      // a closing interrupted by a passenger
};

struct building_spec {
  std::string name;
  std::string controller_id;
  std::string firmware = "hoistway-sim 0.1.0";
  std::vector<landing> landings;  // ascending levels, the first at 0
  std::vector<car_spec> cars;     // 1..8
  traffic_spec traffic;
  std::int16_t fire_recall_floor = 0;
  std::int16_t parking_floor = 0;
  std::int32_t parking_delay_ms = 300'000;  // idle this long -> park (-1: never)
};

// Parses a building file's text; errors (errc::invalid_argument) read "source:line:col: reason".
common::result<building_spec> parse_building(std::string_view toml_text,
                                             std::string_view source_name);
// Reads and parses a file; an unreadable file is errc::io.
common::result<building_spec> load_building(const std::filesystem::path& path);

}  // namespace hoistway::sim
