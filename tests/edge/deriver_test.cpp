// Tests of event derivation (deriver.hpp) with hand-built controller reads.
#include "hoistway/edge/deriver.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

namespace {

namespace hc = hoistway::common;
using hoistway::edge::derived;
using hoistway::edge::deriver;
using hoistway::edge::deriver_options;

constexpr std::int64_t wall0 = 1'700'000'000'000;

hc::car_state standing(std::uint8_t car = 0, std::int16_t floor = 0) {
  hc::car_state c;
  c.car = car;
  c.floor = floor;
  c.position_mm = floor * 3000;
  c.door = hc::door_state::closed;
  c.mode = hc::car_mode::normal;
  c.in_door_zone = true;
  c.rated_load_kg = 1000;
  return c;
}

hc::group_state group_of(std::vector<hc::car_state> cars) {
  hc::group_state g;
  g.controller_id = "ctl";
  g.firmware = "fw";
  g.floors = 10;
  g.cars = std::move(cars);
  return g;
}

// Drives a deriver with one car's reads 100 ms apart; `levels` is the landing table the
// controller answers (none by default).
class drive {
 public:
  explicit drive(deriver_options options = {}, std::vector<std::int32_t> levels = {})
      : d_(options), levels_(std::move(levels)) {}
  std::vector<derived> step(const hc::car_state& car, std::int64_t dt_ms = 100) {
    return step_group({car}, dt_ms);
  }
  std::vector<derived> step_group(const std::vector<hc::car_state>& cars,
                                  std::int64_t dt_ms = 100) {
    mono_ += dt_ms;
    auto g = group_of(cars);
    g.landing_levels_mm = levels_;
    return d_.observe(g, mono_, wall0 + mono_);
  }
  deriver& get() { return d_; }
  std::int64_t mono() const { return mono_; }

 private:
  deriver d_;
  std::vector<std::int32_t> levels_;
  std::int64_t mono_ = 0;
};

// Ten landings 3 m apart, as standing() places cars.
std::vector<std::int32_t> ten_landings() {
  std::vector<std::int32_t> v;
  for (int i = 0; i < 10; ++i) v.push_back(i * 3000);
  return v;
}

// Moves `c` by `step_mm` per read for `reads` reads at `speed`, doors closed; returns the reads.
std::vector<std::vector<derived>> run_car(drive& d, hc::car_state& c, std::int32_t step_mm,
                                          int reads, std::int32_t speed) {
  std::vector<std::vector<derived>> steps;
  for (int i = 0; i < reads; ++i) {
    c.position_mm += step_mm;
    c.speed_mm_s = speed;
    c.in_door_zone = false;
    steps.push_back(d.step(c));
  }
  return steps;
}

template <typename T>
std::vector<T> bodies(const std::vector<derived>& out) {
  std::vector<T> found;
  for (const auto& d : out) {
    if (const auto* v = std::get_if<T>(&d.body)) found.push_back(*v);
  }
  return found;
}

template <typename T>
std::vector<T> collect(std::vector<std::vector<derived>> steps) {
  std::vector<T> found;
  for (const auto& s : steps) {
    auto b = bodies<T>(s);
    found.insert(found.end(), b.begin(), b.end());
  }
  return found;
}

}  // namespace

TEST_CASE("deriver: first sight of a car is a snapshot and no events") {
  drive d;
  auto car = standing();
  car.fault_codes = {301};
  car.mode = hc::car_mode::inspection;
  auto out = d.step(car);
  REQUIRE(out.size() == 1);
  const auto* s = std::get_if<hc::run_state>(&out[0].body);
  REQUIRE(s != nullptr);
  CHECK(s->snapshot);
  CHECK_FALSE(s->in_service);
  CHECK(s->fault_codes == std::vector<std::uint16_t>{301});
}

