// Collective control: landing and car calls, their assignment to cars, and passengers
// arriving, boarding and leaving.
#include "group_model_impl.hpp"

#include <algorithm>

namespace hoistway::sim {

using namespace detail;  // the model's internal types and helpers

bool group_model::impl::assigned_call(const car_rt& c, std::int16_t f, direction d) const {
  const auto& call = landings[static_cast<std::size_t>(f)].calls[dir_index(d)];
  return call.active && call.assigned == c.index;
}

bool group_model::impl::stop_at(const car_rt& c, std::int16_t f) const {
  return c.car_calls[static_cast<std::size_t>(f)] || assigned_call(c, f, direction::up) ||
         assigned_call(c, f, direction::down);
}

bool group_model::impl::any_stop_beyond(const car_rt& c, std::int16_t from, direction d) const {
  for (auto f = static_cast<std::int16_t>(from + sign(d)); f >= 0 && f < floor_count();
       f = static_cast<std::int16_t>(f + sign(d))) {
    if (stop_at(c, f)) return true;
  }
  return false;
}

bool group_model::impl::waiting_here(std::int16_t f, direction d) const {
  return !landings[static_cast<std::size_t>(f)].waiting[dir_index(d)].empty();
}

// The direction a stationary car at its floor goes on in (collective control).
direction group_model::impl::choose_direction(const car_rt& c) const {
  const auto f = c.floor;
  const bool up_beyond = any_stop_beyond(c, f, direction::up);
  const bool down_beyond = any_stop_beyond(c, f, direction::down);
  const bool wait_up = assigned_call(c, f, direction::up);
  const bool wait_down = assigned_call(c, f, direction::down);
  if (c.dir == direction::up) {
    if (up_beyond || wait_up) return direction::up;
    if (wait_down || down_beyond) return direction::down;
  } else if (c.dir == direction::down) {
    if (down_beyond || wait_down) return direction::down;
    if (wait_up || up_beyond) return direction::up;
  } else {
    if (wait_up) return direction::up;
    if (wait_down) return direction::down;
    if (up_beyond && down_beyond) {
      int du = 1;
      while (!stop_at(c, static_cast<std::int16_t>(f + du))) ++du;
      int dd = 1;
      while (!stop_at(c, static_cast<std::int16_t>(f - dd))) ++dd;
      return du <= dd ? direction::up : direction::down;
    }
    if (up_beyond) return direction::up;
    if (down_beyond) return direction::down;
  }
  return direction::none;
}

// Next stop in direction d from `from` (exclusive): a car call or same-direction hall call;
// failing that, the farthest opposite-direction call (where the car will reverse).
std::int16_t group_model::impl::next_stop(const car_rt& c, std::int16_t from, direction d) const {
  std::int16_t reverse_at = -1;
  for (auto f = static_cast<std::int16_t>(from + sign(d)); f >= 0 && f < floor_count();
       f = static_cast<std::int16_t>(f + sign(d))) {
    if (c.car_calls[static_cast<std::size_t>(f)] || assigned_call(c, f, d)) return f;
    if (assigned_call(c, f, opposite(d))) reverse_at = f;
  }
  return reverse_at;
}

bool group_model::impl::nearly_full(const car_rt& c) const {
  return c.load_kg + 110 > static_cast<std::uint32_t>(c.spec.rated_load_kg * capacity_share);
}

// Estimated time (s) for car c to serve a call at (f, d).
double group_model::impl::call_cost(const car_rt& c, std::int16_t f, direction d) const {
  const double floor_s = level(static_cast<std::int16_t>(floor_count() - 1)) /
                             std::max(1, floor_count() - 1) /
                             static_cast<double>(c.spec.rated_speed_mm_s) +
                         1.0;
  const double stop_s = static_cast<double>(c.spec.door_open_ms + c.spec.dwell_hall_ms +
                                            c.spec.door_close_ms + c.spec.start_delay_ms) /
                            1000.0 +
                        3.0;
  // A moving car can stop at the landing after the one it last passed, at the earliest.
  const auto pos =
      c.ph == phase::moving
          ? static_cast<std::int16_t>(std::clamp(c.floor + sign(c.dir), 0, floor_count() - 1))
          : c.floor;
  int stops = 0;
  int stops_before = 0;  // stops the car makes on its way to f, travelling in its direction
  for (std::int16_t x = 0; x < floor_count(); ++x) {
    if (!stop_at(c, x)) continue;
    ++stops;
    if ((x - pos) * sign(c.dir) >= 0 && (f - x) * sign(c.dir) > 0) ++stops_before;
  }
  double cost = 0.0;
  if (c.dir == direction::none || stops == 0) {
    cost = std::abs(f - pos) * floor_s;
  } else {
    const int ahead = (f - pos) * sign(c.dir);
    if (c.dir == d && ahead >= 0) {
      cost = ahead * floor_s + stops_before * stop_s;
    } else {
      std::int16_t far = pos;  // the end of the current sweep
      for (std::int16_t x = 0; x < floor_count(); ++x) {
        if (stop_at(c, x) && (x - far) * sign(c.dir) > 0) far = x;
      }
      cost = (std::abs(far - pos) + std::abs(far - f)) * floor_s + stops * stop_s;
    }
  }
  if (c.load_kg > c.spec.rated_load_kg * capacity_share * 0.9) cost += 30.0;
  if (c.mode == car_mode::parking) cost += 1.0;
  return cost;
}

void group_model::impl::assign(std::int16_t f, direction d) {
  auto& call = landings[static_cast<std::size_t>(f)].calls[dir_index(d)];
  if (!call.active) return;
  int best = -1;
  double best_cost = 0.0;
  for (const auto& c : cars) {
    if (!in_service(c)) continue;
    // A full car standing at the landing cannot take these passengers: another car must.
    if (c.floor == f && c.ph != phase::idle && c.ph != phase::moving && nearly_full(c)) continue;
    const double cost = call_cost(c, f, d);
    if (best < 0 || cost < best_cost) {
      best = c.index;
      best_cost = cost;
    }
  }
  call.assigned = best;
  if (best >= 0) wake(cars[static_cast<std::size_t>(best)], f, d);
}

void group_model::impl::register_hall_call(std::int16_t f, direction d) {
  auto& call = landings[static_cast<std::size_t>(f)].calls[dir_index(d)];
  if (call.active) return;
  call.active = true;
  call.since_ms = now;
  call.assigned = -1;
  ++stats.hall_calls;
  emit(-1, event_kind::hall_call, f, static_cast<std::int32_t>(d));
  assign(f, d);
}

// Re-dispatches the calls nobody in service serves (a car left service or came back).
void group_model::impl::reassign_calls() {
  for (std::int16_t f = 0; f < floor_count(); ++f) {
    for (auto d : {direction::up, direction::down}) {
      auto& call = landings[static_cast<std::size_t>(f)].calls[dir_index(d)];
      if (!call.active) continue;
      if (call.assigned >= 0 && in_service(cars[static_cast<std::size_t>(call.assigned)])) {
        continue;
      }
      assign(f, d);
    }
  }
}

// A call (f, d) was just assigned to c: start it if idle, retarget it if moving.
void group_model::impl::wake(car_rt& c, std::int16_t f, direction d) {
  switch (c.ph) {
    case phase::idle:
      c.timers[t_phase_end] = never;
      decide(c);
      break;
    case phase::moving:
      if (c.dir == d && (f - c.floor) * sign(d) > 0 && (c.target - f) * sign(d) > 0) {
        c.replan_pending = true;
        try_replan(c);
      }
      break;
    case phase::opening:
    case phase::open:
      if (c.floor == f && (c.dir == d || c.dir == direction::none)) {
        if (c.dir == direction::none) set_dir(c, d);
        transfer(c);
      }
      break;
    case phase::closing:
      if (c.floor == f && (c.dir == d || c.dir == direction::none) && !c.nudging) {
        reopen(c, false);
      }
      break;
    case phase::starting:
      // A landing call here before the brake lifts: open again, as a hall button would.
      if (c.floor == f && (c.dir == d || c.dir == direction::none) && in_service(c) && !c.relevel &&
          level_at_floor(c)) {
        c.timers[t_phase_end] = never;
        if (c.dir == direction::none) set_dir(c, d);
        open_doors(c);
      }
      break;
    default:
      break;
  }
}

void group_model::impl::arrive(const passenger& p) {
  ++stats.passengers_arrived;
  const direction d = p.destination > p.origin ? direction::up : direction::down;
  landings[static_cast<std::size_t>(p.origin)].waiting[dir_index(d)].push_back(p);
  // A car standing open here in that direction takes the passenger at once.
  for (auto& c : cars) {
    if (c.floor != p.origin || !in_service(c)) continue;
    if (c.dir != d && c.dir != direction::none) continue;
    if (c.ph == phase::open) {
      if (c.dir == direction::none) set_dir(c, d);
      transfer(c);
      if (!waiting_here(p.origin, d)) return;
    } else if (c.ph == phase::opening && c.dir == d) {
      return;  // boards when the doors are open; transfer() calls a car if it is full
    }
  }
  register_hall_call(p.origin, d);
}

// Everyone leaves the car (evacuation), not only those at their destination.
bool group_model::impl::evacuating(const car_rt& c) const {
  return c.mode == car_mode::earthquake || c.mode == car_mode::power_failure ||
         c.mode == car_mode::inspection ||
         (c.mode == car_mode::fire_recall && c.floor == building.fire_recall_floor) ||
         c.entrapped || blocked(c);
}

// Passengers leave and enter car c, stationary with doors open at its floor.
void group_model::impl::transfer(car_rt& c) {
  if (c.ph != phase::open) return;
  const auto f = c.floor;
  const bool evacuate = evacuating(c);
  int out = 0;
  int in = 0;
  for (std::size_t i = 0; i < c.riders.size();) {
    if (evacuate || c.riders[i].destination == f) {
      ++out;
      if (c.riders[i].destination == f) {
        ++stats.passengers_delivered;
        stats.journey_ms_total += now - c.riders[i].arrival_ms;
      } else {
        ++stats.passengers_evacuated;
      }
      c.load_kg -= c.riders[i].weight_kg;
      c.riders.erase(c.riders.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  if (evacuate) {
    std::fill(c.car_calls.begin(), c.car_calls.end(), false);
  }
  c.car_calls[static_cast<std::size_t>(f)] = false;
  auto& here = landings[static_cast<std::size_t>(f)];
  if (c.dir != direction::none && in_service(c)) {
    auto& queue = here.waiting[dir_index(c.dir)];
    const auto capacity = static_cast<std::uint32_t>(c.spec.rated_load_kg * capacity_share);
    while (!queue.empty() && c.load_kg + queue.front().weight_kg <= capacity) {
      passenger p = queue.front();
      queue.pop_front();
      ++in;
      ++stats.passengers_boarded;
      ++c.stats.passengers;
      const std::int64_t wait = now - p.arrival_ms;
      stats.wait_ms_total += wait;
      stats.wait_ms_max = std::max(stats.wait_ms_max, wait);
      c.load_kg += p.weight_kg;
      c.car_calls[static_cast<std::size_t>(p.destination)] = true;
      c.riders.push_back(p);
    }
    auto& call = here.calls[dir_index(c.dir)];
    if (queue.empty()) {
      if (call.active) {
        ++stats.calls_answered;
        stats.call_response_ms_total += now - call.since_ms;
        stats.call_response_ms_max = std::max(stats.call_response_ms_max, now - call.since_ms);
      }
      call.active = false;
      call.assigned = -1;
    } else if (!call.active) {
      // Full, and nobody pressed the button (they walked into this car's open doors).
      call.active = true;
      call.since_ms = now;
      call.assigned = -1;
      ++stats.hall_calls;
      emit(-1, event_kind::hall_call, f, static_cast<std::int32_t>(c.dir));
    } else if (call.assigned == c.index) {
      call.assigned = -1;  // full: re-dispatched when this car leaves (doors_closed)
    }
  }
  if (out + in > 0) {
    c.transferred = true;
    emit(c.index, event_kind::passengers_moved, out, in);
    c.timers[t_phase_end] =
        std::max(c.timers[t_phase_end], now + std::int64_t{out + in} * c.spec.transfer_ms);
  }
  if (c.entrapped && c.riders.empty()) {
    c.entrapped = false;
    c.timers[t_alarm] = never;
    set_alarm(c, false);
    emit(c.index, event_kind::entrapment_released);
    clear_fault(c, fault_code::entrapment);
  }
  if (c.entrapped == false) c.timers[t_entrap_detect] = never;
}

}  // namespace hoistway::sim
