// The discrete-event group model: car state machines, doors, dispatch, traffic, modes, faults.
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
constexpr double capacity_share = 0.8;  // passengers stop boarding at 80 % of rated load

enum class phase : std::uint8_t {
  idle,      // stationary, doors closed, nothing to do (phase_end: parking timer)
  starting,  // doors locked, brake lifting
  moving,    // following the motion profile
  opening,
  open,  // dwell
  closing,
  held,  // stationary, waiting for a condition to change
};

int sign(direction d) { return d == direction::up ? 1 : d == direction::down ? -1 : 0; }
direction opposite(direction d) {
  return d == direction::up ? direction::down : d == direction::down ? direction::up : d;
}
std::int64_t ceil_ms(double seconds) {
  return static_cast<std::int64_t>(std::ceil(seconds * 1000.0 - 1e-6));
}

struct hall_call {
  bool active = false;
  std::int64_t since_ms = 0;
  int assigned = -1;
};

struct landing_state {
  std::deque<passenger> waiting[2];  // [0] up, [1] down
  hall_call calls[2];
};

std::size_t dir_index(direction d) { return d == direction::down ? 1 : 0; }

struct car_rt {
  std::int16_t index = 0;
  car_spec spec;
  motion_limits limits;
  phase ph = phase::idle;
  door_state door = door_state::closed;
  direction dir = direction::none;
  car_mode mode = car_mode::normal;

  // Motion.
  motion_profile profile = motion_profile::at_rest(0.0);
  std::int64_t profile_start_ms = 0;
  bool braking = false;  // the current profile is a brake stop
  std::int16_t floor = 0;
  std::int16_t target = -1;
  std::int16_t trip_from = 0;
  std::int64_t phase_end_ms = never;
  std::int64_t next_pass_ms = never;
  std::int16_t next_pass_floor = 0;
  std::int64_t replan_ms = never;
  bool replan_pending = false;

  // Doors.
  double door_fraction = 0.0;  // 1 = fully open, at door_t0_ms
  std::int64_t door_t0_ms = 0;
  std::int64_t door_close_ms = 0;  // current closing time (degrades)
  std::uint16_t reopens = 0;
  bool nudging = false;
  bool obstruct_planned = false;
  bool physical_obstruction_planned = false;
  bool transferred = false;  // someone moved through the doors this cycle
  std::int64_t cycle_start_ms = 0;
  std::int64_t closing_started_ms = 0;
  int lock_attempts = 0;

  // Calls and load.
  std::vector<bool> car_calls;
  std::vector<passenger> riders;
  std::uint32_t load_kg = 0;

  // Status.
  std::vector<std::uint16_t> faults;  // ascending
  bool alarm = false;
  bool safety_chain_ok = true;
  bool inspection_switch = false;

  car_statistics stats;

  bool has_fault(fault_code code) const {
    return std::binary_search(faults.begin(), faults.end(), static_cast<std::uint16_t>(code));
  }
};

}  // namespace

struct group_model::impl {
  building_spec building;
  scenario plan;
  std::uint64_t seed;
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

