// hoistway-sim's command line: options parse, bad usage is exit code 64.
#include <doctest/doctest.h>

#include <vector>

#include "hoistway/sim/cli.hpp"

using namespace hoistway::sim;

namespace {

std::variant<run_options, int> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "hoistway-sim");
  return parse_command_line(static_cast<int>(args.size()), args.data());
}

}  // namespace

TEST_CASE("a full command line parses") {
  auto r = parse({"--building", "b.toml", "--socket", "/tmp/s", "--seed", "9", "--speedup", "60",
                  "--duration", "2h", "--start-time", "08:00", "--trace", "t.jsonl"});
  REQUIRE(std::holds_alternative<run_options>(r));
  const auto& o = std::get<run_options>(r);
  CHECK(o.building == "b.toml");
  CHECK(o.socket.value() == "/tmp/s");
  CHECK(o.seed == 9);
  CHECK(o.speedup.value() == 60.0);
  CHECK(o.duration_ms.value() == 7'200'000);
  CHECK(o.start_time_of_day_s.value() == 8 * 3600);
  CHECK(o.trace.value() == "t.jsonl");
}

TEST_CASE("--speedup max runs without a socket") {
  auto r = parse({"--building", "b.toml", "--speedup", "max", "--duration", "1d"});
  REQUIRE(std::holds_alternative<run_options>(r));
  CHECK_FALSE(std::get<run_options>(r).speedup.has_value());
}

TEST_CASE("bad usage is exit code 64") {
  for (auto args : std::vector<std::vector<const char*>>{
           {},
           {"--building"},
           {"--building", "b.toml", "--speedup", "fast"},
           {"--building", "b.toml", "--speedup", "0"},
           {"--building", "b.toml", "--duration", "soon"},
           {"--building", "b.toml", "--seed", "minus"},
           {"--building", "b.toml", "--start-time", "25:00"},
           {"--building", "b.toml", "--speedup", "max", "--socket", "/tmp/s"},
           {"--building", "b.toml", "--frobnicate"}}) {
    auto r = parse(args);
    REQUIRE(std::holds_alternative<int>(r));
    CHECK(std::get<int>(r) == exit_code::usage);
  }
}
