// The deriver against the simulated controller over a simulated week at --speedup max, without
// processes or broker: the model is read as an agent reads it (every 100 ms or 500 ms), the
// deriver turns the reads into records, and what it made of them is aligned with what the
// controller did (hoistway/sim/ground_truth.hpp): trips compared, lost, invented, misplaced;
// door cycles; how the roll-ups agree with the controller's counters; and the deriver's cost per
// read. Prints figures only; no timed assertions (machines differ).
//
//   bench_deriver_week [days=7] [seed=1]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ground_truth_run.hpp"
#include "hoistway/sim/building.hpp"

namespace {

using hoistway::test::controller_make;

void print(const char* building, std::int64_t sample_ms, controller_make make,
           const hoistway::test::ground_truth_figures& f, double wall_s) {
  const auto& t = f.trips;
  const auto& d = f.door_cycles;
  const double per_read_ns =
      f.samples == 0 ? 0.0
                     : static_cast<double>(f.in_deriver.count()) / static_cast<double>(f.samples);
  std::int64_t starts_diff = 0;
  std::int64_t running_diff_ms = 0;
  std::uint64_t from_counters = 0;
  std::uint64_t rollups = 0;
  for (const auto& r : f.reconciliation) {
    starts_diff += r.starts_diff;
    running_diff_ms += r.running_ms_diff;
    from_counters += r.from_counters;
    rollups += r.rollups;
  }
  std::printf(
      "%-18s %4lld ms %-18s trips %6llu lost %3llu invented %3llu misplaced %3llu (%.3f %%) "
      "max |dt| %5lld ms max |dd| %4lld mm distance %+.3f %% | doors %6llu lost %3llu invented "
      "%3llu misplaced %3llu | roll-ups %llu, %llu from counters, starts %+lld, running %+lld s | "
      "%.0f ns/read, %.1f s\n",
      building, static_cast<long long>(sample_ms),
      std::string(hoistway::test::to_string(make)).c_str(),
      static_cast<unsigned long long>(t.truth), static_cast<unsigned long long>(t.lost),
      static_cast<unsigned long long>(t.invented), static_cast<unsigned long long>(t.misplaced),
      100.0 * t.loss_share(), static_cast<long long>(t.max_duration_error_ms),
      static_cast<long long>(t.max_distance_error_mm),
      t.true_distance_mm == 0 ? 0.0
                              : 100.0 *
                                    (static_cast<double>(t.seen_distance_mm) -
                                     static_cast<double>(t.true_distance_mm)) /
                                    static_cast<double>(t.true_distance_mm),
      static_cast<unsigned long long>(d.truth), static_cast<unsigned long long>(d.lost),
      static_cast<unsigned long long>(d.invented), static_cast<unsigned long long>(d.misplaced),
      static_cast<unsigned long long>(rollups), static_cast<unsigned long long>(from_counters),
      static_cast<long long>(starts_diff), static_cast<long long>(running_diff_ms / 1000),
      per_read_ns, wall_s);
  for (const auto& p : t.problems) std::printf("    %s\n", p.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t days = argc > 1 ? std::atoll(argv[1]) : 7;
  const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1;
  const auto root = std::filesystem::path(HOISTWAY_SOURCE_DIR) / "firmware-sim";
  std::printf("deriver vs controller over %lld simulated day(s), seed %llu\n",
              static_cast<long long>(days), static_cast<unsigned long long>(seed));
  for (const auto* name : {"demo-office", "residential-tower"}) {
    auto b = hoistway::sim::load_building(root / "buildings" / (std::string(name) + ".toml"));
    if (!b) {
      std::fprintf(stderr, "%s\n", b.error().message.c_str());
      return 1;
    }
    auto plan = hoistway::sim::load_scenario(root / "scenarios" / "random-faults.toml",
                                             static_cast<std::int16_t>(b->landings.size()),
                                             static_cast<std::int16_t>(b->cars.size()));
    if (!plan) {
      std::fprintf(stderr, "%s\n", plan.error().message.c_str());
      return 1;
    }
    for (std::int64_t sample_ms : {100, 500}) {
      for (auto make :
           {controller_make::as_is, controller_make::hostile, controller_make::no_landing_table}) {
        hoistway::test::ground_truth_run run;
        run.building = *b;
        run.plan = *plan;  // random faults: a day of them per car, and all traffic
        run.seed = seed;
        run.duration_ms = days * 86'400'000;
        run.sample_ms = sample_ms;
        run.make = make;
        const auto start = std::chrono::steady_clock::now();
        const auto f = hoistway::test::run_ground_truth(run);
        const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
        print(name, sample_ms, make, f, wall.count());
      }
    }
  }
  return 0;
}