  impl(building_spec b, scenario s, std::uint64_t sd)
      : building(std::move(b)),
        plan(std::move(s)),
        seed(sd),
        traffic(building.traffic, static_cast<std::int16_t>(building.landings.size()),
                derive_seed(sd, 1)),
        doors_rng(derive_seed(sd, 2)),
        faults_rng(derive_seed(sd, 3)) {
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
      c.door_close_ms = c.spec.door_close_ms;
      c.car_calls.assign(floors, false);
      // Spread the cars over the building at start.
      c.floor = static_cast<std::int16_t>(floors * i / building.cars.size());
      c.profile = motion_profile::at_rest(level(c.floor));
      cars.push_back(std::move(c));
    }
    stats.cars.resize(cars.size());
  }

  // ---- helpers -------------------------------------------------------------------------------

  double level(std::int16_t floor) const {
    return static_cast<double>(building.landings[static_cast<std::size_t>(floor)].level_mm);
  }
  std::int16_t floor_count() const { return static_cast<std::int16_t>(landings.size()); }

  void emit(int car, event_kind kind, std::int32_t value = 0, std::int32_t detail = 0) {
    ++stats.events[static_cast<std::size_t>(kind)];
    if (sink) sink(sim_event{now, static_cast<std::int16_t>(car), kind, value, detail});
  }

  motion_sample motion(const car_rt& c) const {
    if (c.ph != phase::moving) return c.profile.at(c.profile.duration());
    return c.profile.at(static_cast<double>(now - c.profile_start_ms) / 1000.0);
  }

  std::int16_t nearest_floor(double position) const {
    std::int16_t best = 0;
    for (std::int16_t f = 1; f < floor_count(); ++f) {
      if (std::abs(level(f) - position) < std::abs(level(best) - position)) best = f;
    }
    return best;
  }

  bool in_door_zone(const car_rt& c, double position) const {
    return std::abs(level(nearest_floor(position)) - position) <=
           static_cast<double>(c.spec.door_zone_mm);
  }

  void set_door(car_rt& c, door_state d) { c.door = d; }

  void set_dir(car_rt& c, direction d) {
    if (c.dir == d) return;
    c.dir = d;
    emit(c.index, event_kind::direction_changed, static_cast<std::int32_t>(d));
  }

  void set_mode(car_rt& c, car_mode m) {
    if (c.mode == m) return;
    const auto old = c.mode;
    c.mode = m;
    emit(c.index, event_kind::mode_changed, static_cast<std::int32_t>(old),
         static_cast<std::int32_t>(m));
  }

  bool in_service(const car_rt& c) const {
    return (c.mode == car_mode::normal || c.mode == car_mode::parking) && power_ok &&
           c.safety_chain_ok && !c.has_fault(fault_code::door_lock_failure) &&
           !c.has_fault(fault_code::door_obstruction) && !c.has_fault(fault_code::drive_fault) &&
           !c.has_fault(fault_code::entrapment);
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
    for (std::int16_t f = static_cast<std::int16_t>(from + sign(d)); f >= 0 && f < floor_count();
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
        // Towards the nearer stop.
        int du = 0;
        int dd = 0;
        for (std::int16_t x = f; x < floor_count(); ++x, ++du) {
          if (x != f && stop_at(c, x)) break;
        }
        for (std::int16_t x = f; x >= 0; --x, ++dd) {
          if (x != f && stop_at(c, x)) break;
        }
        return du <= dd ? direction::up : direction::down;
      }
      if (up_beyond) return direction::up;
      if (down_beyond) return direction::down;
    }
    return direction::none;
  }

  // Next stop in direction d from floor `from` (exclusive): a car call or same-direction hall
  // call; failing that, the farthest opposite-direction call (where the car will reverse).
  std::int16_t next_stop(const car_rt& c, std::int16_t from, direction d) const {
    std::int16_t reverse_at = -1;
    for (std::int16_t f = static_cast<std::int16_t>(from + sign(d)); f >= 0 && f < floor_count();
         f = static_cast<std::int16_t>(f + sign(d))) {
      if (c.car_calls[static_cast<std::size_t>(f)] || assigned_call(c, f, d)) return f;
      if (assigned_call(c, f, opposite(d))) reverse_at = f;
    }
    return reverse_at;
  }

  // Estimated time (s) for car c to serve a call at (f, d).
  double call_cost(const car_rt& c, std::int16_t f, direction d) const {
    const double floor_s =
        std::max(1.0, (level(floor_count() - 1) / std::max<int>(1, floor_count() - 1)) /
                          static_cast<double>(c.spec.rated_speed_mm_s)) +
        0.5;
    const double stop_s = static_cast<double>(c.spec.door_open_ms + c.spec.dwell_hall_ms +
                                              c.spec.door_close_ms + c.spec.start_delay_ms) /
                              1000.0 +
                          3.0;
    const auto pos = c.ph == phase::moving ? std::max<std::int16_t>(0, c.target) : c.floor;
    int stops = 0;
    for (std::int16_t x = 0; x < floor_count(); ++x) stops += stop_at(c, x) ? 1 : 0;
    double cost = 0.0;
    if (c.dir == direction::none || stops == 0) {
      cost = std::abs(f - pos) * floor_s;
    } else {
      const int ahead = (f - pos) * sign(c.dir);
      if (c.dir == d && ahead >= 0) {
        cost = ahead * floor_s + stops * stop_s * 0.5;
      } else {
        // Run to the far end of the current sweep, then come back.
        std::int16_t far = pos;
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

  // Re-dispatches calls nobody serves (after a car left service, or came back).
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

  // A call (f, d) was just assigned to c: start it if idle, or retarget it if moving.
  void wake(car_rt& c, std::int16_t f, direction d) {
    switch (c.ph) {
      case phase::idle:
        c.phase_end_ms = never;
        decide(c);
        break;
      case phase::moving:
        if (c.dir == d && (f - c.floor) * sign(d) > 0 && (c.target - f) * sign(d) > 0) {
          c.replan_pending = true;
          try_replan(c);
        }
        break;
      case phase::open:
      case phase::opening:
        if (c.floor == f && (c.dir == d || c.dir == direction::none)) {
          if (c.dir == direction::none) set_dir(c, d);
          if (c.ph == phase::open) transfer(c);
        }
        break;
      case phase::closing:
        if (c.floor == f && (c.dir == d || c.dir == direction::none) && !c.nudging) {
          reopen(c, false);
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
      if (c.ph == phase::open && (c.dir == d || c.dir == direction::none)) {
        if (c.dir == direction::none) set_dir(c, d);
        transfer(c);
        if (!waiting_here(p.origin, d)) return;
      }
    }
    register_hall_call(p.origin, d);
  }

  // Passengers leave and enter car c, stationary with doors open at its floor.
  void transfer(car_rt& c) {
    if (c.ph != phase::open) return;
    const auto f = c.floor;
    int out = 0;
    int in = 0;
    for (std::size_t i = 0; i < c.riders.size();) {
      if (c.riders[i].destination == f) {
        ++out;
        ++stats.passengers_delivered;
        stats.journey_ms_total += now - c.riders[i].arrival_ms;
        c.load_kg -= c.riders[i].weight_kg;
        c.riders.erase(c.riders.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
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
        call.active = false;
        call.assigned = -1;
      } else if (call.assigned == c.index) {
        call.assigned = -1;  // the car is full: someone else will come
      }
    }
    if (out + in > 0) {
      c.transferred = true;
      emit(c.index, event_kind::passengers_moved, out, in);
      c.phase_end_ms = std::max(c.phase_end_ms, now + std::int64_t{out + in} * c.spec.transfer_ms);
    }
  }

  // ---- car state machine -----------------------------------------------------------------------

  std::int64_t car_next(const car_rt& c) const {
    return std::min({c.phase_end_ms, c.next_pass_ms, c.replan_ms});
  }

  void schedule_pass(car_rt& c) {
    c.next_pass_ms = never;
    if (c.ph != phase::moving || c.profile.direction() == 0) return;
    const int d = c.profile.direction();
    const auto next = static_cast<std::int16_t>(c.floor + d);
    if (next < 0 || next >= floor_count()) return;
    // Passing the level of the landing the car stops at is the arrival, not a pass.
    if ((level(next) - c.profile.end_position()) * d >= -0.5) return;
    if (auto t = c.profile.time_at(level(next))) {
      c.next_pass_ms = c.profile_start_ms + ceil_ms(*t);
      c.next_pass_floor = next;
    }
  }

  void schedule_replan(car_rt& c) {
    c.replan_ms = never;
    if (!c.replan_pending || c.ph != phase::moving || !c.profile.cruise_begin()) return;
    const auto begin = c.profile_start_ms + ceil_ms(*c.profile.cruise_begin());
    if (begin > now) c.replan_ms = begin;
  }

  void try_replan(car_rt& c) {
    if (c.ph != phase::moving || c.braking) return;
    const double t = static_cast<double>(now - c.profile_start_ms) / 1000.0;
    const auto earliest = c.profile.earliest_stop(t, c.limits);
    if (!earliest) {
      schedule_replan(c);
      return;
    }
    c.replan_pending = false;
    c.replan_ms = never;
    const int d = c.profile.direction();
    const auto dir = d > 0 ? direction::up : direction::down;
    for (std::int16_t f = static_cast<std::int16_t>(c.floor + d); f != c.target;
         f = static_cast<std::int16_t>(f + d)) {
      if ((level(f) - *earliest) * d < 0.0) continue;
      if (!(c.car_calls[static_cast<std::size_t>(f)] || assigned_call(c, f, dir))) continue;
      if (auto p = c.profile.stop_earlier(t, level(f), c.limits)) {
        c.profile = std::move(*p);
        c.profile_start_ms = now;
        c.target = f;
        c.phase_end_ms = now + ceil_ms(c.profile.duration());
        emit(c.index, event_kind::trip_retargeted, f);
        schedule_pass(c);
      }
      return;
    }
  }

  void start_trip(car_rt& c, std::int16_t target) {
    c.target = target;
    c.trip_from = c.floor;
    c.ph = phase::starting;
    c.phase_end_ms = now + c.spec.start_delay_ms;
    set_dir(c, target > c.floor ? direction::up : direction::down);
  }

  void begin_motion(car_rt& c) {
    const double from = motion(c).position;
    c.profile = motion_profile::trip(from, level(c.target), c.limits);
    c.profile_start_ms = now;
    c.braking = false;
    c.ph = phase::moving;
    c.phase_end_ms = now + ceil_ms(c.profile.duration());
    ++c.stats.trips;
    emit(c.index, event_kind::trip_started, c.floor, c.target);
    schedule_pass(c);
    c.replan_pending = true;  // calls may come up ahead during the run
    schedule_replan(c);
  }

  void arrive_at_target(car_rt& c) {
    const double end = c.profile.end_position();
    c.stats.running_ms += now - c.profile_start_ms;
    c.stats.distance_mm +=
        static_cast<std::uint64_t>(std::llround(std::abs(end - c.profile.at(0.0).position)));
    c.profile = motion_profile::at_rest(end);
    c.ph = phase::held;
    c.phase_end_ms = never;
    c.next_pass_ms = never;
    c.replan_ms = never;
    c.replan_pending = false;
    c.floor = c.target;
    emit(c.index, event_kind::trip_ended, c.floor,
         static_cast<std::int32_t>(std::llround(end - level(c.floor))));
    // Announce the direction the car goes on in, so the right passengers board.
    const auto d = choose_direction(c);
    if (d != direction::none) set_dir(c, d);
    const auto f = c.floor;
    const bool serve = c.car_calls[static_cast<std::size_t>(f)] ||
                       assigned_call(c, f, direction::up) || assigned_call(c, f, direction::down) ||
                       (c.dir != direction::none && waiting_here(f, c.dir));
    if (!serve) {
      c.ph = phase::idle;
      decide(c);
      return;
    }
    open_doors(c);
  }

  void open_doors(car_rt& c) {
    c.ph = phase::opening;
    if (c.door == door_state::closed) {
      c.door_fraction = 0.0;
      c.reopens = 0;
      c.nudging = false;
      c.transferred = false;
      c.lock_attempts = 0;
      c.cycle_start_ms = now;
      ++c.stats.door_cycles;
    }
    c.door_t0_ms = now;
    set_door(c, door_state::opening);
    emit(c.index, event_kind::door_opening);
    c.phase_end_ms =
        now + static_cast<std::int64_t>(std::ceil((1.0 - c.door_fraction) * c.spec.door_open_ms));
  }

  void doors_opened(car_rt& c) {
    c.door_fraction = 1.0;
    c.door_t0_ms = now;
    set_door(c, door_state::open);
    c.ph = phase::open;
    emit(c.index, event_kind::door_opened);
    const bool hall = c.dir != direction::none && waiting_here(c.floor, c.dir);
    c.phase_end_ms = now + (hall || c.reopens > 0 ? c.spec.dwell_hall_ms : c.spec.dwell_car_ms);
    transfer(c);
  }

  void close_doors(car_rt& c) {
    c.ph = phase::closing;
    c.door_t0_ms = now;
    c.closing_started_ms = now;
    set_door(c, door_state::closing);
    emit(c.index, event_kind::door_closing, c.nudging ? 1 : 0);
    const double full = static_cast<double>(c.door_close_ms) * (c.nudging ? 1.5 : 1.0);
    const double duration = c.door_fraction * full;
    // A passenger steps into the light curtain now and then (ignored while nudging).
    c.obstruct_planned = false;
    const double p = c.transferred ? building.traffic.light_curtain_probability
                                   : building.traffic.light_curtain_probability * 0.1;
    if (!c.nudging && doors_rng.chance(p)) {
      c.obstruct_planned = true;
      c.phase_end_ms =
          now + static_cast<std::int64_t>(duration * (0.2 + 0.6 * doors_rng.uniform01()));
    } else {
      c.phase_end_ms = now + static_cast<std::int64_t>(std::ceil(duration));
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
    open_doors(c);
    if (c.reopens >= c.spec.nudging_after_reopens && !c.nudging) {
      c.nudging = true;
      emit(c.index, event_kind::door_nudging);
    }
  }

  void doors_closed(car_rt& c) {
    c.door_fraction = 0.0;
    set_door(c, door_state::closed);
    emit(c.index, event_kind::door_closed, static_cast<std::int32_t>(now - c.closing_started_ms));
    c.ph = phase::idle;
    c.phase_end_ms = never;
    decide(c);
  }

  // A stationary car with closed doors picks its next action.
  void decide(car_rt& c) {
    if (c.ph != phase::idle) return;
    if (!in_service(c)) {
      c.ph = phase::held;
      return;
    }
    const auto d = choose_direction(c);
    set_dir(c, d);
    if (d == direction::none) {
      c.ph = phase::idle;
      if (c.mode == car_mode::normal && building.parking_delay_ms >= 0 &&
          c.floor != building.parking_floor && c.riders.empty()) {
        c.phase_end_ms = now + building.parking_delay_ms;
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

  void park(car_rt& c) {
    if (c.ph != phase::idle || c.floor == building.parking_floor || !in_service(c)) return;
    set_mode(c, car_mode::parking);
    emit(c.index, event_kind::parking_started, building.parking_floor);
    start_trip(c, building.parking_floor);
  }

  void on_phase_end(car_rt& c) {
    c.phase_end_ms = never;
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
        close_doors(c);
        break;
      case phase::closing:
        if (c.obstruct_planned) {
          reopen(c, false);
        } else {
          doors_closed(c);
        }
        break;
      case phase::held:
        decide_held(c);
        break;
    }
  }

  void decide_held(car_rt& c) {
    if (c.door == door_state::closed) {
      c.ph = phase::idle;
      decide(c);
    }
  }

  void on_car_event(car_rt& c) {
    if (c.next_pass_ms <= now && c.next_pass_ms <= c.phase_end_ms) {
      c.floor = c.next_pass_floor;
      emit(c.index, event_kind::floor_passed, c.floor);
      schedule_pass(c);
    } else if (c.replan_ms <= now) {
      c.replan_ms = never;
      try_replan(c);
    } else if (c.phase_end_ms <= now) {
      on_phase_end(c);
    }
  }

  // ---- scenario actions ------------------------------------------------------------------------

  void apply(const scenario_action& a) {
    switch (a.kind) {
      case action_kind::passenger:
        for (std::int32_t i = 0; i < a.count; ++i) {
          passenger p;
          p.id = 0;
          p.arrival_ms = now;
          p.origin = a.floor;
          p.destination = a.to_floor;
          p.weight_kg = 75;
          p.kind = journey_kind::interfloor;
          arrive(p);
        }
        break;
      case action_kind::car_call:
        for (auto& c : cars) {
          if (a.car >= 0 && c.index != a.car) continue;
          c.car_calls[static_cast<std::size_t>(a.floor)] = true;
          if (c.ph == phase::idle) decide(c);
        }
        break;
      default:
        break;
    }
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
        for (int guard = 0; car_next(c) <= now && guard < 1000; ++guard) on_car_event(c);
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
