// Trips and runs of one car from position, landing levels and rest (see trip_tracker.hpp).
#include "hoistway/edge/trip_tracker.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace hoistway::edge {

using common::door_state;

landing_table landing_table::from(std::span<const std::int32_t> levels_mm) {
  landing_table t;
  if (levels_mm.empty() || levels_mm.size() > 256) return t;
  for (std::size_t i = 1; i < levels_mm.size(); ++i) {
    if (levels_mm[i] <= levels_mm[i - 1]) return t;
  }
  t.levels_.assign(levels_mm.begin(), levels_mm.end());
  return t;
}

std::optional<std::int16_t> landing_table::landing_at(std::int32_t position_mm,
                                                      std::int32_t window_mm) const {
  if (levels_.empty()) return std::nullopt;
  // The first level at or above the position, and the one below it: the nearest is one of them.
  const auto it = std::lower_bound(levels_.begin(), levels_.end(), position_mm);
  std::size_t best = static_cast<std::size_t>(it - levels_.begin());
  if (best == levels_.size() ||
      (best > 0 && std::llabs(std::int64_t{position_mm} - levels_[best - 1]) <
                       std::llabs(std::int64_t{levels_[best]} - position_mm))) {
    --best;
  }
  if (std::llabs(std::int64_t{position_mm} - levels_[best]) > window_mm) return std::nullopt;
  return static_cast<std::int16_t>(best);
}

namespace {

// Doors that are not known to be open count as closed: a car never runs with its doors open,
// so a door state a controller does not report must not stop runs from being seen.
bool doors_closed(door_state d) { return d == door_state::closed || d == door_state::unknown; }

// Without a landing table: the landing the car rests at, if the controller says it is in the
// door zone of one.
std::optional<std::int16_t> indicated_landing(const common::car_state& car) {
  if (!car.in_door_zone) return std::nullopt;
  return car.floor;
}

}  // namespace

track_result trip_tracker::observe(const common::car_state& now, const landing_table& landings,
                                   std::int64_t mono_ms, std::int64_t wall_ms) {
  track_result out;
  if (!seen_) {
    // First sight: we did not see the car leave anywhere, so no journey has a known start.
    seen_ = true;
    last_ = now;
    speed_reported_ = now.speed_mm_s != 0;
    running_ = now.speed_mm_s != 0;
    run_start_mono_ = mono_ms;
    rest_since_mono_ = mono_ms;
    if (running_) {
      journey_ = true;
      journey_from_.reset();
      journey_start_mono_ = mono_ms;
      journey_start_wall_ = wall_ms;
    } else if (!landings.empty()) {
      rest_landing_ = landings.landing_at(now.position_mm, options_.landing_window_mm);
    } else {
      settled_ = false;  // the indication may still be settling from a stop we did not see
    }
    return out;
  }

  const auto delta = static_cast<std::uint64_t>(
      std::llabs(std::int64_t{now.position_mm} - std::int64_t{last_.position_mm}));
  distance_mm_ += delta;
  if (now.speed_mm_s != 0) speed_reported_ = true;
  const bool closed = doors_closed(now.door);

  if (running_) {
    journey_distance_ += delta;
    journey_peak_speed_ =
        std::max(journey_peak_speed_, static_cast<std::uint32_t>(std::abs(now.speed_mm_s)));
    // At rest: the controller says speed 0 (if it reports speed at all), else the position
    // stands still. Doors leaving "closed" end the run too: advance door opening starts while
    // the car is still levelling into the landing.
    const bool at_rest = speed_reported_ ? now.speed_mm_s == 0
                                         : delta <= static_cast<std::uint64_t>(options_.jitter_mm);
    if (at_rest || !closed) end_run(now, landings, mono_ms, wall_ms, out);
  } else {
    const bool moving =
        now.speed_mm_s != 0 || delta > static_cast<std::uint64_t>(options_.jitter_mm);
    // Moving with the doors open is re-levelling at a landing (ropes stretch as people board),
    // not a run.
    if (moving && closed) {
      if (!settled_) {
        // Leaving before the indication settled: the last read at rest is the best we have.
        settled_ = true;
        arrive(indicated_landing(last_), out);
      }
      running_ = true;
      run_start_mono_ = mono_ms;
      out.run_started = true;
      if (!journey_) {
        journey_ = true;
        journey_from_ = rest_landing_;
        journey_start_mono_ = mono_ms;
        journey_start_wall_ = wall_ms;
        journey_peak_speed_ = 0;
        journey_distance_ = 0;
      }
      journey_distance_ += delta;
      journey_peak_speed_ =
          std::max(journey_peak_speed_, static_cast<std::uint32_t>(std::abs(now.speed_mm_s)));
    } else if (!settled_ &&
               (now.door == door_state::open || mono_ms - rest_since_mono_ >= options_.settle_ms)) {
      settled_ = true;
      arrive(indicated_landing(now), out);
    }
  }
  last_ = now;
  return out;
}

void trip_tracker::end_run(const common::car_state& now, const landing_table& landings,
                           std::int64_t mono_ms, std::int64_t wall_ms, track_result& out) {
  running_ = false;
  out.run_ended = true;
  out.running_ms = std::max<std::int64_t>(0, mono_ms - run_start_mono_);
  rest_since_mono_ = mono_ms;
  journey_end_mono_ = mono_ms;
  journey_end_wall_ = wall_ms;
  if (!landings.empty()) {
    settled_ = true;
    arrive(landings.landing_at(now.position_mm, options_.landing_window_mm), out);
  } else {
    // The floor indication may lag the stop: decide once it has settled.
    settled_ = false;
    rest_landing_.reset();
  }
}

void trip_tracker::arrive(std::optional<std::int16_t> landing, track_result& out) {
  rest_landing_ = landing;
  if (!landing) return;  // stopped between landings: the journey goes on from here
  if (!journey_) return;
  journey_ = false;
  if (!journey_from_ || *journey_from_ == *landing) return;  // unknown start, or a relevel
  common::trip t;
  t.from_floor = *journey_from_;
  t.to_floor = *landing;
  t.start_ms = journey_start_wall_;
  t.end_ms = journey_end_wall_;
  t.duration_ms = static_cast<std::uint32_t>(std::clamp<std::int64_t>(
      journey_end_mono_ - journey_start_mono_, 0, std::numeric_limits<std::uint32_t>::max()));
  t.peak_speed_mm_s = journey_peak_speed_;
  t.distance_mm = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(journey_distance_, std::numeric_limits<std::uint32_t>::max()));
  out.trip = t;
}

}  // namespace hoistway::edge
