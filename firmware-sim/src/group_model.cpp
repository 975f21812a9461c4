// The discrete-event group model: construction, helpers, the timer table and the event loop,
// and the public group_model API. The car state machine lives in car_motion.cpp, doors.cpp,
// dispatch.cpp and modes.cpp, all members of group_model::impl (group_model_impl.hpp).
//
// Each car has a small table of timers (phase end, next floor pass, replan point, fault
// timers); the event loop repeatedly takes the earliest due timer (ties: scenario actions, then
// arrivals, then cars in index order, then timers in table order), so a run depends only on its
// inputs. A car is in one `phase` at a time; what it does when a phase ends, or when a mode or
// fault changes (kick), depends on its mode and faults.
#include "group_model_impl.hpp"

#include <algorithm>

namespace hoistway::sim {

using namespace detail;  // the model's internal types and helpers

namespace {

building_spec with_start_time(building_spec b, const scenario& s) {
  if (s.start_time_of_day_s) b.traffic.start_time_of_day_s = *s.start_time_of_day_s;
  return b;
}

}  // namespace

group_model::impl::impl(building_spec b, scenario s, std::uint64_t seed)
    : building(with_start_time(std::move(b), s)),
      plan(std::move(s)),
      traffic(building.traffic, static_cast<std::int16_t>(building.landings.size()),
              derive_seed(seed, 1)),
      doors_rng(derive_seed(seed, 2)),
      faults_rng(derive_seed(seed, 3)) {
  const auto floors = building.landings.size();
  landings.resize(floors);
  for (std::size_t i = 0; i < building.cars.size(); ++i) {
    car_rt c;
    c.index = static_cast<std::int16_t>(i);
    c.spec = building.cars[i];
    c.limits = motion_limits{static_cast<double>(c.spec.rated_speed_mm_s),
                             static_cast<double>(c.spec.acceleration_mm_s2),
                             static_cast<double>(c.spec.jerk_mm_s3),
                             static_cast<double>(c.spec.leveling_speed_mm_s),
                             static_cast<double>(c.spec.leveling_distance_mm)};
    c.rescue_limits = c.limits;
    c.rescue_limits.speed = static_cast<double>(c.spec.rescue_speed_mm_s);
    c.rescue_limits.leveling_speed =
        std::min(c.rescue_limits.leveling_speed, c.rescue_limits.speed * 0.5);
    c.timers.fill(never);
    c.door_close_ms = c.spec.door_close_ms;
    c.car_calls.assign(floors, false);
    // Spread the cars over the building at start.
    c.floor = static_cast<std::int16_t>(floors * i / building.cars.size());
    c.profile = motion_profile::at_rest(level(c.floor));
    c.timers[t_brake_test] = next_time_of_day(brake_test_time_of_day_s);
    for (std::size_t f = 0; f < injected_fault_count; ++f) {
      c.timers[t_random_first + f] = draw_random_fault(f, 0);
    }
    cars.push_back(std::move(c));
  }
  stats.cars.resize(cars.size());
}

double group_model::impl::level(std::int16_t floor) const {
  return static_cast<double>(building.landings[static_cast<std::size_t>(floor)].level_mm);
}

std::int16_t group_model::impl::floor_count() const {
  return static_cast<std::int16_t>(landings.size());
}

std::int64_t group_model::impl::next_time_of_day(std::int32_t tod_s) const {
  const std::int64_t start = std::int64_t{building.traffic.start_time_of_day_s} * 1000;
  std::int64_t t = std::int64_t{tod_s} * 1000 - start;
  while (t <= now) t += day_ms;
  return t;
}

std::int64_t group_model::impl::draw_random_fault(std::size_t fault, std::int64_t after) {
  const double rate = plan.random.per_car_day[fault];
  if (!(rate > 0.0)) return never;
  const double gap = faults_rng.exponential(static_cast<double>(day_ms) / rate);
  if (gap > 1e15) return never;
  return after + std::max<std::int64_t>(1, static_cast<std::int64_t>(gap));
}

void group_model::impl::emit(int car, event_kind kind, std::int32_t value, std::int32_t detail) {
  ++stats.events[static_cast<std::size_t>(kind)];
  if (sink) sink(sim_event{now, static_cast<std::int16_t>(car), kind, value, detail});
}

motion_sample group_model::impl::motion(const car_rt& c) const {
  if (c.ph != phase::moving) return c.profile.at(c.profile.duration());
  return c.profile.at(static_cast<double>(now - c.profile_start_ms) / 1000.0);
}

double group_model::impl::position(const car_rt& c) const { return motion(c).position; }

std::int16_t group_model::impl::nearest_floor(double pos) const {
  std::int16_t best = 0;
  for (std::int16_t f = 1; f < floor_count(); ++f) {
    if (std::abs(level(f) - pos) < std::abs(level(best) - pos)) best = f;
  }
  return best;
}

bool group_model::impl::in_door_zone(const car_rt& c, double pos) const {
  return std::abs(level(nearest_floor(pos)) - pos) <= static_cast<double>(c.spec.door_zone_mm);
}

// Stationary at a landing within the leveling tolerance.
bool group_model::impl::level_at_floor(const car_rt& c) const {
  const double pos = position(c);
  return std::abs(level(nearest_floor(pos)) - pos) <=
         static_cast<double>(c.spec.leveling_tolerance_mm);
}

void group_model::impl::set_dir(car_rt& c, direction d) {
  if (c.dir == d) return;
  c.dir = d;
  emit(c.index, event_kind::direction_changed, static_cast<std::int32_t>(d));
}

void group_model::impl::raise_fault(car_rt& c, fault_code code) {
  const auto v = static_cast<std::uint16_t>(code);
  auto it = std::lower_bound(c.faults.begin(), c.faults.end(), v);
  if (it != c.faults.end() && *it == v) return;
  c.faults.insert(it, v);
  emit(c.index, event_kind::fault_raised, v);
}

void group_model::impl::clear_fault(car_rt& c, fault_code code) {
  const auto v = static_cast<std::uint16_t>(code);
  auto it = std::lower_bound(c.faults.begin(), c.faults.end(), v);
  if (it == c.faults.end() || *it != v) return;
  c.faults.erase(it);
  emit(c.index, event_kind::fault_cleared, v);
}

// Faults that keep a car from moving.
bool group_model::impl::blocked(const car_rt& c) const {
  return !c.safety_chain_ok || c.drive_fault || c.stuck ||
         c.has_fault(fault_code::door_lock_failure) || c.has_fault(fault_code::door_obstruction);
}

bool group_model::impl::in_service(const car_rt& c) const {
  return (c.mode == car_mode::normal || c.mode == car_mode::parking) && !blocked(c);
}

double group_model::impl::brake_deceleration(const car_rt& c) const {
  const double nominal = static_cast<double>(c.spec.brake_deceleration_mm_s2);
  const double days = static_cast<double>(now - c.brake_degrade_since) / day_ms;
  return std::max(nominal * 0.3, nominal - c.brake_degrade_per_day * days);
}

double group_model::impl::brake_distance(const car_rt& c, double speed) const {
  return speed * speed / (2.0 * brake_deceleration(c));
}

void group_model::impl::on_timer(car_rt& c, std::size_t k) {
  c.timers[k] = never;
  if (k == t_floor_pass) {
    c.floor = c.next_pass_floor;
    emit(c.index, event_kind::floor_passed, c.floor);
    schedule_pass(c);
  } else if (k == t_replan) {
    try_replan(c);
  } else if (k == t_phase_end) {
    on_phase_end(c);
  } else if (k == t_entrap_trigger) {
    if (c.entrapment_armed && c.ph == phase::moving && !c.riders.empty()) trigger_entrapment(c);
  } else if (k == t_entrap_detect) {
    if (c.ph == phase::held && !c.riders.empty() && !in_door_zone(c, position(c)) && !c.entrapped) {
      c.entrapped = true;
      raise_fault(c, fault_code::entrapment);
      emit(c.index, event_kind::entrapment_started, static_cast<std::int32_t>(c.riders.size()));
      c.timers[t_alarm] = now + 5'000;
      reassign_calls();
    }
  } else if (k == t_alarm) {
    if (c.entrapped) {
      set_alarm(c, !c.alarm);
      c.timers[t_alarm] = now + (c.alarm ? alarm_hold_ms : alarm_period_ms - alarm_hold_ms);
    }
  } else if (k == t_alarm_release) {
    if (!c.entrapped) set_alarm(c, false);
  } else if (k == t_rescue) {
    if (c.mode == car_mode::power_failure && c.ph == phase::held && !level_at_floor(c) &&
        !blocked(c)) {
      start_rescue_trip(c);
    }
  } else if (k == t_brake_test) {
    c.timers[t_brake_test] = now + day_ms;
    const double nominal = static_cast<double>(c.spec.rated_speed_mm_s) *
                           static_cast<double>(c.spec.rated_speed_mm_s) /
                           (2.0 * c.spec.brake_deceleration_mm_s2);
    const double distance = brake_distance(c, static_cast<double>(c.spec.rated_speed_mm_s));
    emit(c.index, event_kind::brake_test, static_cast<std::int32_t>(std::llround(distance)));
    if (distance > nominal * 1.5) raise_fault(c, fault_code::brake_distance);
  } else if (k >= t_clear_first && k < t_random_first) {
    clear(c, static_cast<injected_fault>(k - t_clear_first));
  } else if (k >= t_random_first && k < t_count) {
    const auto f = static_cast<injected_fault>(k - t_random_first);
    c.timers[k] = draw_random_fault(k - t_random_first, now);
    inject(c, f, plan.random.clear_after_ms, 0.0, 1);
  }
}

void group_model::impl::on_phase_end(car_rt& c) {
  switch (c.ph) {
    case phase::idle:
      park(c);
      break;
    case phase::starting:
      begin_motion(c);
      break;
    case phase::moving:
      arrive_at_target(c);
      break;
    case phase::opening:
      doors_opened(c);
      break;
    case phase::open:
      if (hold_open(c)) {
        c.ph = phase::held;
      } else {
        close_doors(c);
      }
      break;
    case phase::closing:
      if (c.obstruct_planned) {
        reopen(c, c.physical_obstruction);
      } else {
        doors_closed(c);
      }
      break;
    case phase::held:
      decide_stationary(c);
      break;
  }
}

void group_model::impl::on_car_event(car_rt& c) {
  std::size_t best = 0;
  for (std::size_t k = 1; k < t_count; ++k) {
    if (c.timers[k] < c.timers[best]) best = k;
  }
  on_timer(c, best);
}

std::int64_t group_model::impl::next_event() const {
  std::int64_t t = traffic.next_arrival_ms();
  if (next_action < plan.actions.size()) t = std::min(t, plan.actions[next_action].at_ms);
  for (const auto& c : cars) t = std::min(t, car_next(c));
  return t;
}

void group_model::impl::advance_to(std::int64_t t_end) {
  while (true) {
    const std::int64_t t = next_event();
    if (t > t_end) break;
    now = std::max(now, t);
    while (next_action < plan.actions.size() && plan.actions[next_action].at_ms <= now) {
      emit(plan.actions[next_action].car, event_kind::scenario_action,
           static_cast<std::int32_t>(next_action));
      apply(plan.actions[next_action++]);
    }
    while (traffic.next_arrival_ms() <= now) arrive(traffic.pop());
    for (auto& c : cars) {
      for (int guard = 0; car_next(c) <= now && guard < 10'000; ++guard) on_car_event(c);
    }
  }
  now = std::max(now, t_end);
}

common::car_state group_model::impl::car_state(const car_rt& c) const {
  common::car_state s;
  const auto m = motion(c);
  s.car = static_cast<std::uint8_t>(c.index);
  s.position_mm = static_cast<std::int32_t>(std::llround(m.position));
  s.speed_mm_s = static_cast<std::int32_t>(std::llround(m.speed));
  s.floor = c.floor;
  s.dir = c.dir;
  s.door = c.door;
  s.load_kg = static_cast<std::uint16_t>(std::min<std::uint32_t>(c.load_kg, 65535));
  s.rated_load_kg = c.spec.rated_load_kg;
  s.mode = c.mode;
  s.in_door_zone = in_door_zone(c, m.position);
  s.alarm = c.alarm;
  s.fault_codes = c.faults;
  s.safety_chain_ok = c.safety_chain_ok;
  s.power_ok = power_ok;
  s.inspection_switch = c.inspection_switch;
  s.door_reopens = c.reopens;
  // The controller's own counters, as real controllers keep them for the maintenance menu.
  s.counters = common::car_counters{
      c.stats.trips, c.stats.door_cycles,
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, c.stats.running_ms)),
      c.stats.distance_mm};
  return s;
}

