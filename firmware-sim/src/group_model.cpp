// The discrete-event group model: car state machines, doors, dispatch, traffic, modes, faults.
//
// Each car has a small table of timers (phase end, next floor pass, replan point, fault
// timers); the event loop repeatedly takes the earliest due timer (ties: scenario actions, then
// arrivals, then cars in index order, then timers in table order), so a run depends only on its
// inputs. A car is in one `phase` at a time; what it does when a phase ends, or when a mode or
// fault changes (kick), depends on its mode and faults.
#include "hoistway/sim/group_model.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

#include "hoistway/sim/fault_codes.hpp"
#include "hoistway/sim/random.hpp"
#include "hoistway/sim/traffic.hpp"

namespace hoistway::sim {

using common::car_mode;
using common::direction;
using common::door_state;

namespace {

constexpr std::int64_t never = group_model::never;
constexpr std::int64_t day_ms = 86'400'000;
constexpr double capacity_share = 0.8;                 // boarding stops at 80 % of rated load
constexpr std::int64_t entrapment_detect_ms = 30'000;  // held outside the door zone this long
constexpr std::int64_t rescue_delay_ms = 10'000;       // emergency power takes over after this
constexpr std::int64_t alarm_period_ms = 120'000;      // trapped passengers press the alarm ...
constexpr std::int64_t alarm_hold_ms = 5'000;          // ... for this long
constexpr std::int32_t brake_test_time_of_day_s = 3 * 3600;
constexpr int max_lock_attempts = 3;

enum class phase : std::uint8_t {
  idle,      // stationary, doors closed, nothing to do (phase_end: parking timer)
  starting,  // doors locked, brake lifting
  moving,    // following the motion profile
  opening,
  open,  // dwell
  closing,
  held,  // stationary, waiting for a mode or fault to change (doors open or closed)
};

// Timers of a car, in the order they are handled when due at the same time.
enum timer : std::uint8_t {
  t_floor_pass,
  t_replan,
  t_phase_end,
  t_entrap_trigger,  // the armed entrapment stops the car now
  t_entrap_detect,   // held outside the door zone with passengers long enough
  t_alarm,           // trapped passengers press / release the alarm button
  t_alarm_release,   // a scenario alarm press ends
  t_rescue,          // emergency power rescue starts
  t_brake_test,
  t_clear_first,  // + injected_fault: the injected fault clears itself
  t_random_first = t_clear_first + injected_fault_count,  // + injected_fault: a random fault
  t_count = t_random_first + injected_fault_count,
};

int sign(direction d) { return d == direction::up ? 1 : d == direction::down ? -1 : 0; }
direction opposite(direction d) {
  return d == direction::up ? direction::down : d == direction::down ? direction::up : d;
}
std::int64_t ceil_ms(double seconds) {
  return static_cast<std::int64_t>(std::ceil(seconds * 1000.0 - 1e-6));
}
std::size_t dir_index(direction d) { return d == direction::down ? 1 : 0; }
std::size_t fault_index(injected_fault f) { return static_cast<std::size_t>(f); }

struct hall_call {
  bool active = false;
  std::int64_t since_ms = 0;
  int assigned = -1;
};

struct landing_state {
  std::deque<passenger> waiting[2];  // [0] up, [1] down
  hall_call calls[2];
};

struct car_rt {
  std::int16_t index = 0;
  car_spec spec;
  motion_limits limits;
  motion_limits rescue_limits;
  phase ph = phase::idle;
  door_state door = door_state::closed;
  direction dir = direction::none;
  car_mode mode = car_mode::normal;
  car_mode requested = car_mode::normal;  // normal, independent or out_of_service by key switch
  std::array<std::int64_t, t_count> timers;

  // Motion.
  motion_profile profile = motion_profile::at_rest(0.0);
  std::int64_t profile_start_ms = 0;
  bool braking = false;    // the current profile is a brake stop
  bool free_run = false;   // an inspection run: it ends where it ends, not at a landing
  bool stop_asap = false;  // stop at the nearest landing the car can still stop at
  bool replan_pending = false;
  bool relevel = false;    // the current trip corrects a stop error
  std::int16_t floor = 0;  // landing at or last passed
  std::int16_t target = -1;
  std::int16_t next_pass_floor = 0;
  double target_offset = 0.0;  // a leveling error planned into the current trip