TEST_CASE("deriver: a trip from standing to standing, with peak speed and distance") {
  drive d;
  d.step(standing(0, 0));
  auto c = standing(0, 0);
  std::vector<std::vector<derived>> steps;
  const std::int32_t speeds[] = {500, 1500, 2500, 1500, 500};
  for (int i = 0; i < 5; ++i) {
    c.speed_mm_s = speeds[i];
    c.position_mm += 1800;
    c.dir = hc::direction::up;
    c.in_door_zone = false;
    c.floor = static_cast<std::int16_t>(c.position_mm / 3000);
    steps.push_back(d.step(c));
  }
  const auto start_mono = d.mono() - 400;
  c = standing(0, 3);
  steps.push_back(d.step(c));
  const auto stop_mono = d.mono();
  // No landing table: the floor indication is trusted once settled, here when the doors open.
  CHECK(collect<hc::trip>(steps).empty());
  c.door = hc::door_state::opening;
  steps.push_back(d.step(c));
  c.door = hc::door_state::open;
  steps.push_back(d.step(c));
  auto trips = collect<hc::trip>(steps);
  REQUIRE(trips.size() == 1);
  CHECK(trips[0].from_floor == 0);
  CHECK(trips[0].to_floor == 3);
  CHECK(trips[0].peak_speed_mm_s == 2500);
  CHECK(trips[0].distance_mm == 9000);
  CHECK(trips[0].start_ms == wall0 + start_mono);
  CHECK(trips[0].end_ms == wall0 + stop_mono);
  CHECK(trips[0].duration_ms == 500);
  // Floor and direction changes were published as (non-snapshot) run states on the way.
  auto states = collect<hc::run_state>(steps);
  CHECK(states.size() >= 3);
  CHECK(std::none_of(states.begin(), states.end(), [](const auto& s) { return s.snapshot; }));
}

TEST_CASE("deriver: a move that ends on the floor it started from is not a trip") {
  drive d;
  d.step(standing(0, 2));
  auto c = standing(0, 2);
  c.speed_mm_s = 10;
  c.position_mm += 5;
  d.step(c);
  auto out = d.step(standing(0, 2));
  CHECK(bodies<hc::trip>(out).empty());
}

TEST_CASE("deriver: a door cycle counts reopens and its open time") {
  drive d;
  d.step(standing());
  auto c = standing();
  std::vector<std::vector<derived>> steps;
  for (auto door : {hc::door_state::opening, hc::door_state::open, hc::door_state::open,
                    hc::door_state::closing, hc::door_state::opening, hc::door_state::open,
                    hc::door_state::closing, hc::door_state::closing}) {
    c.door = door;
    steps.push_back(d.step(c));
  }
  CHECK(collect<hc::door_cycle>(steps).empty());
  c.door = hc::door_state::closed;
  steps.push_back(d.step(c));
  auto cycles = collect<hc::door_cycle>(steps);
  REQUIRE(cycles.size() == 1);
  CHECK(cycles[0].floor == 0);
  CHECK(cycles[0].reopens == 1);
  CHECK(cycles[0].open_ms == 800);
}

TEST_CASE("deriver: the controller's reopen count wins when it is higher") {
  drive d;
  d.step(standing());
  auto c = standing();
  c.door = hc::door_state::open;
  c.door_reopens = 3;
  d.step(c);
  c.door = hc::door_state::closed;
  auto cycles = bodies<hc::door_cycle>(d.step(c));
  REQUIRE(cycles.size() == 1);
  CHECK(cycles[0].reopens == 3);
}

TEST_CASE("deriver: faults raised and cleared, with severity from the catalogue") {
  drive d;
  d.step(standing());
  auto c = standing();
  c.fault_codes = {101, 301};
  auto raised = bodies<hc::fault_event>(d.step(c));
  REQUIRE(raised.size() == 2);
  CHECK(raised[0] == hc::fault_event{101, hc::severity::major, true});
  CHECK(raised[1] == hc::fault_event{301, hc::severity::critical, true});
  c.fault_codes = {301, 402};
  auto changed = bodies<hc::fault_event>(d.step(c));
  REQUIRE(changed.size() == 2);
  CHECK(changed[0] == hc::fault_event{402, hc::severity::major, true});
  CHECK(changed[1] == hc::fault_event{101, hc::severity::major, false});
  c.fault_codes.clear();
  auto out = d.step(c);
  auto cleared = bodies<hc::fault_event>(out);
  REQUIRE(cleared.size() == 2);
  CHECK_FALSE(cleared[0].raised);
  CHECK_FALSE(cleared[1].raised);
  // The run state after it shows the car back in service.
  auto states = bodies<hc::run_state>(out);
  REQUIRE(states.size() == 1);
  CHECK(states[0].in_service);
}

