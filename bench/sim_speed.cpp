// How fast hoistway-sim runs at --speedup max: simulated car-seconds per wall-second for busy
// office cars, and whether one car-year of a busy office car takes under 60 s on one core.
// Prints figures only; no timed assertions (machines differ).
//
//   bench_sim_speed [days=365] [population_per_car=450] [seed=1]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hoistway/sim/building.hpp"
#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/trace_writer.hpp"

namespace {

using hoistway::sim::building_spec;
using hoistway::sim::group_model;

// The demo office's 10 landings with `cars` cars and a busy population.
building_spec busy_office(int cars, std::uint32_t population_per_car) {
  building_spec b;
  b.name = "bench office";
  b.controller_id = "bench";
  std::int32_t level = 0;
  for (int i = 0; i < 10; ++i) {
    b.landings.push_back({std::to_string(i), level});
    level += i == 0 ? 4500 : 3600;
  }
  b.cars.assign(static_cast<std::size_t>(cars), hoistway::sim::car_spec{});
  b.traffic.profile = hoistway::sim::traffic_profile::office;
  b.traffic.population = population_per_car * static_cast<std::uint32_t>(cars);
  return b;
}

struct result {
  double wall_s = 0.0;
  double car_s = 0.0;
  double trips_per_car_day = 0.0;
  double running_share = 0.0;
};

result run(int cars, std::uint32_t population_per_car, std::int64_t days, std::uint64_t seed,
           bool trace) {
  group_model model(busy_office(cars, population_per_car), {}, seed);
  std::uint64_t bytes = 0;
  if (trace) {
    model.set_event_sink([&](const hoistway::sim::sim_event& e) {
      bytes += hoistway::sim::format_trace_line(e, model).size();
    });
  }
  const auto start = std::chrono::steady_clock::now();
  model.advance_to(days * 86'400'000LL);
  const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start);
  result r;
  r.wall_s = wall.count();
  r.car_s = static_cast<double>(days) * 86'400.0 * cars;
  std::uint64_t trips = 0;
  std::int64_t running_ms = 0;
  for (const auto& c : model.statistics().cars) {
    trips += c.trips;
    running_ms += c.running_ms;
  }
  r.trips_per_car_day = static_cast<double>(trips) / static_cast<double>(cars * days);
  r.running_share = static_cast<double>(running_ms) / 1000.0 / r.car_s;
  if (bytes == 1) std::puts("");  // keep the formatting from being optimised away
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t days = argc > 1 ? std::atoll(argv[1]) : 365;
  const auto population = static_cast<std::uint32_t>(argc > 2 ? std::atol(argv[2]) : 450);
  const std::uint64_t seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  if (days <= 0 || population == 0) {
    std::fprintf(stderr, "usage: bench_sim_speed [days] [population_per_car] [seed]\n");
    return 64;
  }
  std::printf("bench_sim_speed: office, 10 landings, %u people per car, %lld simulated days\n",
              population, static_cast<long long>(days));
  for (int cars : {1, 2, 8}) {
    const auto r =
        run(cars, population, cars == 1 ? days : std::max<std::int64_t>(1, days / 8), seed, false);
    std::printf(
        "  %d car(s): %.0f car-s in %.2f s wall = %.3g car-s per wall-s; %.0f trips per car-day, "
        "running %.0f %% of the time\n",
        cars, r.car_s, r.wall_s, r.car_s / r.wall_s, r.trips_per_car_day, r.running_share * 100.0);
    if (cars == 1) {
      const double car_year_s = 365.0 * 86'400.0 / (r.car_s / r.wall_s);
      std::printf("  one car-year of a busy office car: %.1f s wall on one core -> %s 60 s\n",
                  car_year_s, car_year_s < 60.0 ? "UNDER" : "OVER");
    }
  }
  const auto traced = run(2, population, std::max<std::int64_t>(1, days / 30), seed, true);
  std::printf("  with trace lines formatted (2 cars): %.3g car-s per wall-s\n",
              traced.car_s / traced.wall_s);
  return 0;
}
