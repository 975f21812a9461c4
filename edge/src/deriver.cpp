// Event derivation from controller reads.
#include "hoistway/edge/deriver.hpp"

#include <algorithm>
#include <cstdlib>

namespace hoistway::edge {

using common::car_mode;
using common::door_state;

deriver::deriver(deriver_options options)
    : options_(std::move(options)),
      configured_landings_(landing_table::from(options_.landing_levels_mm)) {
  landings_ = configured_landings_;
}

void deriver::update_landings(const common::group_state& group) {
  if (!configured_landings_.empty() || group.landing_levels_mm == answered_levels_) return;
  answered_levels_ = group.landing_levels_mm;
  landings_ = landing_table::from(answered_levels_);
  if (landings_.empty() && !answered_levels_.empty()) ++landing_tables_rejected_;
  if (landings_.empty()) landings_ = learned_table_;
}

// Neither the config nor the controller gives landing levels: learn them from cars standing
// with their doors open in a landing's door zone (by then the floor indication has settled),
// and use the table once every landing has been seen at the same level a few times.
void deriver::learn_landings(const common::group_state& group, std::int64_t mono_ms) {
  if (!configured_landings_.empty() || !answered_levels_.empty() || !learned_table_.empty()) {
    return;
  }
  if (group.floors <= 0 || static_cast<std::size_t>(group.floors) > 256) return;
  const auto floors = static_cast<std::size_t>(group.floors);
  if (learned_.size() != floors) learned_.assign(floors, {});
  constexpr std::uint32_t sightings_needed = 3;
  constexpr std::int64_t sighting_gap_ms = 20'000;
  for (const auto& car : group.cars) {
    if (car.speed_mm_s != 0 || car.door != door_state::open || !car.in_door_zone || car.floor < 0 ||
        static_cast<std::size_t>(car.floor) >= floors) {
      continue;
    }
    auto& l = learned_[static_cast<std::size_t>(car.floor)];
    if (l.sightings == 0 ||
        std::abs(l.level_mm - car.position_mm) > options_.tracking.landing_window_mm) {
      l = learned_level{car.position_mm, 1, mono_ms};  // first sight, or it disagrees: again
    } else if (l.sightings < sightings_needed && mono_ms - l.last_mono >= sighting_gap_ms) {
      ++l.sightings;  // another stop, not another read of the same one
      l.last_mono = mono_ms;
    }
  }
  if (std::ranges::any_of(learned_,
                          [](const learned_level& l) { return l.sightings < sightings_needed; })) {
    return;
  }
  std::vector<std::int32_t> levels;
  levels.reserve(floors);
  for (const auto& l : learned_) levels.push_back(l.level_mm);
  learned_table_ = landing_table::from(levels);
  if (learned_table_.empty()) {
    learned_.assign(floors, {});  // not ascending: the indication misled us; learn again
  } else {
    landings_ = learned_table_;
  }
}

std::vector<usage_reconciliation> deriver::reconciliation() const {
  std::vector<usage_reconciliation> out(cars_.size());
  for (std::size_t i = 0; i < cars_.size(); ++i) {
    if (cars_[i]) out[i] = cars_[i]->reconciled;
  }
  return out;
}

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
  update_landings(group);
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
      slot->trips_seen = trip_tracker(options_.tracking);
      slot->trips_seen.observe(car, landings_, mono_ms, wall_ms);
      slot->last_mono = mono_ms;
      slot->last_door_mono = mono_ms;
      slot->counters_start = car.counters;
      slot->counters_last = car.counters;
      out.push_back({car.car, to_run_state(car, true)});
      continue;
    }
    derive_car(*slot, car, mono_ms, wall_ms, out);
  }
  learn_landings(group, mono_ms);
  snapshot_due_ = false;
  if (mono_ms >= rollup_due_mono_) roll_up(mono_ms, wall_ms, out);
  return out;
}

void deriver::reconcile(car_track& track, std::int64_t elapsed_ms, common::usage_rollup& u) {
  auto& r = track.reconciled;
  ++r.rollups;
  if (!track.counters_start || !track.counters_last) {
    ++r.counters_missing;
    return;
  }
  const auto& a = *track.counters_start;
  const auto& b = *track.counters_last;
  if (b.trips < a.trips || b.door_cycles < a.door_cycles || b.running_ms < a.running_ms ||
      b.distance_mm < a.distance_mm) {
    ++r.counters_reset;
    return;
  }
  // Counters move when a run or door cycle ends, so an interval may hold one that began in the
  // one before: allow a long run's worth of slack. Beyond it, the counters are not believed.
  const auto elapsed = static_cast<std::uint64_t>(std::max<std::int64_t>(0, elapsed_ms));
  constexpr std::uint64_t slack_ms = 600'000;
  constexpr std::uint64_t fastest_mm_per_s = 20'000;  // no lift runs faster than 20 m/s
  const auto trips = b.trips - a.trips;
  const auto door_cycles = b.door_cycles - a.door_cycles;
  const auto running_ms = b.running_ms - a.running_ms;
  const auto distance_mm = b.distance_mm - a.distance_mm;
  if (trips > elapsed / 500 + 2 || door_cycles > elapsed / 1000 + 2 ||
      running_ms > elapsed + slack_ms ||
      distance_mm > (elapsed + slack_ms) / 1000 * fastest_mm_per_s) {
    ++r.counters_implausible;
    return;
  }
  ++r.from_counters;
  r.starts_diff += static_cast<std::int64_t>(trips) - std::int64_t{u.starts};
  r.door_cycles_diff += static_cast<std::int64_t>(door_cycles) - std::int64_t{u.door_cycles};
  r.running_ms_diff += static_cast<std::int64_t>(running_ms) - track.running_ms;
  r.distance_mm_diff +=
      static_cast<std::int64_t>(distance_mm) - static_cast<std::int64_t>(u.distance_mm);
  const auto cap = [](std::uint64_t v) {
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(v, UINT32_MAX));
  };
  u.starts = cap(trips);
  u.door_cycles = cap(door_cycles);
  u.running_s = cap((running_ms + 500) / 1000);
  u.distance_mm = distance_mm;
}