  // Doors.
  double door_fraction = 0.0;  // 1 = fully open, at door_t0_ms
  std::int64_t door_t0_ms = 0;
  std::int64_t door_close_ms = 0;  // closing time of the current cycle (degrades)
  std::uint16_t reopens = 0;
  bool nudging = false;
  bool obstruct_planned = false;
  bool physical_obstruction = false;
  bool transferred = false;
  std::int64_t closing_started_ms = 0;
  int lock_attempts = 0;

  // Calls and load.
  std::vector<bool> car_calls;
  std::vector<passenger> riders;
  std::uint32_t load_kg = 0;

  // Faults and status.
  std::vector<std::uint16_t> faults;  // ascending
  bool alarm = false;
  bool safety_chain_ok = true;
  bool drive_fault = false;
  bool inspection_switch = false;
  bool lock_failure_active = false;
  bool obstruction_active = false;
  std::int32_t leveling_errors_left = 0;  // < 0: until cleared
  bool entrapment_armed = false;
  std::int64_t entrapment_duration_ms = 0;
  bool stuck = false;      // an injected entrapment holds the car
  bool entrapped = false;  // entrapment detected (fault 302 raised)
  double door_degrade_ms_per_day = 0.0;
  std::int64_t door_degrade_since = 0;
  int door_degrade_step = 0;
  double brake_degrade_per_day = 0.0;
  std::int64_t brake_degrade_since = 0;

  car_statistics stats;

  bool has_fault(fault_code code) const {
    return std::binary_search(faults.begin(), faults.end(), static_cast<std::uint16_t>(code));
  }
};

}  // namespace

building_spec with_start_time(building_spec b, const scenario& s) {
  if (s.start_time_of_day_s) b.traffic.start_time_of_day_s = *s.start_time_of_day_s;
  return b;
}

struct group_model::impl {
  building_spec building;
  scenario plan;
  std::int64_t now = 0;
  std::vector<car_rt> cars;
  std::vector<landing_state> landings;
  traffic_generator traffic;
  rng doors_rng;
  rng faults_rng;
  std::size_t next_action = 0;
  group_statistics stats;
  event_sink sink;
  bool power_ok = true;
  bool earthquake = false;
  bool fire = false;

  impl(building_spec b, scenario s, std::uint64_t seed)
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

  // ---- helpers -------------------------------------------------------------------------------

  double level(std::int16_t floor) const {
    return static_cast<double>(building.landings[static_cast<std::size_t>(floor)].level_mm);
  }
  std::int16_t floor_count() const { return static_cast<std::int16_t>(landings.size()); }

  std::int64_t next_time_of_day(std::int32_t tod_s) const {
    const std::int64_t start = std::int64_t{building.traffic.start_time_of_day_s} * 1000;
    std::int64_t t = std::int64_t{tod_s} * 1000 - start;
    while (t <= now) t += day_ms;
    return t;
  }

  std::int64_t draw_random_fault(std::size_t fault, std::int64_t after) {
    const double rate = plan.random.per_car_day[fault];
    if (!(rate > 0.0)) return never;
    const double gap = faults_rng.exponential(static_cast<double>(day_ms) / rate);
    if (gap > 1e15) return never;
    return after + std::max<std::int64_t>(1, static_cast<std::int64_t>(gap));
  }

  void emit(int car, event_kind kind, std::int32_t value = 0, std::int32_t detail = 0) {
    ++stats.events[static_cast<std::size_t>(kind)];
    if (sink) sink(sim_event{now, static_cast<std::int16_t>(car), kind, value, detail});
  }

  motion_sample motion(const car_rt& c) const {
    if (c.ph != phase::moving) return c.profile.at(c.profile.duration());
    return c.profile.at(static_cast<double>(now - c.profile_start_ms) / 1000.0);
  }
  double position(const car_rt& c) const { return motion(c).position; }

