// Running the simulator: what hoistway-sim's main does once its arguments are parsed. Real time
// (x speedup) serves the controller link on one io_context with an Asio timer advancing the
// model; max speed runs the model in discrete steps as fast as possible.
// Thread-safety: run() owns the calling thread until it returns.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "hoistway/common/exit_codes.hpp"

namespace hoistway::sim {

// common/exit_codes.hpp, so scripts can tell usage errors from bad input files: usage, a bad
// command line; data_error, a bad building or scenario file; no_input, one that cannot be read;
// os_error, the socket cannot be served; cant_create, the trace file cannot be written.
namespace exit_code = common::exit_code;

struct run_options {
  std::filesystem::path building;
  std::optional<std::filesystem::path> scenario;
  std::optional<std::filesystem::path> socket;
  std::optional<std::filesystem::path> trace;  // "-" for stdout
  std::uint64_t seed = 1;
  std::optional<double> speedup = 1.0;      // nullopt: as fast as possible
  std::optional<std::int64_t> duration_ms;  // simulated time to run; nullopt: until signalled
  std::optional<std::int32_t> start_time_of_day_s;
  bool summary = false;  // print run statistics as JSON on stdout at the end
};

// Runs to completion (duration reached, or SIGINT/SIGTERM) and returns an exit_code.
int run(const run_options& options);

}  // namespace hoistway::sim
