// Moving a car: trips, floor passings, replanning in the cruise, brake stops, arrival and
// leveling, and what a stationary car does next.
#include "group_model_impl.hpp"

#include <algorithm>

namespace hoistway::sim {

using namespace detail;  // the model's internal types and helpers

std::int64_t group_model::impl::car_next(const car_rt& c) const {
  return *std::min_element(c.timers.begin(), c.timers.end());
}

void group_model::impl::schedule_pass(car_rt& c) {
  c.timers[t_floor_pass] = never;
  if (c.ph != phase::moving || c.profile.direction() == 0) return;
  const int d = c.profile.direction();
  const auto next = static_cast<std::int16_t>(c.floor + d);
  if (next < 0 || next >= floor_count()) return;
  // Reaching the level of the landing the car stops at is the arrival, not a pass.
  if ((level(next) - c.profile.end_position()) * d >= -0.5) return;
  if ((level(next) - position(c)) * d <= 0.0) {
    c.floor = next;  // already beyond it (a replan): count it passed now
    emit(c.index, event_kind::floor_passed, c.floor);
    schedule_pass(c);
    return;
  }
  if (auto t = c.profile.time_at(level(next))) {
    c.timers[t_floor_pass] = std::max(now, c.profile_start_ms + ceil_ms(*t));
    c.next_pass_floor = next;
  }
}

void group_model::impl::schedule_replan(car_rt& c) {
  c.timers[t_replan] = never;
  if (!c.replan_pending || c.ph != phase::moving || c.braking || !c.profile.cruise_begin()) {
    return;
  }
  const auto begin = c.profile_start_ms + ceil_ms(*c.profile.cruise_begin());
  if (begin > now) c.timers[t_replan] = begin;
}

// During the cruise: stop at a nearer landing if there is a reason to.
void group_model::impl::try_replan(car_rt& c) {
  if (c.ph != phase::moving || c.braking || c.relevel || c.free_run) return;
  const double t = static_cast<double>(now - c.profile_start_ms) / 1000.0;
  const auto earliest = c.profile.earliest_stop(t, c.limits);
  if (!earliest) {
    schedule_replan(c);
    return;
  }
  c.replan_pending = false;
  c.timers[t_replan] = never;
  const int d = c.profile.direction();
  const auto dir = d > 0 ? direction::up : direction::down;
  for (auto f = static_cast<std::int16_t>(c.floor + d);
       f != c.target && f >= 0 && f < floor_count(); f = static_cast<std::int16_t>(f + d)) {
    if ((level(f) - *earliest) * d < 0.0) continue;
    if (!c.stop_asap && !(c.car_calls[static_cast<std::size_t>(f)] || assigned_call(c, f, dir))) {
      continue;
    }
    if (auto p = c.profile.stop_earlier(t, level(f), c.limits)) {
      c.profile = std::move(*p);
      c.profile_start_ms = now;
      c.target = f;
      c.target_offset = 0.0;
      c.timers[t_phase_end] = now + ceil_ms(c.profile.duration());
      emit(c.index, event_kind::trip_retargeted, f);
      schedule_pass(c);
    }
    return;
  }
}

void group_model::impl::start_trip(car_rt& c, std::int16_t target) {
  c.lock_attempts = 0;
  c.target = target;
  c.ph = phase::starting;
  c.timers[t_phase_end] = now + c.spec.start_delay_ms;
  const double d = level(target) - position(c);
  set_dir(c, d > 0 ? direction::up : direction::down);
}

// A slow move to the nearest landing (after an emergency stop, an inspection, a rescue).
void group_model::impl::start_rescue_trip(car_rt& c) {
  const auto f = nearest_floor(position(c));
  c.target = f;
  c.relevel = true;
  c.ph = phase::starting;
  c.timers[t_phase_end] = now + c.spec.start_delay_ms;
  set_dir(c, level(f) > position(c) ? direction::up : direction::down);
}

void group_model::impl::begin_motion(car_rt& c) {
  const double from = position(c);
  c.target_offset = 0.0;
  if (c.leveling_errors_left != 0 && !c.relevel) {
    // The stop will end off the level: overshoot or undershoot by 2-6 x tolerance.
    const double tol = static_cast<double>(c.spec.leveling_tolerance_mm);
    const double sgn = faults_rng.chance(0.5) ? 1.0 : -1.0;
    c.target_offset = sgn * tol * (2.0 + 4.0 * faults_rng.uniform01());
    if (c.leveling_errors_left > 0) --c.leveling_errors_left;
  }
  const auto& lim = c.relevel || c.mode == car_mode::power_failure ? c.rescue_limits : c.limits;
  c.profile = motion_profile::trip(from, level(c.target) + c.target_offset, lim);
  c.profile_start_ms = now;
  c.braking = false;
  c.ph = phase::moving;
  c.timers[t_phase_end] = now + ceil_ms(c.profile.duration());
  ++c.stats.trips;
  emit(c.index, event_kind::trip_started, c.floor, c.target);
  schedule_pass(c);
  c.replan_pending = !c.relevel;
  schedule_replan(c);
  if (c.entrapment_armed && !c.riders.empty() && !c.relevel) {
    c.timers[t_entrap_trigger] = now + ceil_ms(c.profile.duration() * 0.45);
  }
}

void group_model::impl::end_motion(car_rt& c) {
  const double end = c.profile.end_position();
  c.stats.running_ms += now - c.profile_start_ms;
  c.stats.distance_mm +=
      static_cast<std::uint64_t>(std::llround(std::abs(end - c.profile.at(0.0).position)));
  c.profile = motion_profile::at_rest(end);
  c.ph = phase::held;
  c.timers[t_phase_end] = never;
  c.timers[t_floor_pass] = never;
  c.timers[t_replan] = never;
  c.timers[t_entrap_trigger] = never;
  c.replan_pending = false;
}

// Machine brake: the car stops wherever it is.
void group_model::impl::emergency_stop(car_rt& c) {
  if (c.ph == phase::starting) {
    c.ph = phase::held;
    c.timers[t_phase_end] = never;
    return;
  }
  if (c.ph != phase::moving || c.braking) return;
  const auto m = motion(c);
  c.stats.running_ms += now - c.profile_start_ms;
  c.profile = motion_profile::brake_stop(m, brake_deceleration(c));
  c.profile_start_ms = now;
  c.braking = true;
  c.relevel = false;
  c.stop_asap = false;
  c.timers[t_phase_end] = now + ceil_ms(c.profile.duration());
  c.timers[t_replan] = never;
  c.timers[t_entrap_trigger] = never;
  emit(c.index, event_kind::emergency_stop,
       static_cast<std::int32_t>(std::llround(std::abs(c.profile.end_position() - m.position))));
  schedule_pass(c);
}

void group_model::impl::arrive_at_target(car_rt& c) {
  if (c.braking || c.free_run) {
    end_motion(c);
    c.braking = false;
    c.free_run = false;
    after_stop(c);
    return;
  }
  const bool was_relevel = c.relevel;
  end_motion(c);
  c.relevel = false;
  c.stop_asap = false;
  c.floor = c.target;
  const double error = position(c) - level(c.floor);
  emit(c.index, event_kind::trip_ended, c.floor, static_cast<std::int32_t>(std::llround(error)));
  if (std::abs(error) > static_cast<double>(c.spec.leveling_tolerance_mm)) {
    raise_fault(c, fault_code::leveling_error);
    emit(c.index, event_kind::relevel, static_cast<std::int32_t>(std::llround(error)));
    start_rescue_trip(c);
    return;
  }
  if (was_relevel) clear_fault(c, fault_code::leveling_error);
  after_stop(c);
}

// The car has just come to rest (trip end or brake stop).
void group_model::impl::after_stop(car_rt& c) {
  if (!level_at_floor(c)) {
    c.ph = phase::held;
    if (!c.riders.empty() && !in_door_zone(c, position(c))) {
      c.timers[t_entrap_detect] = now + entrapment_detect_ms;
    }
    decide_stationary(c);
    return;
  }
  // Announce the direction the car goes on in, so the right passengers board.
  if (in_service(c)) {
    const auto d = choose_direction(c);
    if (d != direction::none) set_dir(c, d);
  }
  if (should_open_here(c)) {
    open_doors(c);
  } else {
    c.ph = phase::idle;
    decide(c);
  }
}

bool group_model::impl::should_open_here(const car_rt& c) const {
  const auto f = c.floor;
  if (c.entrapped) return true;  // let the trapped passengers out
  if (blocked(c)) return false;
  switch (c.mode) {
    case car_mode::normal:
    case car_mode::parking:
      return c.car_calls[static_cast<std::size_t>(f)] || assigned_call(c, f, direction::up) ||
             assigned_call(c, f, direction::down) ||
             (c.dir != direction::none && waiting_here(f, c.dir));
    case car_mode::independent:
    case car_mode::out_of_service:
      return c.car_calls[static_cast<std::size_t>(f)];
    case car_mode::fire_recall:
      return f == building.fire_recall_floor;
    case car_mode::earthquake:
    case car_mode::power_failure:
      return true;
    case car_mode::inspection:
      return !c.riders.empty();
    case car_mode::unknown:
      return false;
  }
  return false;
}

// A stationary car with closed doors picks its next action.
void group_model::impl::decide(car_rt& c) {
  if (c.ph != phase::idle) return;
  c.timers[t_phase_end] = never;
  if (blocked(c) && level_at_floor(c) && !c.riders.empty()) {
    open_doors(c);  // the drive is out, the door operator is not: let the passengers out
    return;
  }
  if (blocked(c) || !level_at_floor(c)) {
    c.ph = phase::held;
    decide_stationary(c);
    return;
  }
  switch (c.mode) {
    case car_mode::normal:
    case car_mode::parking:
    case car_mode::independent:
    case car_mode::out_of_service:
      break;
    case car_mode::fire_recall:
      if (c.floor != building.fire_recall_floor) {
        start_trip(c, building.fire_recall_floor);
      } else {
        open_doors(c);
      }
      return;
    case car_mode::earthquake:
    case car_mode::power_failure:
      open_doors(c);
      return;
    case car_mode::inspection:
    case car_mode::unknown:
      c.ph = phase::held;
      return;
  }
  const auto d = choose_direction(c);
  set_dir(c, d);
  if (d == direction::none) {
    if (c.mode == car_mode::independent) {
      open_doors(c);  // independent service waits with the doors open
      return;
    }
    c.ph = phase::idle;
    if (c.mode == car_mode::normal && building.parking_delay_ms >= 0 &&
        c.floor != building.parking_floor && c.riders.empty()) {
      c.timers[t_phase_end] = now + building.parking_delay_ms;
    }
    return;
  }
  if (c.mode == car_mode::parking) set_mode(c, car_mode::normal);
  if (assigned_call(c, c.floor, d) || c.car_calls[static_cast<std::size_t>(c.floor)]) {
    open_doors(c);
    return;
  }
  const auto target = next_stop(c, c.floor, d);
  if (target < 0) {
    set_dir(c, direction::none);
    return;
  }
  start_trip(c, target);
}

// A stationary car that may be off level or blocked: rescue it to a landing when allowed.
void group_model::impl::decide_stationary(car_rt& c) {
  if (c.ph != phase::held) return;
  if (c.door != door_state::closed) {
    if (!hold_open(c)) close_doors(c);
    return;
  }
  if (blocked(c)) return;
  if (!level_at_floor(c)) {
    if (c.mode == car_mode::inspection) return;  // the technician moves it
    if (c.mode == car_mode::power_failure) {
      if (c.timers[t_rescue] == never) c.timers[t_rescue] = now + rescue_delay_ms;
      return;
    }
    start_rescue_trip(c);
    return;
  }
  c.ph = phase::idle;
  decide(c);
}

void group_model::impl::park(car_rt& c) {
  if (c.ph != phase::idle || c.floor == building.parking_floor || !in_service(c)) return;
  set_mode(c, car_mode::parking);
  emit(c.index, event_kind::parking_started, building.parking_floor);
  start_trip(c, building.parking_floor);
}

}  // namespace hoistway::sim