  std::int16_t nearest_floor(double pos) const {
    std::int16_t best = 0;
    for (std::int16_t f = 1; f < floor_count(); ++f) {
      if (std::abs(level(f) - pos) < std::abs(level(best) - pos)) best = f;
    }
    return best;
  }

  bool in_door_zone(const car_rt& c, double pos) const {
    return std::abs(level(nearest_floor(pos)) - pos) <= static_cast<double>(c.spec.door_zone_mm);
  }

  // Stationary at a landing within the leveling tolerance.
  bool level_at_floor(const car_rt& c) const {
    const double pos = position(c);
    return std::abs(level(nearest_floor(pos)) - pos) <=
           static_cast<double>(c.spec.leveling_tolerance_mm);
  }

  void set_dir(car_rt& c, direction d) {
    if (c.dir == d) return;
    c.dir = d;
    emit(c.index, event_kind::direction_changed, static_cast<std::int32_t>(d));
  }

  void raise_fault(car_rt& c, fault_code code) {
    const auto v = static_cast<std::uint16_t>(code);
    auto it = std::lower_bound(c.faults.begin(), c.faults.end(), v);
    if (it != c.faults.end() && *it == v) return;
    c.faults.insert(it, v);
    emit(c.index, event_kind::fault_raised, v);
  }

  void clear_fault(car_rt& c, fault_code code) {
    const auto v = static_cast<std::uint16_t>(code);
    auto it = std::lower_bound(c.faults.begin(), c.faults.end(), v);
    if (it == c.faults.end() || *it != v) return;
    c.faults.erase(it);
    emit(c.index, event_kind::fault_cleared, v);
  }

  // Faults that keep a car from moving.
  bool blocked(const car_rt& c) const {
    return !c.safety_chain_ok || c.drive_fault || c.stuck ||
           c.has_fault(fault_code::door_lock_failure) || c.has_fault(fault_code::door_obstruction);
  }

  bool in_service(const car_rt& c) const {
    return (c.mode == car_mode::normal || c.mode == car_mode::parking) && !blocked(c);
  }

  double brake_deceleration(const car_rt& c) const {
    const double nominal = static_cast<double>(c.spec.brake_deceleration_mm_s2);
    const double days = static_cast<double>(now - c.brake_degrade_since) / day_ms;
    return std::max(nominal * 0.3, nominal - c.brake_degrade_per_day * days);
  }

  double brake_distance(const car_rt& c, double speed) const {
    return speed * speed / (2.0 * brake_deceleration(c));
  }

  // ---- calls -----------------------------------------------------------------------------------

  bool assigned_call(const car_rt& c, std::int16_t f, direction d) const {
    const auto& call = landings[static_cast<std::size_t>(f)].calls[dir_index(d)];
    return call.active && call.assigned == c.index;
  }

  bool stop_at(const car_rt& c, std::int16_t f) const {
    return c.car_calls[static_cast<std::size_t>(f)] || assigned_call(c, f, direction::up) ||
           assigned_call(c, f, direction::down);
  }

  bool any_stop_beyond(const car_rt& c, std::int16_t from, direction d) const {
    for (auto f = static_cast<std::int16_t>(from + sign(d)); f >= 0 && f < floor_count();
         f = static_cast<std::int16_t>(f + sign(d))) {
      if (stop_at(c, f)) return true;
    }
    return false;
  }

  bool waiting_here(std::int16_t f, direction d) const {
    return !landings[static_cast<std::size_t>(f)].waiting[dir_index(d)].empty();
  }

