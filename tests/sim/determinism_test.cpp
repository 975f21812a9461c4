// Same building, scenario and seed give the same run bit for bit, however the model is
// advanced; another seed gives another run.
#include <doctest/doctest.h>

#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/trace_writer.hpp"
#include "sim_test_util.hpp"

using namespace hoistway::sim;

namespace {

std::uint64_t trace_hash(std::uint64_t seed, std::int64_t step_ms, const scenario& plan,
                         std::int64_t duration_ms) {
  const auto building = test::shipped_building("demo-office");
  group_model model(building, plan, seed);
  std::uint64_t hash = test::fnv_offset;
  model.set_event_sink(
      [&](const sim_event& e) { hash = test::fnv1a(hash, format_trace_line(e, model)); });
  if (step_ms <= 0) {
    model.advance_to(duration_ms);
  } else {
    for (std::int64_t t = 0; t < duration_ms; t += step_ms) model.advance_to(t);
    model.advance_to(duration_ms);
  }
  return hash;
}

}  // namespace

TEST_CASE("the same seed gives the same trace, independent of how time is advanced") {
  const auto a = trace_hash(7, 0, {}, 6 * 3'600'000);
  CHECK(a == trace_hash(7, 0, {}, 6 * 3'600'000));
  CHECK(a == trace_hash(7, 997, {}, 6 * 3'600'000));
  CHECK(a != trace_hash(8, 0, {}, 6 * 3'600'000));
}

TEST_CASE("scenarios with random faults are deterministic too") {
  const auto building = test::shipped_building("demo-office");
  auto plan =
      test::shipped_scenario(test::source_dir() / "scenarios" / "random-faults.toml", building);
  const auto a = trace_hash(3, 0, plan, 2 * 86'400'000);
  CHECK(a == trace_hash(3, 60'000, plan, 2 * 86'400'000));
  CHECK(a != trace_hash(4, 0, plan, 2 * 86'400'000));
}
