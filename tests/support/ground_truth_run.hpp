// Drives the simulated controller model through an edge deriver, as an agent would read it, and
// compares what the deriver made of it with what the controller did (hoistway/sim/
// ground_truth.hpp). No processes, no broker: a simulated day takes seconds. Used by the
// ground-truth unit tests and the deriver benchmark.
//
// `controller_make` stands for the ways real controllers differ from the simulator: no landing
// table on the link, a floor indication that lags or runs ahead, doors that open while the car
// still levels, no speed reported.
// Thread-safety: plain functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "hoistway/edge/deriver.hpp"
#include "hoistway/sim/ground_truth.hpp"
#include "hoistway/sim/group_model.hpp"

namespace hoistway::test {

enum class controller_make {
  as_is,               // the simulator: landing table and counters on the link
  no_landing_table,    // neither table nor counters: the settled floor indication is all
  configured_table,    // no table on the link; the agent's config gives it
  lagging_indication,  // the floor indication changes 1.5 s late
  early_indication,    // the floor indication shows the nearest landing (flips half-way)
  advance_doors,       // doors start opening 300 ms before the car stops
  no_speed,            // speed always reads 0: rest is seen from position only
  hostile,             // lagging indication, advance doors, no speed, no table on the link
                       // (the agent's config gives it)
  bare_lagging,        // no table anywhere, and the floor indication lags 1.5 s
};

// Without a landing table the deriver can only trust the floor indication once settled.
inline bool has_landing_table(controller_make m) {
  return m != controller_make::no_landing_table && m != controller_make::bare_lagging;
}

inline constexpr controller_make all_makes[] = {controller_make::as_is,
                                                controller_make::no_landing_table,
                                                controller_make::configured_table,
                                                controller_make::lagging_indication,
                                                controller_make::early_indication,
                                                controller_make::advance_doors,
                                                controller_make::no_speed,
                                                controller_make::hostile,
                                                controller_make::bare_lagging};

inline std::string_view to_string(controller_make m) {
  switch (m) {
    case controller_make::as_is:
      return "as_is";
    case controller_make::no_landing_table:
      return "no_landing_table";
    case controller_make::configured_table:
      return "configured_table";
    case controller_make::lagging_indication:
      return "lagging_indication";
    case controller_make::early_indication:
      return "early_indication";
    case controller_make::advance_doors:
      return "advance_doors";
    case controller_make::no_speed:
      return "no_speed";
    case controller_make::hostile:
      return "hostile";
    case controller_make::bare_lagging:
      return "bare_lagging";
  }
  return "?";
}

struct ground_truth_run {
  sim::building_spec building;
  sim::scenario plan;
  std::uint64_t seed = 1;
  std::int64_t duration_ms = 3'600'000;
  std::int64_t sample_ms = 100;
  controller_make make = controller_make::as_is;
};

struct ground_truth_figures {
  sim::comparison trips;
  sim::comparison door_cycles;
  std::uint64_t samples = 0;
  std::uint64_t true_runs = 0;     // the controller's trip counter (runs) over the whole run
  std::uint64_t rollup_trips = 0;  // trips summed over the usage roll-ups
  std::chrono::nanoseconds in_deriver{0};
  std::vector<edge::usage_reconciliation> reconciliation;
};

inline ground_truth_figures run_ground_truth(const ground_truth_run& run) {
  using common::door_state;
  constexpr std::int64_t lag_ms = 1'500;
  constexpr std::int64_t advance_ms = 300;
  const auto make = run.make;
  sim::group_model model(run.building, run.plan, run.seed);
  sim::truth_recorder truth(model);
  model.set_event_sink([&](const sim::sim_event& e) { truth.on_event(e); });
  // The same run a little earlier, for indications and motion that lag the doors.
  std::optional<sim::group_model> earlier;
  std::int64_t earlier_by = 0;
  if (make == controller_make::lagging_indication || make == controller_make::hostile ||
      make == controller_make::bare_lagging) {
    earlier_by = lag_ms;
  } else if (make == controller_make::advance_doors) {
    earlier_by = advance_ms;
  }
  if (earlier_by > 0) earlier.emplace(run.building, run.plan, run.seed);

  std::vector<std::int32_t> levels;
  for (const auto& l : run.building.landings) levels.push_back(l.level_mm);
  edge::deriver_options options;
  if (make == controller_make::configured_table || make == controller_make::hostile) {
    options.landing_levels_mm = levels;
  }
  edge::deriver d(options);

  ground_truth_figures f;
  std::vector<sim::seen_trip> seen;
  std::vector<sim::seen_door_cycle> cycles;
  // Read on a little past the end, so that what ended just before it has settled; compare
  // only what ended before it.
  constexpr std::int64_t overrun_ms = 10'000;
  for (std::int64_t t = 0; t <= run.duration_ms + overrun_ms; t += run.sample_ms) {
    model.advance_to(t);
    auto g = model.state();
    if (make == controller_make::no_landing_table || make == controller_make::bare_lagging ||
        make == controller_make::configured_table || make == controller_make::hostile) {
      g.landing_levels_mm.clear();
    }
    if (make != controller_make::as_is && make != controller_make::configured_table) {
      for (auto& c : g.cars) c.counters.reset();
    }
    if (earlier) {
      earlier->advance_to(std::max<std::int64_t>(0, t - earlier_by));
      for (auto& c : g.cars) {
        const auto e = earlier->car_state(c.car);
        if (make == controller_make::advance_doors) {
          // Motion as it was a moment ago; the doors as they are: they open while it levels.
          c.position_mm = e.position_mm;
          c.speed_mm_s = e.speed_mm_s;
          c.floor = e.floor;
          c.in_door_zone = e.in_door_zone;
        } else {
          c.floor = e.floor;
        }
      }
    }
    if (make == controller_make::early_indication) {
      for (auto& c : g.cars) {
        std::int16_t best = 0;
        for (std::size_t i = 1; i < levels.size(); ++i) {
          if (std::abs(levels[i] - c.position_mm) <
              std::abs(levels[static_cast<std::size_t>(best)] - c.position_mm)) {
            best = static_cast<std::int16_t>(i);
          }
        }
        c.floor = best;
      }
    }
    if (make == controller_make::no_speed || make == controller_make::hostile) {
      for (auto& c : g.cars) c.speed_mm_s = 0;
    }
    const auto before = std::chrono::steady_clock::now();
    auto out = d.observe(g, t, t);
    f.in_deriver += std::chrono::steady_clock::now() - before;
    ++f.samples;
    for (const auto& r : out) {
      if (const auto* trip = std::get_if<common::trip>(&r.body)) {
        seen.push_back(sim::seen_trip{r.car, trip->from_floor, trip->to_floor, trip->start_ms,
                                      trip->end_ms, trip->distance_mm});
      } else if (const auto* cycle = std::get_if<common::door_cycle>(&r.body)) {
        cycles.push_back(sim::seen_door_cycle{r.car, cycle->floor, t});
      } else if (const auto* u = std::get_if<common::usage_rollup>(&r.body)) {
        f.rollup_trips += u->trips;
      }
    }
  }
  const auto slack = run.sample_ms + earlier_by + 100;
  f.trips = sim::compare_trips(truth.trips(), std::move(seen), slack, run.duration_ms);
  f.door_cycles =
      sim::compare_door_cycles(truth.door_cycles(), std::move(cycles), slack, run.duration_ms);
  for (const auto& c : model.statistics().cars) f.true_runs += c.trips;
  f.reconciliation = d.reconciliation();
  return f;
}

}  // namespace hoistway::test
