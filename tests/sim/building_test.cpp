// Building files: the shipped ones load; bad ones are rejected with file, line and reason.
#include <doctest/doctest.h>

#include "hoistway/sim/building.hpp"
#include "hoistway/sim/fault_codes.hpp"
#include "hoistway/sim/time_text.hpp"
#include "sim_test_util.hpp"

using namespace hoistway::sim;

TEST_CASE("the shipped buildings load") {
  const auto office = test::shipped_building("demo-office");
  CHECK(office.landings.size() == 10);
  CHECK(office.cars.size() == 2);
  CHECK(office.landings[1].level_mm == 4500);
  CHECK(office.traffic.profile == traffic_profile::office);
  CHECK(office.traffic.start_time_of_day_s == 7 * 3600);
  const auto tower = test::shipped_building("residential-tower");
  CHECK(tower.traffic.profile == traffic_profile::residential);
  CHECK(tower.cars[0].rated_speed_mm_s == 1000);
}

TEST_CASE("building errors name the file, line and reason") {
  const std::string good_head =
      "[building]\ncontroller_id = \"x\"\n"
      "[[landings]]\nlevel_mm = 0\n[[landings]]\nlevel_mm = 3000\n";
  auto bad = [](const std::string& text) {
    auto b = parse_building(text, "b.toml");
    REQUIRE_FALSE(b);
    CHECK(b.error().code == hoistway::common::errc::invalid_argument);
    return b.error().message;
  };
  CHECK(parse_building(good_head + "[cars]\ncount = 1\n", "b.toml"));
  CHECK(bad(good_head + "[cars]\ncount = 9\n") == "b.toml:8:9: 'count' = 9 is out of range [1, 8]");
  CHECK(bad(good_head + "[cars]\ncount = 1\nrated_sped_mm_s = 1\n").starts_with("b.toml:9:"));
  CHECK(bad(good_head + "[cars]\ncount = \"two\"\n") == "b.toml:8:9: 'count' must be an integer");
  CHECK(bad("[building]\ncontroller_id = \"x\"\n[[landings]]\nlevel_mm = 0\n[[landings]]\n"
            "level_mm = 100\n[cars]\ncount = 1\n")
            .starts_with("b.toml:6:12: level_mm 100 must be at least 1500"));
  CHECK(bad(good_head + "[cars]\ncount = 1\n[traffic]\nprofile = \"mall\"\n")
            .starts_with("b.toml:10:11: unknown traffic profile 'mall'"));
  CHECK(bad("[building\n").starts_with("b.toml:1:"));
  CHECK(bad(good_head).find("missing [cars]") != std::string::npos);
  CHECK(bad(good_head + "[cars]\ncount = 1\n[traffic]\nlobby_floor = 5\n")
            .find("lobby_floor 5 is not a landing") != std::string::npos);
}

TEST_CASE("a missing building file is an I/O error") {
  auto b = load_building("/nonexistent/building.toml");
  REQUIRE_FALSE(b);
  CHECK(b.error().code == hoistway::common::errc::io);
}

TEST_CASE("durations and times of day") {
  CHECK(parse_duration_ms("90").value() == 90'000);
  CHECK(parse_duration_ms("250ms").value() == 250);
  CHECK(parse_duration_ms("1h30m").value() == 5'400'000);
  CHECK(parse_duration_ms("3d").value() == 259'200'000);
  CHECK(parse_duration_ms("01:02:03").value() == 3'723'000);
  CHECK(parse_duration_ms("00:10").value() == 600'000);
  CHECK_FALSE(parse_duration_ms(""));
  CHECK_FALSE(parse_duration_ms("-5"));
  CHECK_FALSE(parse_duration_ms("5x"));
  CHECK_FALSE(parse_duration_ms("1h5"));
  CHECK_FALSE(parse_duration_ms("01:99"));
  CHECK(parse_time_of_day_s("07:30").value() == 27'000);
  CHECK_FALSE(parse_time_of_day_s("24:00"));
  CHECK_FALSE(parse_time_of_day_s("7"));
  CHECK(format_sim_time(90'061'001) == "1+01:01:01.001");
}

TEST_CASE("fault codes are ascending, unique, named and grouped by hundreds") {
  std::uint16_t previous = 0;
  for (const auto& f : all_faults()) {
    const auto code = static_cast<std::uint16_t>(f.code);
    CHECK(code > previous);
    previous = code;
    CHECK(fault_from_name(f.name) == f.code);
    CHECK(to_string(f.code) == f.name);
  }
  // The edge agent grades severity by the hundreds (edge/src/deriver.cpp).
  CHECK(static_cast<int>(fault_code::safety_chain_open) / 100 == 3);
  CHECK(static_cast<int>(fault_code::drive_fault) / 100 == 4);
  CHECK(static_cast<int>(fault_code::power_failure) / 100 == 5);
  CHECK(static_cast<int>(fault_code::earthquake_sensor) / 100 == 6);
}