group_model::group_model(building_spec building, scenario plan, std::uint64_t seed)
    : impl_(std::make_unique<impl>(std::move(building), std::move(plan), seed)) {
  for (auto& c : impl_->cars) impl_->decide(c);
}
group_model::~group_model() = default;
group_model::group_model(group_model&&) noexcept = default;
group_model& group_model::operator=(group_model&&) noexcept = default;

void group_model::set_event_sink(event_sink sink) { impl_->sink = std::move(sink); }
std::int64_t group_model::now_ms() const noexcept { return impl_->now; }
std::int64_t group_model::next_event_ms() const noexcept { return impl_->next_event(); }
void group_model::advance_to(std::int64_t t_ms) { impl_->advance_to(t_ms); }
void group_model::apply(const scenario_action& action) { impl_->apply(action); }

common::group_state group_model::state() const {
  common::group_state s;
  s.controller_id = impl_->building.controller_id;
  s.firmware = impl_->building.firmware;
  s.sim_time_ms = impl_->now;
  s.floors = impl_->floor_count();
  s.landing_levels_mm.reserve(impl_->building.landings.size());
  for (const auto& l : impl_->building.landings) s.landing_levels_mm.push_back(l.level_mm);
  for (const auto& c : impl_->cars) s.cars.push_back(impl_->car_state(c));
  return s;
}

common::car_state group_model::car_state(std::size_t car) const {
  return impl_->car_state(impl_->cars.at(car));
}
motion_sample group_model::car_motion(std::size_t car) const {
  return impl_->motion(impl_->cars.at(car));
}
bool group_model::car_braking(std::size_t car) const {
  const auto& c = impl_->cars.at(car);
  return c.braking && c.ph == phase::moving;
}
std::size_t group_model::car_count() const noexcept { return impl_->cars.size(); }
const building_spec& group_model::building() const noexcept { return impl_->building; }
const group_statistics& group_model::statistics() const noexcept {
  auto& s = impl_->stats;
  for (std::size_t i = 0; i < impl_->cars.size(); ++i) s.cars[i] = impl_->cars[i].stats;
  return s;
}
std::int32_t group_model::time_of_day_s(std::int64_t t_ms) const noexcept {
  return static_cast<std::int32_t>((t_ms / 1000 + impl_->building.traffic.start_time_of_day_s) %
                                   86'400);
}

}  // namespace hoistway::sim
