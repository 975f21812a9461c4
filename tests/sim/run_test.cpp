// hoistway-sim's run(): exit codes for bad files, a max-speed run with a trace, a short
// real-time run at a high speedup.
#include <doctest/doctest.h>

#include <unistd.h>
#include <fstream>
#include <string>

#include "hoistway/sim/run.hpp"
#include "sim_test_util.hpp"
#include "temp_dir.hpp"

using namespace hoistway::sim;

using hoistway::testing::temp_dir;

TEST_CASE("bad or missing files give exit codes 65 and 66") {
  run_options o;
  o.speedup.reset();
  o.duration_ms = 60'000;
  o.building = "/nonexistent/building.toml";
  CHECK(run(o) == exit_code::no_input);
  temp_dir dir("hoistway-sim-run");
  const std::filesystem::path bad = dir.file("bad.toml");
  std::ofstream(bad) << "[building]\ncontroller_id = 7\n";
  o.building = bad;
  CHECK(run(o) == exit_code::data_error);
  o.building = test::source_dir() / "buildings" / "demo-office.toml";
  o.scenario = bad;
  CHECK(run(o) == exit_code::data_error);
  o.scenario.reset();
  o.trace = "/nonexistent/dir/trace.jsonl";
  CHECK(run(o) == exit_code::cant_create);
}

TEST_CASE("a max-speed run writes one JSON object per line for every event") {
  run_options o;
  o.building = test::source_dir() / "buildings" / "demo-office.toml";
  o.scenario = test::source_dir() / "scenarios" / "earthquake.toml";
  o.speedup.reset();
  temp_dir dir("hoistway-sim-run");
  o.trace = dir.file("trace.jsonl");
  REQUIRE(run(o) == exit_code::ok);
  std::ifstream in(*o.trace);
  std::string line;
  int lines = 0;
  bool earthquake = false;
  while (std::getline(in, line)) {
    ++lines;
    REQUIRE(line.starts_with("{\"t_ms\":"));
    REQUIRE(line.ends_with("}"));
    for (const char* key : {"\"car\":", "\"floor\":", "\"position_mm\":", "\"speed_mm_s\":",
                            "\"door\":", "\"mode\":", "\"event\":"}) {
      REQUIRE(line.find(key) != std::string::npos);
    }
    earthquake = earthquake || line.find("\"event\":\"earthquake_started\"") != std::string::npos;
  }
  CHECK(lines > 100);
  CHECK(earthquake);
}

TEST_CASE("a real-time run at a high speedup stops at its duration and removes its socket") {
  run_options o;
  o.building = test::source_dir() / "buildings" / "demo-office.toml";
  o.speedup = 100'000.0;
  o.duration_ms = 3'600'000;  // 36 ms of wall time
  temp_dir dir("hoistway-sim-run");
  o.socket = dir.file("rt.sock");
  CHECK(run(o) == exit_code::ok);
  CHECK_FALSE(std::filesystem::exists(*o.socket));
}
