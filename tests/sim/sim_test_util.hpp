// Shared fixtures of the simulator tests: small buildings built in code, paths of the shipped
// files, and trace hashing.
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "hoistway/sim/building.hpp"

namespace hoistway::sim::test {

inline std::filesystem::path source_dir() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "firmware-sim";
}

// An office with 10 landings 3.6 m apart (4.5 m ground floor) and `cars` cars.
inline building_spec office_building(int cars, std::uint32_t population = 600) {
  building_spec b;
  b.name = "test office";
  b.controller_id = "test-office";
  std::int32_t level = 0;
  for (int i = 0; i < 10; ++i) {
    b.landings.push_back(landing{std::to_string(i), level});
    level += i == 0 ? 4500 : 3600;
  }
  b.cars.assign(static_cast<std::size_t>(cars), car_spec{});
  b.traffic.profile = traffic_profile::office;
  b.traffic.population = population;
  b.traffic.start_time_of_day_s = 0;
  return b;
}

// FNV-1a, to compare traces without storing them.
inline std::uint64_t fnv1a(std::uint64_t hash, std::string_view text) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    hash ^= c;
    hash *= 0x100000001B3ULL;
  }
  return hash;
}
inline constexpr std::uint64_t fnv_offset = 0xCBF29CE484222325ULL;

}  // namespace hoistway::sim::test
