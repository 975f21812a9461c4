// hoistway-sim's run loop: load files, build the model, then run it at max speed or in real
// time with the link server, until the duration or a signal.
#include "hoistway/sim/run.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cmath>
#include <iostream>

#include "hoistway/sim/building.hpp"
#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/link_server.hpp"
#include "hoistway/sim/scenario.hpp"
#include "hoistway/sim/time_text.hpp"
#include "hoistway/sim/trace_writer.hpp"

namespace hoistway::sim {

namespace asio = boost::asio;

namespace {

int file_error_code(const common::error& e) {
  return e.code == common::errc::io ? exit_code::no_input : exit_code::data_error;
}

// Events worth a log line in a real-time run (the trace has all of them).
bool notable(event_kind kind) {
  switch (kind) {
    case event_kind::mode_changed:
    case event_kind::fault_raised:
    case event_kind::fault_cleared:
    case event_kind::emergency_stop:
    case event_kind::entrapment_started:
    case event_kind::entrapment_released:
    case event_kind::earthquake_started:
    case event_kind::earthquake_reset:
    case event_kind::power_lost:
    case event_kind::power_restored:
    case event_kind::fire_recall_started:
    case event_kind::fire_recall_reset:
    case event_kind::scenario_action:
      return true;
    default:
      return false;
  }
}

void print_summary(const group_model& model) {
  const auto& s = model.statistics();
  std::string cars;
  for (std::size_t i = 0; i < s.cars.size(); ++i) {
    const auto& c = s.cars[i];
    cars += fmt::format(
        "{}{{\"car\":{},\"trips\":{},\"door_cycles\":{},\"reopens\":{},"
        "\"passengers\":{},\"distance_m\":{:.1f},\"running_s\":{}}}",
        i == 0 ? "" : ",", i, c.trips, c.door_cycles, c.reopens, c.passengers,
        static_cast<double>(c.distance_mm) / 1000.0, c.running_ms / 1000);
  }
  const double mean_wait =
      s.passengers_boarded == 0
          ? 0.0
          : static_cast<double>(s.wait_ms_total) / static_cast<double>(s.passengers_boarded) / 1e3;
  const double mean_response = s.calls_answered == 0
                                   ? 0.0
                                   : static_cast<double>(s.call_response_ms_total) /
                                         static_cast<double>(s.calls_answered) / 1e3;
  std::cout << fmt::format(
      "{{\"sim_time_ms\":{},\"passengers_arrived\":{},\"passengers_boarded\":{},"
      "\"passengers_delivered\":{},\"passengers_evacuated\":{},\"hall_calls\":{},"
      "\"calls_answered\":{},\"mean_call_response_s\":{:.1f},\"max_call_response_s\":{:.1f},"
      "\"mean_wait_s\":{:.1f},\"max_wait_s\":{:.1f},\"cars\":[{}]}}\n",
      model.now_ms(), s.passengers_arrived, s.passengers_boarded, s.passengers_delivered,
      s.passengers_evacuated, s.hall_calls, s.calls_answered, mean_response,
      static_cast<double>(s.call_response_ms_max) / 1e3, mean_wait,
      static_cast<double>(s.wait_ms_max) / 1e3, cars);
}

}  // namespace

int run(const run_options& options) {
  auto building = load_building(options.building);
  if (!building) {
    std::cerr << "hoistway-sim: " << building.error().message << "\n";
    return file_error_code(building.error());
  }
  scenario plan;
  if (options.scenario) {
    auto loaded =
        load_scenario(*options.scenario, static_cast<std::int16_t>(building->landings.size()),
                      static_cast<std::int16_t>(building->cars.size()));
    if (!loaded) {
      std::cerr << "hoistway-sim: " << loaded.error().message << "\n";
      return file_error_code(loaded.error());
    }
    plan = std::move(*loaded);
  }
  // The command line's start time beats the scenario's, which beats the building's.
  if (options.start_time_of_day_s) plan.start_time_of_day_s = options.start_time_of_day_s;
  const std::optional<std::int64_t> duration =
      options.duration_ms ? options.duration_ms : plan.duration_ms;
  if (!options.speedup && !duration) {
    std::cerr << "hoistway-sim: --speedup max needs --duration (or a scenario with a duration)\n";
    return exit_code::usage;
  }

  std::optional<trace_writer> trace;
  if (options.trace) {
    auto opened = trace_writer::open(*options.trace);
    if (!opened) {
      std::cerr << "hoistway-sim: " << opened.error().message << "\n";
      return exit_code::cant_create;
    }
    trace.emplace(std::move(*opened));
  }

  spdlog::info("building '{}' ({} landings, {} cars, {} traffic), seed {}{}", building->name,
               building->landings.size(), building->cars.size(),
               to_string(building->traffic.profile), options.seed,
               plan.name.empty() ? std::string{} : ", scenario '" + plan.name + "'");
  group_model model(std::move(*building), std::move(plan), options.seed);
  const bool real_time = options.speedup.has_value();
  if (trace || real_time) {
    model.set_event_sink([&](const sim_event& e) {
      if (trace) trace->write(e, model);
      if (real_time && notable(e.kind)) spdlog::info("event {}", format_trace_line(e, model));
    });
  }

  int code = exit_code::ok;
  if (!options.speedup) {
    const auto wall0 = std::chrono::steady_clock::now();
    model.advance_to(*duration);
    const auto wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0);
    spdlog::info("simulated {} in {:.2f} s", format_sim_time(model.now_ms()), wall.count());
  } else {
    asio::io_context io;
    const double speedup = *options.speedup;
    const auto wall0 = std::chrono::steady_clock::now();
    const std::int64_t sim0 = model.now_ms();
    // Simulated time now: the wall clock times the speedup, capped at the duration.
    auto sim_now = [&] {
      const double elapsed_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0)
              .count();
      const auto t = sim0 + static_cast<std::int64_t>(std::floor(elapsed_ms * speedup));
      return duration ? std::min(t, *duration) : t;
    };
    std::unique_ptr<link_server> server;
    if (options.socket) {
      // Each read sees the model at the current simulated time (the model gives the same run
      // however finely it is advanced, so reads do not change it).
      auto started = link_server::start(io, *options.socket, [&] {
        model.advance_to(std::max(model.now_ms(), sim_now()));
        return model.state();
      });
      if (!started) {
        std::cerr << "hoistway-sim: " << started.error().message << "\n";
        return exit_code::os_error;
      }
      server = std::move(*started);
      spdlog::info("serving the controller link on {}", options.socket->string());
    }
    asio::steady_timer timer(io);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    auto stop = [&] {
      timer.cancel();
      signals.cancel();
      if (server) server->stop();
    };
    signals.async_wait([&](boost::system::error_code ec, int signo) {
      if (ec) return;
      spdlog::info("signal {}: stopping at {}", signo, format_sim_time(model.now_ms()));
      stop();
    });
    constexpr auto tick = std::chrono::milliseconds(10);
    std::function<void()> on_tick = [&] {
      const std::int64_t target = std::max(model.now_ms(), sim_now());
      if (duration && target >= *duration) {
        model.advance_to(*duration);
        spdlog::info("duration reached: {}", format_sim_time(model.now_ms()));
        stop();
        return;
      }
      model.advance_to(target);
      if (trace) {
        if (auto ok = trace->flush(); !ok) spdlog::error("{}", ok.error().message);
      }
      timer.expires_after(tick);
      timer.async_wait([&](boost::system::error_code ec) {
        if (!ec) on_tick();
      });
    };
    on_tick();
    try {
      io.run();
    } catch (const std::exception& e) {
      spdlog::critical("event loop: {}", e.what());
      code = exit_code::software;
    }
    if (server) {
      const auto& c = server->counters();
      spdlog::info("link: {} connections, {} requests, {} bad lengths, {} bad requests",
                   c.connections, c.requests, c.bad_length, c.bad_request);
    }
  }
  if (trace) {
    if (auto ok = trace->close(); !ok) {
      spdlog::error("{}", ok.error().message);
      code = exit_code::cant_create;
    }
  }
  if (options.summary) print_summary(model);
  return code;
}

}  // namespace hoistway::sim
