// Operating modes (inspection, independent, fire recall, earthquake, power failure, out of
// service, parking), injected and random faults, and scenario actions.
#include "group_model_impl.hpp"

#include <algorithm>

namespace hoistway::sim {

using namespace detail;  // the model's internal types and helpers

void group_model::impl::set_mode(car_rt& c, car_mode m) {
  if (c.mode == m) return;
  const auto old = c.mode;
  c.mode = m;
  emit(c.index, event_kind::mode_changed, static_cast<std::int32_t>(old),
       static_cast<std::int32_t>(m));
}

car_mode group_model::impl::wanted_mode(const car_rt& c) const {
  if (!power_ok) return car_mode::power_failure;
  if (c.inspection_switch) return car_mode::inspection;
  if (earthquake) return car_mode::earthquake;
  if (fire) return car_mode::fire_recall;
  if (c.requested != car_mode::normal) return c.requested;
  return c.mode == car_mode::parking ? car_mode::parking : car_mode::normal;
}

// Re-evaluates a car's mode after a group or car condition changed, and reacts.
void group_model::impl::update_mode(car_rt& c) {
  const auto m = wanted_mode(c);
  if (m != c.mode) {
    if (m == car_mode::power_failure) emergency_stop(c);  // the brake drops with the power
    if (m == car_mode::fire_recall) std::fill(c.car_calls.begin(), c.car_calls.end(), false);
    set_mode(c, m);
  }
  kick(c);
}

// Something changed (mode, fault): make the car act on it in its current phase.
void group_model::impl::kick(car_rt& c) {
  const bool must_stop =
      !in_service(c) && c.mode != car_mode::independent && c.mode != car_mode::out_of_service;
  switch (c.ph) {
    case phase::idle:
      c.timers[t_phase_end] = never;
      decide(c);
      break;
    case phase::held:
      decide_stationary(c);
      break;
    case phase::starting:
      if (must_stop) {
        c.ph = phase::idle;
        c.timers[t_phase_end] = never;
        c.relevel = false;
        decide(c);
      }
      break;
    case phase::moving:
      if (must_stop && !c.relevel && !c.braking && !c.free_run && !heading_to_recall(c)) {
        c.stop_asap = true;
        c.replan_pending = true;
        try_replan(c);
      }
      break;
    case phase::open:
      if (c.mode == car_mode::fire_recall && c.floor != building.fire_recall_floor) {
        c.nudging = true;  // phase I recall: close at once, slowly, ignoring the curtain
        close_doors(c);
      } else {
        transfer(c);
        if (hold_open(c)) {
          c.ph = phase::held;
          c.timers[t_phase_end] = never;
        }
      }
      break;
    case phase::closing:
      if (c.mode == car_mode::earthquake || c.mode == car_mode::power_failure) {
        reopen(c, false);
      }
      break;
    case phase::opening:
      break;
  }
}

// In fire recall, a car already running towards the recall floor need not stop first.
bool group_model::impl::heading_to_recall(const car_rt& c) const {
  if (c.mode != car_mode::fire_recall) return false;
  const int d = c.profile.direction();
  return d != 0 && (building.fire_recall_floor - c.target) * d >= 0;
}

void group_model::impl::update_all_modes() {
  for (auto& c : cars) update_mode(c);
  reassign_calls();
}

void group_model::impl::set_alarm(car_rt& c, bool on) {
  if (c.alarm == on) return;
  c.alarm = on;
  emit(c.index, on ? event_kind::alarm_pressed : event_kind::alarm_released);
}

void group_model::impl::inject(car_rt& c, injected_fault f, std::int64_t duration_ms, double rate,
                               std::int32_t count) {
  const auto clear_timer = t_clear_first + fault_index(f);
  c.timers[clear_timer] = duration_ms > 0 ? now + duration_ms : never;
  switch (f) {
    case injected_fault::door_lock_failure:
      c.lock_failure_active = true;
      break;
    case injected_fault::door_obstruction:
      c.obstruction_active = true;
      if (c.ph == phase::closing) reopen(c, true);
      break;
    case injected_fault::leveling_error:
      c.leveling_errors_left = duration_ms > 0 ? -1 : std::max(1, count);
      break;
    case injected_fault::safety_chain_open:
      c.safety_chain_ok = false;
      raise_fault(c, fault_code::safety_chain_open);
      emergency_stop(c);
      on_block(c);
      break;
    case injected_fault::drive_fault:
      c.drive_fault = true;
      raise_fault(c, fault_code::drive_fault);
      emergency_stop(c);
      on_block(c);
      break;
    case injected_fault::entrapment:
      c.entrapment_armed = true;
      c.entrapment_duration_ms = duration_ms;
      c.timers[clear_timer] = never;  // runs from the moment the car sticks
      if (c.ph == phase::moving && !c.riders.empty()) trigger_entrapment(c);
      break;
    case injected_fault::door_close_degradation:
      c.door_degrade_ms_per_day = rate;
      c.door_degrade_since = now;
      c.door_degrade_step = 0;
      break;
    case injected_fault::brake_degradation:
      c.brake_degrade_per_day = rate;
      c.brake_degrade_since = now;
      break;
  }
}

// A fault now keeps the car from moving: its calls go to other cars, its doors stay open
// at a landing and its passengers get out there; between floors, they may be trapped.
void group_model::impl::on_block(car_rt& c) {
  reassign_calls();
  kick(c);
  if (c.ph == phase::held && !c.riders.empty() && !in_door_zone(c, position(c))) {
    c.timers[t_entrap_detect] = now + entrapment_detect_ms;
  }
}

void group_model::impl::trigger_entrapment(car_rt& c) {
  c.entrapment_armed = false;
  c.stuck = true;
  c.timers[t_entrap_trigger] = never;
  emergency_stop(c);
  on_block(c);
  if (c.entrapment_duration_ms > 0) {
    c.timers[t_clear_first + fault_index(injected_fault::entrapment)] =
        now + c.entrapment_duration_ms;
  }
}

void group_model::impl::clear(car_rt& c, injected_fault f) {
  c.timers[t_clear_first + fault_index(f)] = never;
  switch (f) {
    case injected_fault::door_lock_failure:
      c.lock_failure_active = false;
      c.lock_attempts = 0;
      clear_fault(c, fault_code::door_lock_failure);
      break;
    case injected_fault::door_obstruction:
      c.obstruction_active = false;
      clear_fault(c, fault_code::door_obstruction);
      break;
    case injected_fault::leveling_error:
      c.leveling_errors_left = 0;
      break;
    case injected_fault::safety_chain_open:
      c.safety_chain_ok = true;
      clear_fault(c, fault_code::safety_chain_open);
      break;
    case injected_fault::drive_fault:
      c.drive_fault = false;
      clear_fault(c, fault_code::drive_fault);
      break;
    case injected_fault::entrapment:
      c.entrapment_armed = false;
      c.stuck = false;
      break;
    case injected_fault::door_close_degradation:
      c.door_degrade_ms_per_day = 0.0;
      c.door_degrade_step = 0;
      clear_fault(c, fault_code::door_close_slow);
      break;
    case injected_fault::brake_degradation:
      c.brake_degrade_per_day = 0.0;
      clear_fault(c, fault_code::brake_distance);
      break;
  }
  kick(c);
  reassign_calls();
}

template <typename F>
void group_model::impl::for_cars(std::int16_t car, F f) {
  for (auto& c : cars) {
    if (car < 0 || c.index == car) f(c);
  }
}

void group_model::impl::apply(const scenario_action& a) {
  switch (a.kind) {
    case action_kind::inject:
      for_cars(a.car, [&](car_rt& c) { inject(c, a.fault, a.duration_ms, a.rate, a.count); });
      break;
    case action_kind::clear:
      for_cars(a.car, [&](car_rt& c) { clear(c, a.fault); });
      break;
    case action_kind::set_mode:
      for_cars(a.car, [&](car_rt& c) {
        c.inspection_switch = a.mode == car_mode::inspection;
        if (a.mode != car_mode::inspection) c.requested = a.mode;
        update_mode(c);
      });
      reassign_calls();
      break;
    case action_kind::earthquake:
      if (earthquake) break;
      earthquake = true;
      for (auto& c : cars) {
        raise_fault(c, fault_code::earthquake_sensor);
        emit(c.index, event_kind::earthquake_started);
      }
      update_all_modes();
      break;
    case action_kind::earthquake_reset:
      if (!earthquake) break;
      earthquake = false;
      for (auto& c : cars) {
        clear_fault(c, fault_code::earthquake_sensor);
        emit(c.index, event_kind::earthquake_reset);
      }
      update_all_modes();
      break;
    case action_kind::power_loss:
      if (!power_ok) break;
      power_ok = false;
      for (auto& c : cars) {
        raise_fault(c, fault_code::power_failure);
        emit(c.index, event_kind::power_lost);
      }
      update_all_modes();
      break;
    case action_kind::power_restore:
      if (power_ok) break;
      power_ok = true;
      for (auto& c : cars) {
        c.timers[t_rescue] = never;
        clear_fault(c, fault_code::power_failure);
        emit(c.index, event_kind::power_restored);
      }
      update_all_modes();
      break;
    case action_kind::fire_alarm:
      if (fire) break;
      fire = true;
      for (auto& c : cars) {
        raise_fault(c, fault_code::fire_alarm);
        emit(c.index, event_kind::fire_recall_started);
      }
      update_all_modes();
      break;
    case action_kind::fire_reset:
      if (!fire) break;
      fire = false;
      for (auto& c : cars) {
        clear_fault(c, fault_code::fire_alarm);
        emit(c.index, event_kind::fire_recall_reset);
      }
      update_all_modes();
      break;
    case action_kind::inspection_move:
      for_cars(a.car, [&](car_rt& c) { inspection_move(c, a.distance_mm); });
      break;
    case action_kind::car_call:
      for_cars(a.car, [&](car_rt& c) {
        c.car_calls[static_cast<std::size_t>(a.floor)] = true;
        kick(c);
      });
      break;
    case action_kind::passenger:
      for (std::int32_t i = 0; i < a.count; ++i) {
        passenger p;
        p.arrival_ms = now;
        p.origin = a.floor;
        p.destination = a.to_floor;
        arrive(p);
      }
      break;
    case action_kind::alarm:
      for_cars(a.car, [&](car_rt& c) {
        set_alarm(c, true);
        c.timers[t_alarm_release] = now + a.duration_ms;
      });
      break;
  }
}

void group_model::impl::inspection_move(car_rt& c, std::int32_t distance_mm) {
  if (c.mode != car_mode::inspection || c.door != door_state::closed ||
      (c.ph != phase::held && c.ph != phase::idle) || blocked(c)) {
    return;
  }
  const double top = level(static_cast<std::int16_t>(floor_count() - 1));
  const double from = position(c);
  const double to = std::clamp(from + distance_mm, 0.0, top);
  motion_limits lim = c.limits;
  lim.speed = static_cast<double>(c.spec.inspection_speed_mm_s);
  lim.leveling_distance = 0.0;
  auto run = motion_profile::trip(from, to, lim);
  if (!run.moving()) return;
  c.profile = std::move(run);
  c.profile_start_ms = now;
  c.braking = false;
  c.relevel = false;
  c.ph = phase::moving;
  c.target = nearest_floor(to);
  c.timers[t_replan] = never;
  c.timers[t_phase_end] = now + ceil_ms(c.profile.duration());
  set_dir(c, to > from ? direction::up : direction::down);
  ++c.stats.trips;
  c.free_run = true;
  emit(c.index, event_kind::inspection_move, static_cast<std::int32_t>(std::llround(to)));
  schedule_pass(c);
}

}  // namespace hoistway::sim
