// The simulated elevator group: cars with S-curve motion and doors, collective dispatch of hall
// and car calls, passenger traffic, operating modes, faults and scenario actions. A discrete-
// event model on an integer millisecond clock: between events every car's motion is a closed
// form, so the model can be advanced to any time, at any granularity, with the same result.
// No I/O and no wall clock: the same building, scenario and seed give the same run, bit for bit.
// Thread-safety: not thread-safe; one owner thread (the simulator's io_context thread) calls
// everything, including the event sink, which is called synchronously from advance_to/apply.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "hoistway/common/controller_state.hpp"
#include "hoistway/sim/building.hpp"
#include "hoistway/sim/motion.hpp"
#include "hoistway/sim/scenario.hpp"
#include "hoistway/sim/sim_event.hpp"

namespace hoistway::sim {

struct car_statistics {
  std::uint64_t trips = 0;  // runs between two stops (relevels included)
  std::uint64_t door_cycles = 0;
  std::uint64_t reopens = 0;
  std::uint64_t passengers = 0;
  std::uint64_t distance_mm = 0;
  std::int64_t running_ms = 0;
};

struct group_statistics {
  std::uint64_t passengers_arrived = 0;
  std::uint64_t passengers_boarded = 0;
  std::uint64_t passengers_delivered = 0;
  std::uint64_t passengers_evacuated = 0;  // sent out of the car short of their destination
  std::uint64_t hall_calls = 0;
  std::int64_t wait_ms_total = 0;  // hall arrival -> boarding, over boarded passengers
  std::int64_t wait_ms_max = 0;
  std::int64_t journey_ms_total = 0;        // hall arrival -> leaving the car at the destination
  std::uint64_t calls_answered = 0;         // landing calls cancelled by a car opening for them
  std::int64_t call_response_ms_total = 0;  // landing call registered -> answered
  std::int64_t call_response_ms_max = 0;
  std::array<std::uint64_t, event_kind_count> events{};
  std::vector<car_statistics> cars;

  std::uint64_t count(event_kind kind) const { return events[static_cast<std::size_t>(kind)]; }
};

class group_model {
 public:
  using event_sink = std::function<void(const sim_event&)>;
  static constexpr std::int64_t never = INT64_MAX;

  // `building` must have passed parse_building's validation; `plan` may be empty. The plan's
  // start time of day, if it has one, replaces the building's.
  group_model(building_spec building, scenario plan, std::uint64_t seed);
  ~group_model();
  group_model(group_model&&) noexcept;
  group_model& operator=(group_model&&) noexcept;
  group_model(const group_model&) = delete;
  group_model& operator=(const group_model&) = delete;

  // Called for every event, synchronously, with the model already in the post-event state.
  void set_event_sink(event_sink sink);

  std::int64_t now_ms() const noexcept;
  // Time of the next scheduled event (never if none).
  std::int64_t next_event_ms() const noexcept;
  // Processes every event up to and including t_ms, then sets the clock to t_ms (>= now).
  void advance_to(std::int64_t t_ms);
  // Applies an action now, as a scenario would.
  void apply(const scenario_action& action);

  common::group_state state() const;
  common::car_state car_state(std::size_t car) const;
  // Exact kinematics of a car now (the link reports them rounded).
  motion_sample car_motion(std::size_t car) const;
  // True while a car's current motion is a brake (emergency) stop, which is not jerk-limited.
  bool car_braking(std::size_t car) const;
  std::size_t car_count() const noexcept;
  const building_spec& building() const noexcept;
  const group_statistics& statistics() const noexcept;
  // Time of day (seconds since midnight) at simulated time t_ms.
  std::int32_t time_of_day_s(std::int64_t t_ms) const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace hoistway::sim
