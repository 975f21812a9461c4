// What the simulated controller really did, trip by trip and door cycle by door cycle, and how
// a record of it (an agent's derived trips, or what the cloud stored) compares: the yardstick of
// the ground-truth tests and the deriver benchmark.
//
// Definitions (the deriver's, edge/include/hoistway/edge/trip_tracker.hpp, are the same): a trip
// is a journey from rest at one landing to rest at another, a landing being within
// `landing_window_mm` of the car's position. Runs that end between landings (brake stops,
// inspection moves) join the runs after them; a journey back to the landing it left (a relevel)
// is no trip. A brake stop that comes to rest at a landing ends the journey there (its end time
// estimated from the stopping distance and speed), as an inspection move that stops at one does.
// Its duration is from the first run's start to the last run's end; its distance the path length of
// its runs. A door cycle is from doors leaving "closed" to closed again.
//
// Thread-safety: plain values; a recorder is fed from the model's thread (its event sink).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/sim_event.hpp"

namespace hoistway::sim {

struct true_trip {
  std::uint8_t car = 0;
  std::int16_t from_floor = 0;
  std::int16_t to_floor = 0;
  std::int64_t start_ms = 0;
  std::int64_t end_ms = 0;
  std::uint64_t distance_mm = 0;
};

struct true_door_cycle {
  std::uint8_t car = 0;
  std::int16_t floor = 0;
  std::int64_t opened_ms = 0;  // doors left "closed"
  std::int64_t closed_ms = 0;
};

// Records the truth from the model's events; call on_event from the model's event sink.
class truth_recorder {
 public:
  explicit truth_recorder(const group_model& model, std::int32_t landing_window_mm = 75);
  void on_event(const sim_event& event);

  const std::vector<true_trip>& trips() const noexcept { return trips_; }
  const std::vector<true_door_cycle>& door_cycles() const noexcept { return door_cycles_; }
  // Relevels and other journeys that ended where they began (not trips).
  std::uint64_t returns() const noexcept { return returns_; }

 private:
  struct car_truth {
    std::int32_t last_position = 0;
    bool journey = false;
    std::optional<std::int16_t> from;
    std::int64_t start_ms = 0;
    std::uint64_t distance_mm = 0;
    std::optional<std::int64_t> stopped_ms;  // when a brake stop of this journey came to rest
    common::door_state door = common::door_state::closed;
    std::int64_t opened_ms = 0;
  };
  std::optional<std::int16_t> landing_at(std::int32_t position_mm) const;

  const group_model& model_;
  std::int32_t window_mm_;
  std::vector<car_truth> cars_;
  std::vector<true_trip> trips_;
  std::vector<true_door_cycle> door_cycles_;
  std::uint64_t returns_ = 0;
};

// A trip as a record of it says, on the controller's clock: the same fields as the true one.
using seen_trip = true_trip;

struct seen_door_cycle {
  std::uint8_t car = 0;
  std::int16_t floor = 0;
  std::int64_t closed_ms = 0;  // when the record was made (the doors were seen closed)
};

struct comparison {
  std::uint64_t truth = 0;      // trips (or door cycles) the controller made
  std::uint64_t seen = 0;       // trips the record holds
  std::uint64_t matched = 0;    // aligned, same floors
  std::uint64_t lost = 0;       // the controller made it, the record has nothing at that time
  std::uint64_t invented = 0;   // the record has it, the controller made nothing then
  std::uint64_t misplaced = 0;  // aligned, other floors
  // Over matched trips: the largest and summed absolute differences.
  std::int64_t max_start_error_ms = 0;
  std::int64_t max_duration_error_ms = 0;
  std::int64_t max_distance_error_mm = 0;
  std::uint64_t true_distance_mm = 0;
  std::uint64_t seen_distance_mm = 0;
  std::vector<std::string> problems;  // the first few lost / invented / misplaced, described

  comparison& operator+=(const comparison& other);
  double loss_share() const noexcept {
    return truth == 0 ? 0.0 : static_cast<double>(lost + misplaced) / static_cast<double>(truth);
  }
};

// Aligns both sequences car by car in time order: a seen trip whose interval overlaps a true
// one's (each end widened by `slack_ms`, e.g. a sampling interval) is its record. Lost or
// invented trips ending after `horizon_ms` are not counted (the record may not have caught up
// with the end of the run yet).
comparison compare_trips(std::vector<true_trip> truth, std::vector<seen_trip> seen,
                         std::int64_t slack_ms, std::int64_t horizon_ms = INT64_MAX);
// Door cycles align on their closing time (a record within `slack_ms` of it).
comparison compare_door_cycles(std::vector<true_door_cycle> truth,
                               std::vector<seen_door_cycle> seen, std::int64_t slack_ms,
                               std::int64_t horizon_ms = INT64_MAX);

}  // namespace hoistway::sim
