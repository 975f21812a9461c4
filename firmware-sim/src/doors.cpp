// Doors: opening, dwell, closing with light-curtain and physical obstructions, nudging,
// the door lock check, and door wear.
#include "group_model_impl.hpp"

#include <algorithm>

namespace hoistway::sim {

using namespace detail;  // the model's internal types and helpers

void group_model::impl::open_doors(car_rt& c) {
  c.ph = phase::opening;
  if (c.door == door_state::closed) {
    c.door_fraction = 0.0;
    c.reopens = 0;
    c.nudging = false;
    c.transferred = false;
    ++c.stats.door_cycles;
  }
  c.door_t0_ms = now;
  c.door = door_state::opening;
  emit(c.index, event_kind::door_opening);
  c.timers[t_phase_end] =
      now + static_cast<std::int64_t>(std::ceil((1.0 - c.door_fraction) * c.spec.door_open_ms));
}

void group_model::impl::doors_opened(car_rt& c) {
  c.door_fraction = 1.0;
  c.door_t0_ms = now;
  c.door = door_state::open;
  c.ph = phase::open;
  emit(c.index, event_kind::door_opened);
  const bool hall = c.dir != direction::none && waiting_here(c.floor, c.dir);
  c.timers[t_phase_end] =
      now + (hall || c.reopens > 0 ? c.spec.dwell_hall_ms : c.spec.dwell_car_ms);
  transfer(c);
}

// Doors stay open (phase held) instead of closing after the dwell.
bool group_model::impl::hold_open(const car_rt& c) const {
  if (blocked(c)) return true;  // a car that cannot move keeps its doors open at a landing
  switch (c.mode) {
    case car_mode::earthquake:
    case car_mode::power_failure:
      return true;
    case car_mode::fire_recall:
      return c.floor == building.fire_recall_floor;
    case car_mode::independent:
      return std::none_of(c.car_calls.begin(), c.car_calls.end(), [](bool b) { return b; });
    default:
      return false;
  }
}

std::int64_t group_model::impl::current_close_ms(car_rt& c) {
  const auto nominal = static_cast<double>(c.spec.door_close_ms);
  double ms = nominal;
  if (c.door_degrade_ms_per_day > 0.0) {
    ms += c.door_degrade_ms_per_day * static_cast<double>(now - c.door_degrade_since) / day_ms;
    const int step = static_cast<int>((ms - nominal) / (nominal * 0.05));
    if (step > c.door_degrade_step) {
      c.door_degrade_step = step;
      emit(c.index, event_kind::door_degraded, static_cast<std::int32_t>(std::llround(ms)));
    }
    if (ms > nominal * 1.25) raise_fault(c, fault_code::door_close_slow);
  }
  return static_cast<std::int64_t>(std::llround(ms));
}

void group_model::impl::close_doors(car_rt& c) {
  c.ph = phase::closing;
  c.door_t0_ms = now;
  c.closing_started_ms = now;
  c.door = door_state::closing;
  c.door_close_ms = current_close_ms(c);
  emit(c.index, event_kind::door_closing, c.nudging ? 1 : 0);
  const double full = static_cast<double>(c.door_close_ms) * (c.nudging ? 1.5 : 1.0);
  const double duration = c.door_fraction * full;
  c.obstruct_planned = false;
  c.physical_obstruction = false;
  if (c.obstruction_active) {
    // Something blocks the doors: the closing force limit reverses them, nudging or not.
    c.obstruct_planned = true;
    c.physical_obstruction = true;
  } else if (!c.nudging && in_service(c)) {
    // A passenger steps into the light curtain now and then.
    const double p = building.traffic.light_curtain_probability * (c.transferred ? 1.0 : 0.1);
    c.obstruct_planned = doors_rng.chance(p);
  }
  if (c.obstruct_planned) {
    c.timers[t_phase_end] =
        now + static_cast<std::int64_t>(duration * (0.2 + 0.6 * doors_rng.uniform01()));
  } else {
    c.timers[t_phase_end] = now + static_cast<std::int64_t>(std::ceil(duration));
  }
}

double group_model::impl::door_fraction_now(const car_rt& c) const {
  const double dt = static_cast<double>(now - c.door_t0_ms);
  switch (c.door) {
    case door_state::opening:
      return std::min(1.0, c.door_fraction + dt / c.spec.door_open_ms);
    case door_state::closing:
      return std::max(0.0, c.door_fraction - dt / (static_cast<double>(c.door_close_ms) *
                                                   (c.nudging ? 1.5 : 1.0)));
    default:
      return c.door_fraction;
  }
}

void group_model::impl::reopen(car_rt& c, bool physical) {
  c.door_fraction = door_fraction_now(c);
  ++c.reopens;
  ++c.stats.reopens;
  emit(c.index, event_kind::door_reopened, c.reopens, physical ? 1 : 0);
  if (physical && c.reopens >= c.spec.max_reopens) {
    raise_fault(c, fault_code::door_obstruction);
    reassign_calls();
  }
  open_doors(c);
  if (c.reopens >= c.spec.nudging_after_reopens && !c.nudging) {
    c.nudging = true;
    emit(c.index, event_kind::door_nudging);
  }
}

void group_model::impl::doors_closed(car_rt& c) {
  c.door_fraction = 0.0;
  c.door = door_state::closed;
  emit(c.index, event_kind::door_closed, static_cast<std::int32_t>(now - c.closing_started_ms));
  c.ph = phase::idle;
  c.timers[t_phase_end] = never;
  if (c.lock_failure_active) {
    ++c.lock_attempts;
    emit(c.index, event_kind::door_lock_failed, c.lock_attempts);
    if (c.lock_attempts >= max_lock_attempts) {
      raise_fault(c, fault_code::door_lock_failure);
      reassign_calls();
    }
    open_doors(c);  // try again (or hold open, out of service, after the last attempt)
    return;
  }
  decide(c);
  reassign_calls();  // calls left behind because this car was full
}

}  // namespace hoistway::sim