TEST_CASE("deriver: a warning fault leaves the car in service, a blocking one does not") {
  deriver d{deriver_options{}};
  auto c = standing();
  for (const int warning : {103, 201, 402, 701}) {
    c.fault_codes = {static_cast<std::uint16_t>(warning)};
    CHECK_MESSAGE(d.in_service(c), "code " << warning);
  }
  for (const int blocking : {101, 102, 301, 302, 401, 501, 601}) {
    c.fault_codes = {103, static_cast<std::uint16_t>(blocking)};
    CHECK_MESSAGE(!d.in_service(c), "code " << blocking);
  }
  // Unknown codes: judged by their hundreds; major or worse blocks.
  c.fault_codes = {150};
  CHECK(d.in_service(c));
  c.fault_codes = {450};
  CHECK_FALSE(d.in_service(c));
  c.fault_codes = {9999};
  CHECK_FALSE(d.in_service(c));
  // Power and the safety chain block whatever the codes say.
  c.fault_codes.clear();
  c.power_ok = false;
  CHECK_FALSE(d.in_service(c));
  c.power_ok = true;
  c.safety_chain_ok = false;
  CHECK_FALSE(d.in_service(c));
  c.safety_chain_ok = true;
  c.mode = hc::car_mode::inspection;
  CHECK_FALSE(d.in_service(c));
}

TEST_CASE("deriver: the site's catalogue overrides a code's severity and service effect") {
  deriver_options options;
  options.faults.set(402, {hc::severity::critical, true});
  options.faults.set(9000, {hc::severity::info, false});
  drive d(options);
  d.step(standing());
  auto c = standing();
  c.fault_codes = {402, 9000};
  auto out = d.step(c);
  const auto raised = bodies<hc::fault_event>(out);
  REQUIRE(raised.size() == 2);
  CHECK(raised[0] == hc::fault_event{402, hc::severity::critical, true});
  CHECK(raised[1] == hc::fault_event{9000, hc::severity::info, true});
  const auto states = bodies<hc::run_state>(out);
  REQUIRE(states.size() == 1);
  CHECK_FALSE(states[0].in_service);
  c.fault_codes = {9000};
  CHECK(d.get().in_service(c));
}

TEST_CASE("deriver: mode changes, and earthquake operation start and end") {
  drive d;
  d.step(standing());
  auto c = standing();
  c.mode = hc::car_mode::inspection;
  auto out = d.step(c);
  auto modes = bodies<hc::mode_change>(out);
  REQUIRE(modes.size() == 1);
  CHECK(modes[0] == hc::mode_change{hc::car_mode::normal, hc::car_mode::inspection});
  CHECK(bodies<hc::earthquake_operation>(out).empty());
  REQUIRE(bodies<hc::run_state>(out).size() == 1);
  CHECK_FALSE(bodies<hc::run_state>(out)[0].in_service);

  c.mode = hc::car_mode::earthquake;
  c.floor = 0;
  out = d.step(c);
  REQUIRE(bodies<hc::earthquake_operation>(out).size() == 1);
  CHECK(bodies<hc::earthquake_operation>(out)[0].started);
  c.mode = hc::car_mode::normal;
  out = d.step(c);
  REQUIRE(bodies<hc::earthquake_operation>(out).size() == 1);
  CHECK_FALSE(bodies<hc::earthquake_operation>(out)[0].started);
  CHECK(bodies<hc::mode_change>(out)[0] ==
        hc::mode_change{hc::car_mode::earthquake, hc::car_mode::normal});
}

TEST_CASE("deriver: power lost and restored") {
  drive d;
  d.step(standing());
  auto c = standing();
  c.power_ok = false;
  auto lost = bodies<hc::power_change>(d.step(c));
  REQUIRE(lost.size() == 1);
  CHECK(lost[0].lost);
  CHECK(bodies<hc::power_change>(d.step(c)).empty());
  c.power_ok = true;
  auto back = bodies<hc::power_change>(d.step(c));
  REQUIRE(back.size() == 1);
  CHECK_FALSE(back[0].lost);
}

