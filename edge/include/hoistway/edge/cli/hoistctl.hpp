// hoistctl's work after argument parsing: send one request to the agent, render the answer
// (text for people, or the agent's JSON with --json), and map the outcome to a sysexits.h code.
// Thread-safety: single-threaded (a command-line program).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "hoistway/common/exit_codes.hpp"
#include "hoistway/edge/cli/protocol.hpp"

namespace hoistway::edge::ctl {

// common/exit_codes.hpp; for hoistctl: data_error, the agent refused the request's data or state;
// unavailable, the agent is not reachable; io_error, the agent failed to do it (its outbox);
// temp_failure, no answer in time (flush: not all acknowledged yet); protocol, an answer we do
// not understand; config, agent.toml unreadable or invalid.
namespace exit_code = common::exit_code;

struct options {
  std::string socket;
  bool json = false;
  std::chrono::milliseconds timeout{10'000};  // per answer
  std::chrono::milliseconds flush_timeout{300'000};
};

// The socket: `explicit_socket` if given; else [cli] socket of the agent config (defaulting to
// /run/hoistway/agent.sock when the file has none, or when the default config path is
// unreadable). An explicit config that cannot be read is an error (message set).
std::optional<std::string> resolve_socket(const std::string& explicit_socket,
                                          const std::string& config_path, bool config_explicit,
                                          std::string& message);

// "--since": RFC 3339, or a span back from now ("90s", "15m", "2h", "3d").
std::optional<std::int64_t> parse_since(std::string_view text, std::int64_t now_ms);

// Sends `request` and renders its answer(s) on stdout (progress on stderr). Returns the exit code.
int execute(const options& o, const cli::request& request);

}  // namespace hoistway::edge::ctl
