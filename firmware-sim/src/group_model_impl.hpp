// Internals of group_model shared by its implementation files: the per-car runtime state, the
// timer table, the landing queues, and group_model::impl with its data and member functions
// (defined in group_model.cpp, car_motion.cpp, doors.cpp, dispatch.cpp and modes.cpp).
// Internal to hoistway_sim.
// Thread-safety: as group_model: one owner thread.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <vector>

#include "hoistway/sim/fault_codes.hpp"
#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/random.hpp"
#include "hoistway/sim/traffic.hpp"

namespace hoistway::sim::detail {

using common::car_mode;
using common::direction;
using common::door_state;

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

inline int sign(direction d) { return d == direction::up ? 1 : d == direction::down ? -1 : 0; }
inline direction opposite(direction d) {
  return d == direction::up ? direction::down : d == direction::down ? direction::up : d;
}
inline std::int64_t ceil_ms(double seconds) {
  return static_cast<std::int64_t>(std::ceil(seconds * 1000.0 - 1e-6));
}
inline std::size_t dir_index(direction d) { return d == direction::down ? 1 : 0; }
inline std::size_t fault_index(injected_fault f) { return static_cast<std::size_t>(f); }

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

}  // namespace hoistway::sim::detail

namespace hoistway::sim {

struct group_model::impl {
  using car_mode = common::car_mode;
  using direction = common::direction;
  using door_state = common::door_state;
  using car_rt = detail::car_rt;
  using landing_state = detail::landing_state;
  using phase = detail::phase;

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

  // Spreads the cars over the building and schedules their first timers.
  impl(building_spec b, scenario s, std::uint64_t seed);

  // ---- helpers (group_model.cpp) ---------------------------------------------------------
  double level(std::int16_t floor) const;
  std::int16_t floor_count() const;
  std::int64_t next_time_of_day(std::int32_t tod_s) const;
  std::int64_t draw_random_fault(std::size_t fault, std::int64_t after);
  void emit(int car, event_kind kind, std::int32_t value = 0, std::int32_t detail = 0);
  motion_sample motion(const car_rt& c) const;
  double position(const car_rt& c) const;
  std::int16_t nearest_floor(double pos) const;
  bool in_door_zone(const car_rt& c, double pos) const;
  bool level_at_floor(const car_rt& c) const;
  void set_dir(car_rt& c, direction d);
  void raise_fault(car_rt& c, fault_code code);
  void clear_fault(car_rt& c, fault_code code);
  bool blocked(const car_rt& c) const;
  bool in_service(const car_rt& c) const;
  double brake_deceleration(const car_rt& c) const;
  double brake_distance(const car_rt& c, double speed) const;

  // ---- calls (dispatch.cpp) --------------------------------------------------------------
  bool assigned_call(const car_rt& c, std::int16_t f, direction d) const;
  bool stop_at(const car_rt& c, std::int16_t f) const;
  bool any_stop_beyond(const car_rt& c, std::int16_t from, direction d) const;
  bool waiting_here(std::int16_t f, direction d) const;
  direction choose_direction(const car_rt& c) const;
  std::int16_t next_stop(const car_rt& c, std::int16_t from, direction d) const;
  bool nearly_full(const car_rt& c) const;
  double call_cost(const car_rt& c, std::int16_t f, direction d) const;
  void assign(std::int16_t f, direction d);
  void register_hall_call(std::int16_t f, direction d);
  void reassign_calls();
  void wake(car_rt& c, std::int16_t f, direction d);

  // ---- passengers (dispatch.cpp) ---------------------------------------------------------
  void arrive(const passenger& p);
  bool evacuating(const car_rt& c) const;
  // Passengers leave and enter a car standing open at its landing.
  void transfer(car_rt& c);

  // ---- motion (car_motion.cpp) -----------------------------------------------------------
  std::int64_t car_next(const car_rt& c) const;
  void schedule_pass(car_rt& c);
  void schedule_replan(car_rt& c);
  void try_replan(car_rt& c);
  void start_trip(car_rt& c, std::int16_t target);
  void start_rescue_trip(car_rt& c);
  void begin_motion(car_rt& c);
  void end_motion(car_rt& c);
  void emergency_stop(car_rt& c);
  void arrive_at_target(car_rt& c);
  void after_stop(car_rt& c);
  bool should_open_here(const car_rt& c) const;

  // ---- doors (doors.cpp) -----------------------------------------------------------------
  void open_doors(car_rt& c);
  void doors_opened(car_rt& c);
  bool hold_open(const car_rt& c) const;
  std::int64_t current_close_ms(car_rt& c);
  void close_doors(car_rt& c);
  double door_fraction_now(const car_rt& c) const;
  void reopen(car_rt& c, bool physical);
  void doors_closed(car_rt& c);

  // ---- decisions (car_motion.cpp) --------------------------------------------------------
  // A stationary car with closed doors picks its next action.
  void decide(car_rt& c);
  // A stationary car that may be off level or blocked: rescue it to a landing when allowed.
  void decide_stationary(car_rt& c);
  void park(car_rt& c);

  // ---- modes (modes.cpp) -----------------------------------------------------------------
  void set_mode(car_rt& c, car_mode m);
  car_mode wanted_mode(const car_rt& c) const;
  void update_mode(car_rt& c);
  // Something changed (mode, fault, call): make the car act on it in its current phase.
  void kick(car_rt& c);
  bool heading_to_recall(const car_rt& c) const;
  void update_all_modes();

  // ---- faults and scenario actions (modes.cpp) -------------------------------------------
  void set_alarm(car_rt& c, bool on);
  void inject(car_rt& c, injected_fault f, std::int64_t duration_ms, double rate,
              std::int32_t count);
  void on_block(car_rt& c);
  void trigger_entrapment(car_rt& c);
  void clear(car_rt& c, injected_fault f);
  template <typename F>
  void for_cars(std::int16_t car, F f);
  void apply(const scenario_action& a);
  void inspection_move(car_rt& c, std::int32_t distance_mm);

  // ---- timers (group_model.cpp) ----------------------------------------------------------
  void on_timer(car_rt& c, std::size_t k);
  void on_phase_end(car_rt& c);
  void on_car_event(car_rt& c);

  // ---- the event loop (group_model.cpp) --------------------------------------------------
  std::int64_t next_event() const;
  void advance_to(std::int64_t t_end);
  common::car_state car_state(const car_rt& c) const;
};

}  // namespace hoistway::sim