TEST_CASE("deriver: entrapment by timer, released when the doors open in the door zone") {
  deriver_options options;
  options.entrapment_after = std::chrono::milliseconds(1000);
  drive d(options);
  d.step(standing(0, 2));
  auto c = standing(0, 2);
  c.position_mm += 1200;  // stopped between floors
  c.in_door_zone = false;
  c.load_kg = 240;
  std::vector<std::vector<derived>> steps;
  for (int i = 0; i < 10; ++i) steps.push_back(d.step(c));  // 900 ms stuck so far
  CHECK(collect<hc::entrapment>(steps).empty());
  auto started = bodies<hc::entrapment>(d.step(c));
  REQUIRE(started.size() == 1);
  CHECK(started[0].started);
  CHECK(started[0].load_kg == 240);
  CHECK(started[0].position_mm == 2 * 3000 + 1200);
  CHECK_FALSE(started[0].alarm);
  CHECK(bodies<hc::entrapment>(d.step(c)).empty());  // reported once
  // Rescued: the car is brought to a landing and the doors open.
  c.position_mm = 2 * 3000;
  c.in_door_zone = true;
  c.door = hc::door_state::opening;
  auto released = bodies<hc::entrapment>(d.step(c));
  REQUIRE(released.size() == 1);
  CHECK_FALSE(released[0].started);
}

TEST_CASE("deriver: no entrapment for an empty car or one in the door zone") {
  deriver_options options;
  options.entrapment_after = std::chrono::milliseconds(500);
  drive d(options);
  d.step(standing());
  auto empty = standing();
  empty.in_door_zone = false;
  empty.load_kg = 0;
  std::vector<std::vector<derived>> steps;
  for (int i = 0; i < 20; ++i) steps.push_back(d.step(empty));
  auto loaded_at_landing = standing();
  loaded_at_landing.load_kg = 500;
  for (int i = 0; i < 20; ++i) steps.push_back(d.step(loaded_at_landing));
  CHECK(collect<hc::entrapment>(steps).empty());
}

TEST_CASE("deriver: entrapment at once by the alarm button outside the door zone") {
  drive d;
  d.step(standing());
  auto c = standing();
  c.in_door_zone = false;
  c.position_mm += 900;
  c.load_kg = 150;
  d.step(c);
  c.alarm = true;
  auto out = d.step(c);
  auto started = bodies<hc::entrapment>(out);
  REQUIRE(started.size() == 1);
  CHECK(started[0].started);
  CHECK(started[0].alarm);
  // The alarm change is also a run-state change.
  REQUIRE(bodies<hc::run_state>(out).size() == 1);
  CHECK(bodies<hc::run_state>(out)[0].alarm);
  // Alarm released but still stuck with passengers: released only once the doors open or the
  // car reaches the door zone.
  c.alarm = false;
  CHECK(bodies<hc::entrapment>(d.step(c)).empty());
  c.in_door_zone = true;
  auto released = bodies<hc::entrapment>(d.step(c));
  REQUIRE(released.size() == 1);
  CHECK_FALSE(released[0].started);
}

TEST_CASE("deriver: periodic snapshots, and one on request") {
  deriver_options options;
  options.snapshot_interval = std::chrono::milliseconds(1000);
  drive d(options);
  d.step(standing());
  std::vector<std::vector<derived>> steps;
  for (int i = 0; i < 9; ++i) steps.push_back(d.step(standing()));
  CHECK(collect<hc::run_state>(steps).empty());  // nothing changed, no snapshot due yet
  auto out = d.step(standing());
  REQUIRE(bodies<hc::run_state>(out).size() == 1);
  CHECK(bodies<hc::run_state>(out)[0].snapshot);
  CHECK(bodies<hc::run_state>(d.step(standing())).empty());
  d.get().request_snapshot();
  out = d.step(standing());
  REQUIRE(bodies<hc::run_state>(out).size() == 1);
  CHECK(bodies<hc::run_state>(out)[0].snapshot);
  CHECK(bodies<hc::run_state>(d.step(standing())).empty());
}

