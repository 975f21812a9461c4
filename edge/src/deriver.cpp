// Event derivation from controller reads.
#include "hoistway/edge/deriver.hpp"

#include <algorithm>
#include <cstdlib>

namespace hoistway::edge {

using common::car_mode;
using common::door_state;

bool deriver::in_service(const common::car_state& car) const {
  return (car.mode == car_mode::normal || car.mode == car_mode::parking) && car.power_ok &&
         car.safety_chain_ok && std::ranges::none_of(car.fault_codes, [this](std::uint16_t code) {
           return options_.faults.lookup(code).blocks_service;
         });
}

common::run_state deriver::to_run_state(const common::car_state& car, bool snapshot) const {
  common::run_state s;
  s.position_mm = car.position_mm;
  s.speed_mm_s = car.speed_mm_s;
  s.floor = car.floor;
  s.dir = car.dir;
  s.door = car.door;
  s.load_kg = car.load_kg;
  s.mode = car.mode;
  s.in_door_zone = car.in_door_zone;
  s.alarm = car.alarm;
  s.fault_codes = car.fault_codes;
  s.snapshot = snapshot;
  s.in_service = in_service(car);
  return s;
}

namespace {

// The fields whose change is published at once (position and speed change continuously and
// travel in snapshots and with every other change).
bool run_state_changed(const common::car_state& a, const common::car_state& b) {
  return a.floor != b.floor || a.dir != b.dir || a.door != b.door || a.mode != b.mode ||
         a.fault_codes != b.fault_codes || a.alarm != b.alarm || a.power_ok != b.power_ok ||
         a.safety_chain_ok != b.safety_chain_ok || a.in_door_zone != b.in_door_zone;
}

bool door_is_open(door_state d) { return d == door_state::opening || d == door_state::open; }

}  // namespace

std::vector<derived> deriver::observe(const common::group_state& group, std::int64_t mono_ms,
                                      std::int64_t wall_ms) {
  std::vector<derived> out;
  if (rollup_due_mono_ == 0) {
    // The first interval is partial: it ends at the next wall-clock multiple of the interval.
    const auto interval = std::max<std::int64_t>(1, options_.rollup_interval.count());
    rollup_start_wall_ = wall_ms;
    rollup_start_mono_ = mono_ms;
    rollup_due_mono_ = mono_ms + (interval - ((wall_ms % interval) + interval) % interval);
  }
  for (const auto& car : group.cars) {
    if (car.car >= cars_.size()) cars_.resize(car.car + 1U);
    auto& slot = cars_[car.car];
    if (!slot) {
      // First sight of this car: a full snapshot, no events (we did not see them happen).
      slot = car_track{};
      slot->last = car;
      slot->last_snapshot_mono = mono_ms;
      slot->moving = car.speed_mm_s != 0;
      slot->trip_from = car.floor;
      slot->trip_start_wall = wall_ms;
      slot->trip_start_mono = mono_ms;
      slot->trip_start_pos = car.position_mm;
      slot->last_mono = mono_ms;
      out.push_back({car.car, to_run_state(car, true)});
      continue;
    }
    derive_car(*slot, car, mono_ms, wall_ms, out);
  }
  snapshot_due_ = false;
  if (mono_ms >= rollup_due_mono_) roll_up(mono_ms, wall_ms, out);
  return out;
}

void deriver::roll_up(std::int64_t mono_ms, std::int64_t wall_ms, std::vector<derived>& out) {
  const auto elapsed_s = (mono_ms - rollup_start_mono_ + 500) / 1000;
  for (std::size_t i = 0; i < cars_.size(); ++i) {
    auto& track = cars_[i];
    if (!track) continue;
    common::usage_rollup u;
    u.interval_start_ms = rollup_start_wall_;
    u.interval_s = static_cast<std::uint32_t>(std::max<std::int64_t>(0, elapsed_s));
    u.trips = track->trips;
    u.starts = track->starts;
    u.door_cycles = track->door_cycles;
    u.running_s = static_cast<std::uint32_t>((track->running_ms + 500) / 1000);
    u.distance_mm = track->distance_mm;
    out.push_back({static_cast<std::uint8_t>(i), u});
    track->trips = track->starts = track->door_cycles = 0;
    track->running_ms = 0;
    track->distance_mm = 0;
  }
  const auto interval = std::max<std::int64_t>(1, options_.rollup_interval.count());
  rollup_start_wall_ = wall_ms;
  rollup_start_mono_ = mono_ms;
  while (rollup_due_mono_ <= mono_ms) rollup_due_mono_ += interval;
}

void deriver::derive_car(car_track& track, const common::car_state& now, std::int64_t mono_ms,
                         std::int64_t wall_ms, std::vector<derived>& out) {
  const auto& before = track.last;
  const std::uint8_t car = now.car;

  // Mode, power, faults: events before the run state that shows their result.
  if (now.mode != before.mode) {
    out.push_back({car, common::mode_change{before.mode, now.mode}});
    if (now.mode == car_mode::earthquake)
      out.push_back({car, common::earthquake_operation{true, now.floor}});
    if (before.mode == car_mode::earthquake) {
      out.push_back({car, common::earthquake_operation{false, now.floor}});
    }
  }
  if (now.power_ok != before.power_ok) out.push_back({car, common::power_change{!now.power_ok}});
  for (const auto code : now.fault_codes) {
    if (!std::binary_search(before.fault_codes.begin(), before.fault_codes.end(), code)) {
      out.push_back({car, common::fault_event{code, options_.faults.lookup(code).level, true}});
    }
  }
  for (const auto code : before.fault_codes) {
    if (!std::binary_search(now.fault_codes.begin(), now.fault_codes.end(), code)) {
      out.push_back({car, common::fault_event{code, options_.faults.lookup(code).level, false}});
    }
  }

  // Usage: running time counts every interval in which the car moved at either end.
  const bool moving = now.speed_mm_s != 0;
  if (moving || before.speed_mm_s != 0)
    track.running_ms += std::max<std::int64_t>(0, mono_ms - track.last_mono);
  track.distance_mm += static_cast<std::uint64_t>(std::abs(now.position_mm - before.position_mm));
  track.last_mono = mono_ms;

  // Trips: from standing to moving and back to standing.
  if (moving) {
    if (!track.moving) {
      ++track.starts;
      track.moving = true;
      track.trip_from = before.floor;
      track.trip_start_wall = wall_ms;
      track.trip_start_mono = mono_ms;
      track.trip_start_pos = before.position_mm;
      track.trip_peak_speed = 0;
      track.trip_distance = 0;
    }
    track.trip_peak_speed =
        std::max(track.trip_peak_speed, static_cast<std::uint32_t>(std::abs(now.speed_mm_s)));
    track.trip_distance +=
        static_cast<std::uint64_t>(std::abs(now.position_mm - before.position_mm));
  } else if (track.moving) {
    track.moving = false;
    track.trip_distance +=
        static_cast<std::uint64_t>(std::abs(now.position_mm - before.position_mm));
    if (now.floor != track.trip_from) {
      common::trip t;
      t.from_floor = track.trip_from;
      t.to_floor = now.floor;
      t.start_ms = track.trip_start_wall;
      t.end_ms = wall_ms;
      t.duration_ms =
          static_cast<std::uint32_t>(std::max<std::int64_t>(0, mono_ms - track.trip_start_mono));
      t.peak_speed_mm_s = track.trip_peak_speed;
      t.distance_mm =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(track.trip_distance, UINT32_MAX));
      out.push_back({car, t});
      ++track.trips;
    }
  }

