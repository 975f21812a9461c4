// Trips and runs of one car from successive controller reads, decided from what cannot lie: the
// car's position against the building's landing levels, and whether it is at rest.
//
// A *run* is one movement between two rests (what a controller's trip counter counts: relevels
// and inspection moves included). A *trip* is a journey from rest at one landing to rest at
// another: runs that end between landings (an emergency stop, an inspection move, a power
// failure) are joined with the runs after them until the car rests at a landing again, and a
// journey back to the landing it left (a relevel) is no trip.
//
// Why not the floor indication: a controller's floor indicator settles a moment after the car
// stops (the simulator's does), some makes show the next landing while slowing down, and cars
// open their doors while still levelling (advance door opening). With a landing table, a run
// ends when the car is at rest (speed 0, or position still when the controller reports no
// speed) or when its doors leave "closed"; the landing is the one whose level is within
// `landing_window_mm` of the position. Without one, the floor indication is read only once it
// has settled: when the doors open or after `settle_ms` at rest.
//
// Thread-safety: plain value; one thread owns a tracker (the deriver's).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "hoistway/common/controller_state.hpp"
#include "hoistway/common/records.hpp"

namespace hoistway::edge {

struct trip_tracker_options {
  // A stop this close to a landing's level is a stop at that landing (the door zone).
  std::int32_t landing_window_mm = 75;
  // Position changes up to this between two reads are noise, not motion.
  std::int32_t jitter_mm = 3;
  // Without a landing table: the floor indication is trusted after this long at rest.
  std::int64_t settle_ms = 2'000;
};

// Landing levels, validated: strictly ascending, at most common::link-sized tables.
class landing_table {
 public:
  landing_table() = default;
  // Empty if `levels_mm` is not strictly ascending or longer than 256 landings.
  static landing_table from(std::span<const std::int32_t> levels_mm);
  bool empty() const noexcept { return levels_.empty(); }
  std::size_t size() const noexcept { return levels_.size(); }
  const std::vector<std::int32_t>& levels() const noexcept { return levels_; }
  // The landing whose level is within `window_mm` of `position_mm` (the nearest), if any.
  std::optional<std::int16_t> landing_at(std::int32_t position_mm, std::int32_t window_mm) const;

 private:
  std::vector<std::int32_t> levels_;
};

// What one read changed.
struct track_result {
  std::optional<common::trip> trip;  // a journey ended at a landing other than its start
  bool run_started = false;
  bool run_ended = false;
  std::int64_t running_ms = 0;  // running time of the run that ended in this read
};

class trip_tracker {
 public:
  trip_tracker() = default;
  explicit trip_tracker(trip_tracker_options options) : options_(options) {}

  // One read of the car at monotonic `mono_ms` / wall `wall_ms`; `landings` may be empty.
  track_result observe(const common::car_state& now, const landing_table& landings,
                       std::int64_t mono_ms, std::int64_t wall_ms);

  // The landing the car rests at, as far as it is known (for door cycles and reports).
  std::optional<std::int16_t> resting_landing() const noexcept { return rest_landing_; }
  bool running() const noexcept { return running_; }
  // Distance travelled (all reads, both directions), for usage.
  std::uint64_t take_distance_mm() noexcept { return std::exchange(distance_mm_, 0); }

 private:
  void end_run(const common::car_state& now, const landing_table& landings, std::int64_t mono_ms,
               std::int64_t wall_ms, track_result& out);
  void arrive(std::optional<std::int16_t> landing, track_result& out);

  trip_tracker_options options_;
  bool seen_ = false;
  common::car_state last_;
  bool speed_reported_ = false;  // the controller has reported a non-zero speed at some point
  // Run in progress.
  bool running_ = false;
  std::int64_t run_start_mono_ = 0;
  // Rest.
  std::optional<std::int16_t> rest_landing_;
  bool settled_ = true;  // without a landing table: the rest landing is known
  std::int64_t rest_since_mono_ = 0;
  // Journey in progress (from rest at a landing to rest at a landing).
  bool journey_ = false;
  std::optional<std::int16_t> journey_from_;
  std::int64_t journey_start_wall_ = 0;
  std::int64_t journey_start_mono_ = 0;
  std::int64_t journey_end_wall_ = 0;
  std::int64_t journey_end_mono_ = 0;
  std::uint32_t journey_peak_speed_ = 0;
  std::uint64_t journey_distance_ = 0;
  std::uint64_t distance_mm_ = 0;
};

}  // namespace hoistway::edge
