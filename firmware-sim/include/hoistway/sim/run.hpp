// Running the simulator: what hoistway-sim's main does once its arguments are parsed. Real time
// (x speedup) serves the controller link on one io_context with an Asio timer advancing the
// model; max speed runs the model in discrete steps as fast as possible.
// Thread-safety: run() owns the calling thread until it returns.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace hoistway::sim {

// sysexits.h values, so scripts can tell usage errors from bad input files.
namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int usage = 64;        // EX_USAGE: bad command line
inline constexpr int data_error = 65;   // EX_DATAERR: bad building or scenario file
inline constexpr int no_input = 66;     // EX_NOINPUT: a building or scenario file cannot be read
inline constexpr int software = 70;     // EX_SOFTWARE: internal error
inline constexpr int os_error = 71;     // EX_OSERR: the socket cannot be served
inline constexpr int cant_create = 73;  // EX_CANTCREAT: the trace file cannot be written
}  // namespace exit_code

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