TEST_CASE("deriver: run states are change-driven, position alone is not a change") {
  drive d;
  d.step(standing());
  auto c = standing();
  c.position_mm += 3;
  CHECK(bodies<hc::run_state>(d.step(c)).empty());
  c.load_kg = 80;
  CHECK(bodies<hc::run_state>(d.step(c)).empty());
  c.dir = hc::direction::up;
  auto out = bodies<hc::run_state>(d.step(c));
  REQUIRE(out.size() == 1);
  CHECK_FALSE(out[0].snapshot);
  CHECK(out[0].dir == hc::direction::up);
  CHECK(out[0].load_kg == 80);
  c.door = hc::door_state::opening;
  CHECK(bodies<hc::run_state>(d.step(c)).size() == 1);
}

TEST_CASE("deriver: cars are tracked separately, each tagged with its index") {
  drive d;
  auto out = d.step_group({standing(0, 0), standing(1, 5)});
  REQUIRE(out.size() == 2);
  CHECK(out[0].car == 0);
  CHECK(out[1].car == 1);
  auto b = standing(1, 5);
  b.fault_codes = {201};
  out = d.step_group({standing(0, 0), b});
  auto faults = bodies<hc::fault_event>(out);
  REQUIRE(faults.size() == 1);
  CHECK(std::all_of(out.begin(), out.end(), [](const derived& x) { return x.car == 1; }));
}

