// The record mix the benchmarks send: mostly run-state samples, a trip and a door cycle in ten,
// as an agent derives them from a busy car. Record `i` of a run gets body mixed_body(i, wall).
#pragma once

#include <cstdint>

#include "hoistway/common/records.hpp"

namespace hoistway::bench {

inline common::record_body mixed_body(std::uint64_t i, std::int64_t wall_ms) {
  if (i % 10 == 8) return common::trip{2, 7, wall_ms - 9000, wall_ms, 9000, 2500, 15000};
  if (i % 10 == 9) return common::door_cycle{7, 6500, 1};
  common::run_state s;
  s.position_mm = static_cast<std::int32_t>(3000 * (i % 10));
  s.speed_mm_s = (i % 3 == 0) ? 0 : 1500;
  s.floor = static_cast<std::int16_t>(i % 10);
  s.dir = common::direction::up;
  s.door = common::door_state::closed;
  s.load_kg = 320;
  s.mode = common::car_mode::normal;
  s.in_door_zone = i % 3 == 0;
  s.in_service = true;
  return s;
}

}  // namespace hoistway::bench
