// Shared fixtures of the simulator tests: small buildings built in code, paths of the shipped
// files, and trace hashing.
// Thread-safety: plain functions.
#pragma once

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/sim/building.hpp"

namespace hoistway::sim::test {

inline std::filesystem::path source_dir() {
  return std::filesystem::path(HOISTWAY_SOURCE_DIR) / "firmware-sim";
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

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/scenario.hpp"

namespace hoistway::sim::test {

inline building_spec shipped_building(const std::string& name) {
  auto b = load_building(source_dir() / "buildings" / (name + ".toml"));
  REQUIRE_OK(b);
  return *b;
}

inline scenario shipped_scenario(const std::filesystem::path& path, const building_spec& b) {
  auto s = load_scenario(path, static_cast<std::int16_t>(b.landings.size()),
                         static_cast<std::int16_t>(b.cars.size()));
  REQUIRE_OK(s);
  return *s;
}

// Checks the physics and safety invariants of every car of `model` now; `braking[i]` says
// whether car i is in an emergency stop (not jerk- or acceleration-limited).
struct invariant_checker {
  explicit invariant_checker(const group_model& m) : model(m), previous(m.car_count()) {}

  void check_now() {
    const auto& b = model.building();
    const double top = b.landings.back().level_mm;
    for (std::size_t i = 0; i < model.car_count(); ++i) {
      const auto& spec = b.cars[i];
      const auto m = model.car_motion(i);
      const auto s = model.car_state(i);
      ++samples;
      // Speed and acceleration within the drive's limits.
      if (std::abs(m.speed) > spec.rated_speed_mm_s + 1e-6) {
        FAIL_CHECK("car " << i << " speed " << m.speed << " at t=" << model.now_ms());
      }
      if (!model.car_braking(i) && std::abs(m.accel) > spec.acceleration_mm_s2 + 1e-6) {
        FAIL_CHECK("car " << i << " accel " << m.accel << " at t=" << model.now_ms());
      }
      if (model.car_braking(i) && std::abs(m.accel) > spec.brake_deceleration_mm_s2 + 1e-6) {
        FAIL_CHECK("car " << i << " brake decel " << m.accel << " at t=" << model.now_ms());
      }
      // Continuous position: no jumps beyond what rated speed allows since the last sample.
      if (previous[i].t_ms >= 0) {
        const double dt = static_cast<double>(model.now_ms() - previous[i].t_ms) / 1000.0;
        const double moved = std::abs(m.position - previous[i].position);
        if (moved > spec.rated_speed_mm_s * dt + 1e-6) {
          FAIL_CHECK("car " << i << " jumped " << moved << " mm in " << dt
                            << " s at t=" << model.now_ms());
        }
      }
      previous[i] = {model.now_ms(), m.position};
      if (m.position < -spec.door_zone_mm || m.position > top + spec.door_zone_mm) {
        FAIL_CHECK("car " << i << " out of the hoistway: " << m.position);
      }
      // Doors never open while moving, nor outside the door zone.
      if (s.door != common::door_state::closed) {
        ++door_open_samples;
        if (m.speed != 0.0 || !s.in_door_zone) {
          FAIL_CHECK("car " << i << " door " << common::to_string(s.door) << " with speed "
                            << m.speed << " in zone " << s.in_door_zone
                            << " at t=" << model.now_ms());
        }
      }
      if (s.load_kg > s.rated_load_kg) FAIL_CHECK("car " << i << " overloaded " << s.load_kg);
      // Special modes move slowly.
      if (s.mode == common::car_mode::inspection &&
          std::abs(m.speed) > spec.inspection_speed_mm_s + 1e-6) {
        FAIL_CHECK("car " << i << " inspection speed " << m.speed);
      }
      if (s.mode == common::car_mode::power_failure && !model.car_braking(i) &&
          std::abs(m.speed) > spec.rescue_speed_mm_s + 1e-6) {
        FAIL_CHECK("car " << i << " emergency power speed " << m.speed);
      }
      if (s.speed_mm_s != 0) ++moving_samples;
    }
  }

  struct last {
    std::int64_t t_ms = -1;
    double position = 0.0;
  };
  const group_model& model;
  std::vector<last> previous;
  std::uint64_t samples = 0;
  std::uint64_t moving_samples = 0;
  std::uint64_t door_open_samples = 0;
};

// Runs `model` to `until_ms`, checking invariants every `step_ms` and at every event.
inline invariant_checker run_checked(group_model& model, std::int64_t until_ms,
                                     std::int64_t step_ms) {
  invariant_checker checker(model);
  model.set_event_sink([&](const sim_event&) { checker.check_now(); });
  for (std::int64_t t = model.now_ms() + step_ms; t <= until_ms; t += step_ms) {
    model.advance_to(t);
    checker.check_now();
  }
  model.set_event_sink(nullptr);
  return checker;
}

}  // namespace hoistway::sim::test