void deriver::roll_up(std::int64_t mono_ms, std::int64_t wall_ms, std::vector<derived>& out) {
  const auto elapsed_s = (mono_ms - rollup_start_mono_ + 500) / 1000;
  for (std::size_t i = 0; i < cars_.size(); ++i) {
    auto& track = cars_[i];
    if (!track) continue;
    track->distance_mm += track->trips_seen.take_distance_mm();
    common::usage_rollup u;
    u.interval_start_ms = rollup_start_wall_;
    u.interval_s = static_cast<std::uint32_t>(std::max<std::int64_t>(0, elapsed_s));
    u.trips = track->trips;
    u.starts = track->starts;
    u.door_cycles = track->door_cycles;
    u.running_s = static_cast<std::uint32_t>((track->running_ms + 500) / 1000);
    u.distance_mm = track->distance_mm;
    reconcile(*track, mono_ms - rollup_start_mono_, u);
    out.push_back({static_cast<std::uint8_t>(i), u});
    track->trips = track->starts = track->door_cycles = 0;
    track->running_ms = 0;
    track->distance_mm = 0;
    track->counters_start = track->counters_last;
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

  // Trips, runs, running time and distance: from position against the landing levels.
  const bool moving = now.speed_mm_s != 0;
  track.last_mono = mono_ms;
  if (now.counters) track.counters_last = now.counters;
  const auto seen = track.trips_seen.observe(now, landings_, mono_ms, wall_ms);
  if (seen.run_started) ++track.starts;
  if (seen.run_ended) track.running_ms += seen.running_ms;
  if (seen.trip) {
    out.push_back({car, *seen.trip});
    ++track.trips;
  }

  // Door cycles: from leaving "closed" to being closed again.
  const auto read_gap_ms = mono_ms - track.last_door_mono;
  track.last_door_mono = mono_ms;
  if (now.door_reopens != 0) track.reopens_reported = true;
  if (now.door == door_state::closing && before.door != door_state::closing) {
    track.closing_since_mono = mono_ms;
  }
  const auto end_cycle = [&] {
    track.door_cycle = false;
    ++track.door_cycles;
    // The landing the car rests at by position; the indication only when nothing better.
    const auto floor = track.trips_seen.resting_landing().value_or(now.floor);
    out.push_back({car, common::door_cycle{floor,
                                           static_cast<std::uint32_t>(std::max<std::int64_t>(
                                               0, mono_ms - track.door_open_mono)),
                                           track.door_reopens}});
  };
  // Closed and opened again between two reads (a controller may start the next cycle in the
  // same instant it ends one, e.g. when the door lock fails): seen as closing, then opening.
  // A reopen makes the controller's reopen count grow; if it does not, the doors had closed.
  // Before a controller has shown that it counts reopens, a closing that lasted as long as a
  // full one did is taken to have closed (a reopen interrupts the closing earlier); before a
  // full closing has been seen, it is taken for a reopen (by far the more common).
  bool closed_unseen = false;
  if (track.door_cycle && before.door == door_state::closing && door_is_open(now.door)) {
    const bool count_says_closed = (track.reopens_reported || before.door_reopens > 0) &&
                                   now.door_reopens <= before.door_reopens;
    const bool time_says_closed =
        !track.reopens_reported && track.full_close_ms > 0 &&
        mono_ms - track.closing_since_mono >= track.full_close_ms - read_gap_ms;
    if (count_says_closed || time_says_closed) {
      closed_unseen = true;
      end_cycle();
      track.door_cycle = true;
      track.door_open_mono = mono_ms;
      track.door_reopens = 0;
    }
  }
  if (before.door == door_state::closing && now.door == door_state::closed) {
    track.full_close_ms = mono_ms - track.closing_since_mono;
  }
  if (!track.door_cycle && before.door == door_state::closed && now.door != door_state::closed &&
      now.door != door_state::unknown) {
    track.door_cycle = true;
    track.door_open_mono = mono_ms;
    track.door_reopens = 0;
  }
  if (track.door_cycle) {
    if (!closed_unseen && before.door == door_state::closing && door_is_open(now.door)) {
      ++track.door_reopens;
    }
    track.door_reopens = std::max(track.door_reopens, now.door_reopens);
    if (now.door == door_state::closed) end_cycle();
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
