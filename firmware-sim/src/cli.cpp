// Command-line parsing for hoistway-sim.
#include "hoistway/sim/cli.hpp"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <charconv>
#include <iostream>
#include <string_view>
#include <vector>

#include "hoistway/sim/fault_codes.hpp"
#include "hoistway/sim/scenario.hpp"
#include "hoistway/sim/sim_event.hpp"
#include "hoistway/sim/time_text.hpp"

namespace hoistway::sim {

namespace {

const std::string footer = R"(
Modes:
  Real time (default, or --speedup X): the model's clock follows the wall clock times X and the
  group state is served on --socket. --speedup max runs discrete steps as fast as possible; it
  needs --duration (or a scenario with a duration) and serves no socket; use it with --trace.

Controller link (--socket): a Unix stream socket (mode 0660). Each request and response is a
  4-byte little-endian length followed by one FlatBuffer (schemas/controller_link.fbs). A
  malformed request gets an error response and the connection is closed.

Files:
  Building files (firmware-sim/buildings/*.toml): landings with levels, cars with drive and door
  parameters, traffic profile (office, residential, none). Scenario files
  (firmware-sim/scenarios/*.toml): a timeline of faults, degradation, emergencies and mode
  switches, random fault rates, and the events the scenario promises.

Durations: 90, 90s, 250ms, 15m, 2h, 3d, 1h30m or HH:MM:SS.  Times of day: HH:MM[:SS].

Trace (--trace FILE, "-" for stdout): one JSON object per line for every event, with t_ms, car,
  event, floor, position_mm, speed_mm_s, dir, door, mode, load_kg, in_door_zone, alarm, faults.

Determinism: the same building, scenario, seed and --start-time give the same run, bit for bit.

Exit codes: 0 ok; 64 bad command line; 65 bad building or scenario file (file:line:col:
  reason on stderr); 66 file cannot be read; 71 socket cannot be served; 73 trace cannot be
  written; 70 internal error.
)";

// "title: a, b, c" wrapped at 96 columns.
std::string wrapped_list(std::string_view title, const std::vector<std::string_view>& names) {
  std::string out = fmt::format("\n{}: ", title);
  std::size_t column = title.size() + 2;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (column + names[i].size() + 2 > 96) {
      out += "\n  ";
      column = 2;
    }
    out += fmt::format("{}{}", names[i], i + 1 == names.size() ? "\n" : ", ");
    column += names[i].size() + 2;
  }
  return out;
}

// The names a scenario file and a trace use, from the tables themselves.
std::string reference() {
  std::string out = "\nFault codes (car_state.fault_codes):\n";
  for (const auto& f : all_faults()) {
    out += fmt::format("  {:3} {:18} {:8} {}\n", static_cast<unsigned>(f.code), f.name,
                       common::to_string(f.level), f.description);
  }
  std::vector<std::string_view> names;
  for (std::size_t i = 0; i < injected_fault_count; ++i) {
    names.push_back(to_string(static_cast<injected_fault>(i)));
  }
  out += wrapped_list("Scenario faults (inject, clear, [random])", names);
  names.clear();
  for (std::size_t i = 0; i <= static_cast<std::size_t>(action_kind::alarm); ++i) {
    names.push_back(to_string(static_cast<action_kind>(i)));
  }
  out += wrapped_list("Scenario actions", names);
  names.clear();
  for (std::size_t i = 0; i < event_kind_count; ++i) {
    names.push_back(to_string(static_cast<event_kind>(i)));
  }
  out += wrapped_list("Trace events (and scenario promises)", names);
  return out;
}

}  // namespace

std::variant<run_options, int> parse_command_line(int argc, const char* const* argv) {
  CLI::App app{"hoistway-sim: a simulated elevator group controller", "hoistway-sim"};
  app.footer(footer + reference());
  app.get_formatter()->column_width(30);
  run_options options;
  std::string building;
  std::string scenario;
  std::string socket;
  std::string trace;
  std::string speedup = "1";
  std::string duration;
  std::string start_time;
  app.add_option("--building", building, "Building file (TOML)")->required()->type_name("FILE");
  app.add_option("--scenario", scenario, "Scenario file (TOML)")->type_name("FILE");
  app.add_option("--socket", socket, "Serve the controller link on this Unix socket path")
      ->type_name("PATH");
  app.add_option("--seed", options.seed, "Random seed (default 1)")->type_name("N");
  app.add_option("--speedup", speedup,
                 "Simulated seconds per wall second (> 0), or 'max' (default 1)")
      ->type_name("X|max");
  app.add_option("--duration", duration,
                 "Simulated time to run, then exit (default: until SIGINT/SIGTERM, or the "
                 "scenario's duration)")
      ->type_name("D");
  app.add_option("--start-time", start_time,
                 "Time of day at simulated time 0 (default: scenario, else building file)")
      ->type_name("HH:MM");
  app.add_option("--trace", trace, "Write a JSON-lines event trace to FILE ('-' for stdout)")
      ->type_name("FILE");
  app.add_flag("--summary", options.summary, "Print run statistics as JSON on stdout at the end");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_code::usage;
  }
  auto usage = [&](const std::string& message) {
    std::cerr << "hoistway-sim: " << message << "\nRun with --help for more information.\n";
    return exit_code::usage;
  };
  options.building = building;
  if (!scenario.empty()) options.scenario = scenario;
  if (!socket.empty()) options.socket = socket;
  if (!trace.empty()) options.trace = trace;
  if (speedup == "max") {
    options.speedup.reset();
  } else {
    double value = 0.0;
    auto [ptr, ec] = std::from_chars(speedup.data(), speedup.data() + speedup.size(), value);
    if (ec != std::errc{} || ptr != speedup.data() + speedup.size() || !(value > 0.0) ||
        value > 1e7) {
      return usage("--speedup must be a number in (0, 1e7] or 'max', not '" + speedup + "'");
    }
    options.speedup = value;
  }
  if (!duration.empty()) {
    auto ms = parse_duration_ms(duration);
    if (!ms) return usage("--duration: " + ms.error().message);
    if (*ms == 0) return usage("--duration must be positive");
    options.duration_ms = *ms;
  }
  if (!start_time.empty()) {
    auto tod = parse_time_of_day_s(start_time);
    if (!tod) return usage("--start-time: " + tod.error().message);
    options.start_time_of_day_s = *tod;
  }
  if (!options.speedup && options.socket) {
    return usage("--socket cannot be served at --speedup max (use a finite speedup)");
  }
  return options;
}

}  // namespace hoistway::sim
