// Scenario files: every shipped scenario produces the events it promises; bad files are
// rejected with the file, line and reason.
#include <doctest/doctest.h>

#include <map>

#include "hoistway/sim/fault_codes.hpp"
#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/scenario.hpp"
#include "sim_test_util.hpp"

using namespace hoistway::sim;
namespace common = hoistway::common;

TEST_CASE("every shipped scenario produces the events it promises") {
  const auto building = test::shipped_building("demo-office");
  int scenarios = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::source_dir() / "scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    ++scenarios;
    CAPTURE(entry.path().filename().string());
    auto plan = test::shipped_scenario(entry.path(), building);
    REQUIRE(plan.duration_ms);
    CHECK_FALSE(plan.promises.empty());
    CHECK_FALSE(plan.description.empty());
    auto start = building;
    group_model model(start, plan, 1);
    model.advance_to(*plan.duration_ms);
    for (auto kind : plan.promises) {
      CAPTURE(to_string(kind));
      CHECK(model.statistics().count(kind) > 0);
    }
  }
  CHECK(scenarios >= 6);
}

TEST_CASE("the entrapment scenario traps passengers, sounds the alarm and releases them") {
  const auto building = test::shipped_building("demo-office");
  auto plan =
      test::shipped_scenario(test::source_dir() / "scenarios" / "entrapment.toml", building);
  group_model model(building, plan, 1);
  std::vector<sim_event> events;
  model.set_event_sink([&](const sim_event& e) {
    if (e.kind == event_kind::entrapment_started || e.kind == event_kind::entrapment_released) {
      events.push_back(e);
      const auto s = model.car_state(0);
      if (e.kind == event_kind::entrapment_started) {
        CHECK_FALSE(s.in_door_zone);
        CHECK(s.load_kg > 0);
        CHECK(s.door == common::door_state::closed);
      } else {
        CHECK(s.in_door_zone);
        CHECK(s.door == common::door_state::open);
      }
    }
  });
  model.advance_to(*plan.duration_ms);
  REQUIRE(events.size() == 2);
  CHECK(events[0].car == 0);
  CHECK(events[1].t_ms - events[0].t_ms > 20 * 60'000);
  CHECK(model.car_state(0).fault_codes.empty());
}

TEST_CASE("door degradation lengthens the closing time and raises door_close_slow") {
  const auto building = test::shipped_building("demo-office");
  auto plan =
      test::shipped_scenario(test::source_dir() / "scenarios" / "door-degradation.toml", building);
  group_model model(building, plan, 1);
  std::map<int, std::int32_t> first_close;
  std::map<int, std::int32_t> last_close;
  model.set_event_sink([&](const sim_event& e) {
    if (e.kind == event_kind::door_closed && model.car_state(1).door_reopens == 0 && e.car == 1) {
      if (!first_close.contains(e.car)) first_close[e.car] = e.value;
      last_close[e.car] = e.value;
    }
  });
  model.advance_to(*plan.duration_ms);
  CHECK(last_close[1] > first_close[1] + 800);
  const auto faults = model.car_state(1).fault_codes;
  CHECK(std::find(faults.begin(), faults.end(),
                  static_cast<std::uint16_t>(fault_code::door_close_slow)) != faults.end());
  const auto brake = model.car_state(0).fault_codes;
  CHECK(std::find(brake.begin(), brake.end(),
                  static_cast<std::uint16_t>(fault_code::brake_distance)) != brake.end());
}

TEST_CASE("scenario errors name the file, line and reason") {
  auto bad = [](std::string_view text) {
    auto s = parse_scenario(text, "bad.toml", 10, 2);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == hoistway::common::errc::invalid_argument);
    return s.error().message;
  };
  CHECK(bad("[scenario\nname = 1").starts_with("bad.toml:1:"));
  CHECK(bad("[scenario]\nname = \"x\"\nduratoin = \"1h\"\n") ==
        "bad.toml:3:12: unknown key 'duratoin' (expected one of: name, description, duration, "
        "start_time, promises)");
  const auto msg = bad("[[at]]\ntime = \"1m\"\naction = \"inject\"\nfault = \"gremlins\"\n");
  CHECK(msg.starts_with("bad.toml:4:"));
  CHECK(msg.find("unknown fault 'gremlins'") != std::string::npos);
  CHECK(
      bad("[[at]]\ntime = \"1m\"\naction = \"car_call\"\nfloor = 10\n").starts_with("bad.toml:4:"));
  CHECK(bad("[[at]]\ntime = \"1m\"\naction = \"teleport\"\n").starts_with("bad.toml:3:"));
  CHECK(bad("[[at]]\ntime = \"soon\"\naction = \"earthquake\"\n").starts_with("bad.toml:2:"));
  CHECK(bad("[scenario]\npromises = [\"miracle\"]\n").starts_with("bad.toml:2:"));
  CHECK(bad("[random]\ngremlins = 1.0\n").starts_with("bad.toml:2:"));
}

TEST_CASE("scenario actions are sorted by time, file order on ties") {
  auto s = parse_scenario(
      "[[at]]\ntime = \"10m\"\naction = \"fire_alarm\"\n"
      "[[at]]\ntime = \"5m\"\naction = \"earthquake\"\n"
      "[[at]]\ntime = \"10m\"\naction = \"fire_reset\"\n",
      "s.toml", 10, 2);
  REQUIRE(s);
  REQUIRE(s->actions.size() == 3);
  CHECK(s->actions[0].kind == action_kind::earthquake);
  CHECK(s->actions[1].kind == action_kind::fire_alarm);
  CHECK(s->actions[2].kind == action_kind::fire_reset);
  CHECK(s->actions[1].line == 1);
}