  // The direction a stationary car at its floor goes on in (collective control).
  direction choose_direction(const car_rt& c) const {
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
  std::int16_t next_stop(const car_rt& c, std::int16_t from, direction d) const {
    std::int16_t reverse_at = -1;
    for (auto f = static_cast<std::int16_t>(from + sign(d)); f >= 0 && f < floor_count();
         f = static_cast<std::int16_t>(f + sign(d))) {
      if (c.car_calls[static_cast<std::size_t>(f)] || assigned_call(c, f, d)) return f;
      if (assigned_call(c, f, opposite(d))) reverse_at = f;
    }
    return reverse_at;
  }

  bool nearly_full(const car_rt& c) const {
    return c.load_kg + 110 > static_cast<std::uint32_t>(c.spec.rated_load_kg * capacity_share);
  }

  // Estimated time (s) for car c to serve a call at (f, d).
  double call_cost(const car_rt& c, std::int16_t f, direction d) const {
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

  void assign(std::int16_t f, direction d) {
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

  void register_hall_call(std::int16_t f, direction d) {
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
  void reassign_calls() {
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
  void wake(car_rt& c, std::int16_t f, direction d) {
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
        if (c.floor == f && (c.dir == d || c.dir == direction::none) && in_service(c) &&
            !c.relevel && level_at_floor(c)) {
          c.timers[t_phase_end] = never;
          if (c.dir == direction::none) set_dir(c, d);
          open_doors(c);
        }
        break;
      default:
        break;
    }
  }

  // ---- passengers ------------------------------------------------------------------------------

  void arrive(const passenger& p) {
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
  bool evacuating(const car_rt& c) const {
    return c.mode == car_mode::earthquake || c.mode == car_mode::power_failure ||
           c.mode == car_mode::inspection ||
           (c.mode == car_mode::fire_recall && c.floor == building.fire_recall_floor) ||
           c.entrapped || blocked(c);
  }

  // Passengers leave and enter car c, stationary with doors open at its floor.
  void transfer(car_rt& c) {
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

  // ---- motion ----------------------------------------------------------------------------------

  std::int64_t car_next(const car_rt& c) const {
    return *std::min_element(c.timers.begin(), c.timers.end());
  }

  void schedule_pass(car_rt& c) {
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

  void schedule_replan(car_rt& c) {
    c.timers[t_replan] = never;
    if (!c.replan_pending || c.ph != phase::moving || c.braking || !c.profile.cruise_begin()) {
      return;
    }
    const auto begin = c.profile_start_ms + ceil_ms(*c.profile.cruise_begin());
    if (begin > now) c.timers[t_replan] = begin;
  }

  // During the cruise: stop at a nearer landing if there is a reason to.
  void try_replan(car_rt& c) {
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

  void start_trip(car_rt& c, std::int16_t target) {
    c.lock_attempts = 0;
    c.target = target;
    c.ph = phase::starting;
    c.timers[t_phase_end] = now + c.spec.start_delay_ms;
    const double d = level(target) - position(c);
    set_dir(c, d > 0 ? direction::up : direction::down);
  }

  // A slow move to the nearest landing (after an emergency stop, an inspection, a rescue).
  void start_rescue_trip(car_rt& c) {
    const auto f = nearest_floor(position(c));
    c.target = f;
    c.relevel = true;
    c.ph = phase::starting;
    c.timers[t_phase_end] = now + c.spec.start_delay_ms;
    set_dir(c, level(f) > position(c) ? direction::up : direction::down);
  }

  void begin_motion(car_rt& c) {
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

  void end_motion(car_rt& c) {
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
  void emergency_stop(car_rt& c) {
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

  void arrive_at_target(car_rt& c) {
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
  void after_stop(car_rt& c) {
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

  bool should_open_here(const car_rt& c) const {
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

  // ---- doors -----------------------------------------------------------------------------------

  void open_doors(car_rt& c) {
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

  void doors_opened(car_rt& c) {
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
  bool hold_open(const car_rt& c) const {
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

  std::int64_t current_close_ms(car_rt& c) {
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

  void close_doors(car_rt& c) {
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

  double door_fraction_now(const car_rt& c) const {
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

  void reopen(car_rt& c, bool physical) {
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

  void doors_closed(car_rt& c) {
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

  // ---- decisions -------------------------------------------------------------------------------

  // A stationary car with closed doors picks its next action.
  void decide(car_rt& c) {
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
  void decide_stationary(car_rt& c) {
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

  void park(car_rt& c) {
    if (c.ph != phase::idle || c.floor == building.parking_floor || !in_service(c)) return;
    set_mode(c, car_mode::parking);
    emit(c.index, event_kind::parking_started, building.parking_floor);
    start_trip(c, building.parking_floor);
  }

  // ---- modes -----------------------------------------------------------------------------------

  void set_mode(car_rt& c, car_mode m) {
    if (c.mode == m) return;
    const auto old = c.mode;
    c.mode = m;
    emit(c.index, event_kind::mode_changed, static_cast<std::int32_t>(old),
         static_cast<std::int32_t>(m));
  }

  car_mode wanted_mode(const car_rt& c) const {
    if (!power_ok) return car_mode::power_failure;
    if (c.inspection_switch) return car_mode::inspection;
    if (earthquake) return car_mode::earthquake;
    if (fire) return car_mode::fire_recall;
    if (c.requested != car_mode::normal) return c.requested;
    return c.mode == car_mode::parking ? car_mode::parking : car_mode::normal;
  }

  // Re-evaluates a car's mode after a group or car condition changed, and reacts.
  void update_mode(car_rt& c) {
    const auto m = wanted_mode(c);
    if (m != c.mode) {
      if (m == car_mode::power_failure) emergency_stop(c);  // the brake drops with the power
      if (m == car_mode::fire_recall) std::fill(c.car_calls.begin(), c.car_calls.end(), false);
      set_mode(c, m);
    }
    kick(c);
  }

  // Something changed (mode, fault): make the car act on it in its current phase.
  void kick(car_rt& c) {
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
  bool heading_to_recall(const car_rt& c) const {
    if (c.mode != car_mode::fire_recall) return false;
    const int d = c.profile.direction();
    return d != 0 && (building.fire_recall_floor - c.target) * d >= 0;
  }

  void update_all_modes() {
    for (auto& c : cars) update_mode(c);
    reassign_calls();
  }

  // ---- faults and scenario actions -------------------------------------------------------------

  void set_alarm(car_rt& c, bool on) {
    if (c.alarm == on) return;
    c.alarm = on;
    emit(c.index, on ? event_kind::alarm_pressed : event_kind::alarm_released);
  }

  void inject(car_rt& c, injected_fault f, std::int64_t duration_ms, double rate,
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
  void on_block(car_rt& c) {
    reassign_calls();
    kick(c);
    if (c.ph == phase::held && !c.riders.empty() && !in_door_zone(c, position(c))) {
      c.timers[t_entrap_detect] = now + entrapment_detect_ms;
    }
  }

  void trigger_entrapment(car_rt& c) {
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

  void clear(car_rt& c, injected_fault f) {
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
  void for_cars(std::int16_t car, F f) {
    for (auto& c : cars) {
      if (car < 0 || c.index == car) f(c);
    }
  }

  void apply(const scenario_action& a) {
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

  void inspection_move(car_rt& c, std::int32_t distance_mm) {
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

  // ---- timers ----------------------------------------------------------------------------------

  void on_timer(car_rt& c, std::size_t k) {
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
      if (c.ph == phase::held && !c.riders.empty() && !in_door_zone(c, position(c)) &&
          !c.entrapped) {
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

  void on_phase_end(car_rt& c) {
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

  void on_car_event(car_rt& c) {
    std::size_t best = 0;
    for (std::size_t k = 1; k < t_count; ++k) {
      if (c.timers[k] < c.timers[best]) best = k;
    }
    on_timer(c, best);
  }

  // ---- the event loop --------------------------------------------------------------------------

  std::int64_t next_event() const {
    std::int64_t t = traffic.next_arrival_ms();
    if (next_action < plan.actions.size()) t = std::min(t, plan.actions[next_action].at_ms);
    for (const auto& c : cars) t = std::min(t, car_next(c));
    return t;
  }

  void advance_to(std::int64_t t_end) {
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

  common::car_state car_state(const car_rt& c) const {
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
    return s;
  }
};

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
