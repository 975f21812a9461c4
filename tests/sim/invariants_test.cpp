// Physics and safety invariants over long seeded runs, in normal service and in every mode and
// fault the shipped scenarios drive: speed and acceleration within the drive's limits,
// continuous position, doors never open while moving or outside the door zone.
#include <doctest/doctest.h>

#include "hoistway/sim/fault_codes.hpp"
#include "hoistway/sim/group_model.hpp"
#include "sim_test_util.hpp"

using namespace hoistway::sim;
namespace common = hoistway::common;

namespace {

void check_office_day(int cars) {
  group_model model(test::office_building(cars, 150U * static_cast<std::uint32_t>(cars)), {}, 42);
  const auto checked = test::run_checked(model, 86'400'000, 250);
  CHECK(checked.moving_samples > 1000);
  CHECK(checked.door_open_samples > 1000);
  const auto& s = model.statistics();
  CHECK(s.passengers_arrived > 0);
  // Nobody is forgotten: all but the last few arrivals have been carried.
  const auto carried = s.passengers_delivered + 20;
  CHECK(carried >= s.passengers_arrived);
  CHECK(s.wait_ms_max < 15 * 60'000);
}

}  // namespace

TEST_CASE("normal service of a 1-car office for a day keeps the invariants") {
  check_office_day(1);
}
TEST_CASE("normal service of a 2-car office for a day keeps the invariants") {
  check_office_day(2);
}
TEST_CASE("normal service of an 8-car office for a day keeps the invariants") {
  check_office_day(8);
}

TEST_CASE("a month of random faults keeps the invariants") {
  auto building = test::shipped_building("demo-office");
  scenario plan;
  plan.random.per_car_day = {0.5, 0.5, 1.0, 0.3, 0.3, 0.3, 0.0, 0.0};
  plan.random.clear_after_ms = 10 * 60'000;
  group_model model(building, plan, 77);
  test::run_checked(model, 30 * 86'400'000LL, 10'000);
  const auto& s = model.statistics();
  CHECK(s.count(event_kind::entrapment_started) > 0);
  const auto released = s.count(event_kind::entrapment_released);
  const auto started = s.count(event_kind::entrapment_started);
  CHECK((released == started || released + 1 == started));
  CHECK(s.count(event_kind::fault_raised) > 50);
  const auto carried = s.passengers_delivered + s.passengers_evacuated;
  CHECK(s.passengers_evacuated > 0);
  CHECK(carried + 50 > s.passengers_arrived);
  // Liveness: no car cycles its doors at a landing without going anywhere, nobody waits hours.
  for (const auto& car : s.cars) {
    CHECK(static_cast<double>(car.door_cycles) < 1.3 * static_cast<double>(car.trips) + 100.0);
  }
  CHECK(s.wait_ms_max < 2 * 3'600'000);
}

TEST_CASE("the residential tower keeps the invariants for a day") {
  group_model model(test::shipped_building("residential-tower"), {}, 3);
  const auto checked = test::run_checked(model, 86'400'000, 250);
  CHECK(checked.moving_samples > 1000);
  CHECK(model.statistics().wait_ms_max < 15 * 60'000);
}

TEST_CASE("every shipped scenario keeps the invariants (faults excepted where they allow it)") {
  const auto building = test::shipped_building("demo-office");
  for (const auto& entry : std::filesystem::directory_iterator(test::source_dir() / "scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    CAPTURE(entry.path().filename().string());
    auto plan = test::shipped_scenario(entry.path(), building);
    const std::int64_t duration = plan.duration_ms.value_or(3'600'000);
    // Multi-day scenarios are sampled more coarsely and with fewer seeds (sanitizer builds run
    // this too); events are always checked.
    const bool long_run = duration > 86'400'000;
    const std::int64_t step = long_run ? 5'000 : 100;
    for (std::uint64_t seed = 1; seed <= (long_run ? 2U : 4U); ++seed) {
      CAPTURE(seed);
      group_model model(building, plan, seed);
      test::run_checked(model, duration, step);
    }
  }
}

TEST_CASE("inspection runs move at inspection speed and may leave the door zone") {
  auto building = test::office_building(1, 0);
  group_model model(building, {}, 1);
  model.advance_to(1000);
  scenario_action inspect;
  inspect.kind = action_kind::set_mode;
  inspect.car = 0;
  inspect.mode = common::car_mode::inspection;
  model.apply(inspect);
  model.advance_to(20'000);
  CHECK(model.car_state(0).mode == common::car_mode::inspection);
  CHECK(model.car_state(0).inspection_switch);
  scenario_action move;
  move.kind = action_kind::inspection_move;
  move.car = 0;
  move.distance_mm = 1000;
  model.apply(move);
  double peak = 0.0;
  for (std::int64_t t = 20'000; t < 40'000; t += 10) {
    model.advance_to(t);
    peak = std::max(peak, std::abs(model.car_motion(0).speed));
  }
  CHECK(peak == doctest::Approx(building.cars[0].inspection_speed_mm_s).epsilon(0.01));
  CHECK(model.car_state(0).position_mm == 1000);
  CHECK_FALSE(model.car_state(0).in_door_zone);
  CHECK(model.car_state(0).door == common::door_state::closed);
  // Back to normal: the car relevels to the nearest landing.
  scenario_action normal = inspect;
  normal.mode = common::car_mode::normal;
  model.apply(normal);
  model.advance_to(80'000);
  CHECK(model.car_state(0).mode == common::car_mode::normal);
  CHECK(model.car_state(0).position_mm == 0);
}

TEST_CASE("earthquake: every car stops at a landing, opens and stays out of service") {
  group_model model(test::office_building(4, 600), {}, 5);
  model.advance_to(9 * 3'600'000 / 1);  // 09:00, busy
  scenario_action quake;
  quake.kind = action_kind::earthquake;
  model.apply(quake);
  test::run_checked(model, model.now_ms() + 120'000, 50);
  for (std::size_t i = 0; i < model.car_count(); ++i) {
    const auto s = model.car_state(i);
    CHECK(s.mode == common::car_mode::earthquake);
    CHECK(s.speed_mm_s == 0);
    CHECK(s.door == common::door_state::open);
    CHECK(s.load_kg == 0);
    CHECK(s.fault_codes ==
          std::vector<std::uint16_t>{static_cast<std::uint16_t>(fault_code::earthquake_sensor)});
  }
  scenario_action reset;
  reset.kind = action_kind::earthquake_reset;
  model.apply(reset);
  test::run_checked(model, model.now_ms() + 60'000, 50);
  for (std::size_t i = 0; i < model.car_count(); ++i) {
    CHECK(model.car_state(i).mode != common::car_mode::earthquake);
    CHECK(model.car_state(i).fault_codes.empty());
  }
}

TEST_CASE("power failure: brake stop, emergency return to the nearest landing, doors open") {
  auto building = test::office_building(1, 0);
  group_model model(building, {}, 1);
  scenario_action call;
  call.kind = action_kind::car_call;
  call.floor = 9;
  model.apply(call);
  // Cut the power mid-run, between floors.
  std::int64_t t = 0;
  while (model.car_state(0).position_mm < 12'000) model.advance_to(t += 10);
  scenario_action loss;
  loss.kind = action_kind::power_loss;
  model.apply(loss);
  CHECK(model.car_state(0).mode == common::car_mode::power_failure);
  CHECK_FALSE(model.car_state(0).power_ok);
  test::run_checked(model, model.now_ms() + 5'000, 10);
  CHECK(model.car_state(0).speed_mm_s == 0);
  CHECK_FALSE(model.car_state(0).in_door_zone);
  test::run_checked(model, model.now_ms() + 120'000, 10);
  const auto s = model.car_state(0);
  CHECK(s.in_door_zone);
  CHECK(s.door == common::door_state::open);
  CHECK(s.mode == common::car_mode::power_failure);
  CHECK(model.statistics().count(event_kind::emergency_stop) == 1);
}