  // Door cycles: from leaving "closed" to being closed again.
  if (!track.door_cycle && before.door == door_state::closed && now.door != door_state::closed &&
      now.door != door_state::unknown) {
    track.door_cycle = true;
    track.door_open_mono = mono_ms;
    track.door_reopens = 0;
  }
  if (track.door_cycle) {
    if (before.door == door_state::closing && door_is_open(now.door)) ++track.door_reopens;
    track.door_reopens = std::max(track.door_reopens, now.door_reopens);
    if (now.door == door_state::closed) {
      track.door_cycle = false;
      ++track.door_cycles;
      out.push_back({car, common::door_cycle{now.floor,
                                             static_cast<std::uint32_t>(std::max<std::int64_t>(
                                                 0, mono_ms - track.door_open_mono)),
                                             track.door_reopens}});
    }
  }

  // Entrapment: stopped outside the door zone with someone inside and doors closed, for long
  // enough; or the alarm button while stopped with passengers.
  const bool stuck = !moving && !now.in_door_zone && now.load_kg >= options_.occupied_load_kg &&
                     now.door == door_state::closed;
  if (stuck) {
    if (!track.stuck_since_mono) track.stuck_since_mono = mono_ms;
  } else {
    track.stuck_since_mono.reset();
  }
  const bool alarm_trapped = now.alarm && !moving && !now.in_door_zone;
  const bool trapped =
      alarm_trapped || (track.stuck_since_mono &&
                        mono_ms - *track.stuck_since_mono >= options_.entrapment_after.count());
  if (trapped && !track.entrapped) {
    track.entrapped = true;
    out.push_back(
        {car, common::entrapment{true, now.floor, now.position_mm, now.load_kg, now.alarm}});
  } else if (!trapped && track.entrapped &&
             (now.in_door_zone || door_is_open(now.door) ||
              now.load_kg < options_.occupied_load_kg)) {
    track.entrapped = false;
    out.push_back(
        {car, common::entrapment{false, now.floor, now.position_mm, now.load_kg, now.alarm}});
  }

  // Run state: on change at once; otherwise a periodic snapshot.
  const bool snapshot =
      snapshot_due_ || mono_ms - track.last_snapshot_mono >= options_.snapshot_interval.count();
  if (snapshot) {
    track.last_snapshot_mono = mono_ms;
    out.push_back({car, to_run_state(now, true)});
  } else if (run_state_changed(before, now)) {
    out.push_back({car, to_run_state(now, false)});
  }
  track.last = now;
}

}  // namespace hoistway::edge
