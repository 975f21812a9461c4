// hoistway-sim's command line: parsing argv into run_options, with --help documenting every
// option, the file formats and the exit codes.
// Thread-safety: call from main only.
#pragma once

#include <variant>

#include "hoistway/sim/run.hpp"

namespace hoistway::sim {

// Options to run with, or the exit code to return at once (0 after --help, 64 on bad usage;
// the message has already been printed).
std::variant<run_options, int> parse_command_line(int argc, const char* const* argv);

}  // namespace hoistway::sim
