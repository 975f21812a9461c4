// hoistway-sim: a simulated elevator group controller (see hoistway/sim/run.hpp).
#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <exception>
#include <iostream>
#include <variant>

#include "hoistway/sim/cli.hpp"
#include "hoistway/sim/run.hpp"

int main(int argc, char** argv) {
  try {
    spdlog::set_default_logger(spdlog::stderr_color_mt("hoistway-sim"));
    spdlog::cfg::load_env_levels();
    auto parsed = hoistway::sim::parse_command_line(argc, argv);
    if (const int* code = std::get_if<int>(&parsed)) return *code;
    return hoistway::sim::run(std::get<hoistway::sim::run_options>(parsed));
  } catch (const std::exception& e) {
    std::cerr << "hoistway-sim: internal error: " << e.what() << "\n";
    return hoistway::sim::exit_code::software;
  }
}