TEST_CASE("deriver: usage roll-ups per car on wall-clock interval boundaries") {
  deriver_options options;
  options.rollup_interval = std::chrono::seconds(10);
  drive d(options);
  // wall0 + 100 ms lies 100 ms past a 10 s boundary: the first (partial) interval ends at
  // mono 10'000.
  d.step_group({standing(0, 0), standing(1, 4)});
  std::vector<std::vector<derived>> steps;
  auto a = standing(0, 0);
  for (int i = 0; i < 10; ++i) {  // one second of running, 6 m
    a.speed_mm_s = 1000;
    a.position_mm += 600;
    a.floor = static_cast<std::int16_t>(a.position_mm / 3000);
    a.in_door_zone = false;
    steps.push_back(d.step_group({a, standing(1, 4)}));
  }
  a = standing(0, 2);
  steps.push_back(d.step_group({a, standing(1, 4)}));
  a.door = hc::door_state::open;
  steps.push_back(d.step_group({a, standing(1, 4)}));
  a.door = hc::door_state::closed;
  steps.push_back(d.step_group({a, standing(1, 4)}));
  CHECK(collect<hc::usage_rollup>(steps).empty());
  while (d.mono() < 9'900) steps.push_back(d.step_group({a, standing(1, 4)}));
  CHECK(collect<hc::usage_rollup>(steps).empty());
  auto out = d.step_group({a, standing(1, 4)});
  CHECK(d.mono() == 10'000);
  auto rollups = bodies<hc::usage_rollup>(out);
  REQUIRE(rollups.size() == 2);
  REQUIRE(out.size() >= 2);
  CHECK(out[out.size() - 2].car == 0);
  CHECK(out.back().car == 1);
  CHECK(rollups[0].interval_start_ms == wall0 + 100);
  CHECK(rollups[0].interval_s == 10);
  CHECK(rollups[0].trips == 1);
  CHECK(rollups[0].starts == 1);
  CHECK(rollups[0].door_cycles == 1);
  CHECK(rollups[0].running_s == 1);
  CHECK(rollups[0].distance_mm == 6000);
  CHECK(rollups[1] == hc::usage_rollup{wall0 + 100, 10, 0, 0, 0, 0, 0});
  // The next interval is a full one, with fresh counters.
  std::vector<std::vector<derived>> next;
  while (d.mono() < 19'900) next.push_back(d.step_group({a, standing(1, 4)}));
  CHECK(collect<hc::usage_rollup>(next).empty());
  rollups = bodies<hc::usage_rollup>(d.step_group({a, standing(1, 4)}));
  REQUIRE(rollups.size() == 2);
  CHECK(rollups[0] == hc::usage_rollup{wall0 + 10'000, 10, 0, 0, 0, 0, 0});
}

TEST_CASE("deriver: with landing levels a trip ends at the landing the position says, at once") {
  drive d({}, ten_landings());
  d.step(standing(0, 1));
  auto c = standing(0, 1);
  auto steps = run_car(d, c, 1000, 6, 1500);  // 3000 -> 9000
  // Stopped at landing 3 while the indication still shows 2 (it settles a moment later).
  c.speed_mm_s = 0;
  c.floor = 2;
  c.in_door_zone = true;
  steps.push_back(d.step(c));
  auto trips = collect<hc::trip>(steps);
  REQUIRE(trips.size() == 1);
  CHECK(trips[0].from_floor == 1);
  CHECK(trips[0].to_floor == 3);
  CHECK(trips[0].distance_mm == 6000);
}

TEST_CASE("deriver: doors opening while the car still levels end the trip (advance opening)") {
  drive d({}, ten_landings());
  d.step(standing(0, 0));
  auto c = standing(0, 0);
  auto steps = run_car(d, c, 1490, 4, 1500);  // 0 -> 5960, 40 mm short of landing 2
  c.speed_mm_s = 60;
  c.position_mm = 5985;
  c.door = hc::door_state::opening;
  steps.push_back(d.step(c));
  REQUIRE(collect<hc::trip>(steps).size() == 1);
  CHECK(collect<hc::trip>(steps)[0].to_floor == 2);
  // Still creeping in with the doors opening, then level: no second run, no second trip.
  c.position_mm = 6000;
  c.speed_mm_s = 0;
  steps.push_back(d.step(c));
  c.door = hc::door_state::open;
  steps.push_back(d.step(c));
  CHECK(collect<hc::trip>(steps).size() == 1);
}

TEST_CASE("deriver: a relevel is a start but no trip, a stop between landings joins the runs") {
  deriver_options options;
  options.rollup_interval = std::chrono::seconds(60);
  drive d(options, ten_landings());
  d.step(standing(0, 4));
  auto c = standing(0, 4);
  std::vector<std::vector<derived>> steps;
  // Relevel: 40 mm down and back, doors closed.
  c.position_mm -= 40;
  c.speed_mm_s = -100;
  steps.push_back(d.step(c));
  c.speed_mm_s = 0;
  steps.push_back(d.step(c));
  c.position_mm += 40;
  c.speed_mm_s = 100;
  steps.push_back(d.step(c));
  c.speed_mm_s = 0;
  steps.push_back(d.step(c));
  CHECK(collect<hc::trip>(steps).empty());
  // An inspection-speed run that stops between landings, then on to landing 6.
  auto more = run_car(d, c, 300, 5, 300);  // 12000 -> 13500
  c.speed_mm_s = 0;
  more.push_back(d.step(c));
  CHECK(collect<hc::trip>(more).empty());
  auto rest = run_car(d, c, 900, 5, 900);  // -> 18000, landing 6
  c.speed_mm_s = 0;
  rest.push_back(d.step(c));
  auto trips = collect<hc::trip>(rest);
  REQUIRE(trips.size() == 1);
  CHECK(trips[0].from_floor == 4);
  CHECK(trips[0].to_floor == 6);
  CHECK(trips[0].distance_mm == 6000);
  while (d.mono() % 60'000 != 0) rest.push_back(d.step(c));
  auto rollups = collect<hc::usage_rollup>(rest);
  REQUIRE(rollups.size() == 1);
  CHECK(rollups[0].trips == 1);
  CHECK(rollups[0].starts == 4);
}

TEST_CASE("deriver: a controller that reports no speed: rest is seen from the position") {
  drive d({}, ten_landings());
  d.step(standing(0, 0));
  auto c = standing(0, 0);
  auto steps = run_car(d, c, 1500, 4, 0);  // -> 6000, speed never reported
  steps.push_back(d.step(c));              // position still: at rest
  auto trips = collect<hc::trip>(steps);
  REQUIRE(trips.size() == 1);
  CHECK(trips[0].to_floor == 2);
}

TEST_CASE("deriver: a landing table that is not ascending is refused and counted") {
  drive d({}, {0, 3000, 2000});
  d.step(standing(0, 0));
  CHECK(d.get().landing_tables_rejected() == 1);
  CHECK(d.get().landings().empty());
  d.step(standing(0, 0));
  CHECK(d.get().landing_tables_rejected() == 1);  // the same answer is judged once
}

TEST_CASE("deriver: the configured landing table wins over the controller's") {
  deriver_options options;
  options.landing_levels_mm = {0, 4000, 8000};
  drive d(options, ten_landings());
  d.step(standing(0, 0));
  CHECK(d.get().landings().levels() == std::vector<std::int32_t>{0, 4000, 8000});
}

TEST_CASE("deriver: landing levels are learned from doors open at a settled indication") {
  drive d;
  for (int visit = 0; visit < 3; ++visit) {
    for (std::int16_t f = 0; f < 10; ++f) {
      auto c = standing(0, f);
      c.door = hc::door_state::open;
      for (int read = 0; read < 5; ++read) d.step(c);  // one stop: five reads, one sighting
      if (visit < 2) CHECK(d.get().landings().empty());
      c.door = hc::door_state::closed;
      d.step(c, 3'000);
    }
  }
  auto c = standing(0, 0);
  c.door = hc::door_state::open;
  d.step(c);
  CHECK(d.get().landings().levels() == ten_landings());
}

TEST_CASE("deriver: doors closed and reopened between two reads are two door cycles") {
  drive d;
  auto c = standing();
  d.step(c);
  std::vector<std::vector<derived>> steps;
  c.door = hc::door_state::opening;
  steps.push_back(d.step(c));
  c.door = hc::door_state::closing;
  c.door_reopens = 1;  // the controller counts reopens: a reopen makes the count grow
  steps.push_back(d.step(c));
  c.door = hc::door_state::opening;
  c.door_reopens = 2;
  steps.push_back(d.step(c));
  CHECK(collect<hc::door_cycle>(steps).empty());
  c.door = hc::door_state::closing;
  steps.push_back(d.step(c));
  c.door = hc::door_state::opening;  // closed (lock failed) and opened again: count starts anew
  c.door_reopens = 0;
  steps.push_back(d.step(c));
  c.door = hc::door_state::closed;
  steps.push_back(d.step(c));
  auto cycles = collect<hc::door_cycle>(steps);
  REQUIRE(cycles.size() == 2);
  CHECK(cycles[0].reopens == 2);
  CHECK(cycles[1].reopens == 0);
}

TEST_CASE("deriver: roll-ups take the controller's counters, a reset falls back and is counted") {
  deriver_options options;
  options.rollup_interval = std::chrono::seconds(10);
  drive d(options);
  auto c = standing();
  c.counters = hc::car_counters{100, 50, 1'000'000, 5'000'000};
  d.step(c);
  std::vector<derived> out;
  c.counters = hc::car_counters{103, 52, 1'004'000, 5'009'000};
  while (d.mono() < 10'000) out = d.step(c);
  auto rollups = bodies<hc::usage_rollup>(out);
  REQUIRE(rollups.size() == 1);
  CHECK(rollups[0].starts == 3);
  CHECK(rollups[0].door_cycles == 2);
  CHECK(rollups[0].running_s == 4);
  CHECK(rollups[0].distance_mm == 9000);
  auto rec = d.get().reconciliation();
  REQUIRE(rec.size() == 1);
  CHECK(rec[0].from_counters == 1);
  CHECK(rec[0].starts_diff == 3);             // the reads showed no run: the counters saw three
  c.counters = hc::car_counters{1, 0, 0, 0};  // a board swap: counting starts again
  while (d.mono() < 20'000) out = d.step(c);
  rollups = bodies<hc::usage_rollup>(out);
  REQUIRE(rollups.size() == 1);
  CHECK(rollups[0].starts == 0);
  CHECK(d.get().reconciliation()[0].counters_reset == 1);
  // Counters that grow faster than a car can are not believed.
  c.counters = hc::car_counters{1'000'000, 0, 0, 0};
  while (d.mono() < 30'000) out = d.step(c);
  CHECK(bodies<hc::usage_rollup>(out).at(0).starts == 0);
  CHECK(d.get().reconciliation()[0].counters_implausible == 1);
}
