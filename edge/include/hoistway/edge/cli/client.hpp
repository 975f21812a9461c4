// hoistctl's side of the technician CLI protocol: a blocking client on the agent's Unix socket,
// with deadlines (poll()). See protocol.hpp for the lines exchanged.
// Thread-safety: one thread owns a client.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>

namespace hoistway::edge {

enum class client_failure {
  unreachable,  // no agent serves the socket (or it hung up)
  timeout,      // no answer within the deadline
  malformed,    // an answer line too long
};

struct client_error {
  client_failure kind;
  std::string message;
};

class cli_client {
 public:
  static std::expected<cli_client, client_error> connect(const std::string& path);
  cli_client(cli_client&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  cli_client& operator=(cli_client&&) = delete;
  cli_client(const cli_client&) = delete;
  ~cli_client();

  // Sends one line (the newline is added).
  std::expected<void, client_error> send_line(std::string_view line);
  // Reads one line (without its newline). A negative timeout waits for ever.
  std::expected<std::string, client_error> read_line(std::chrono::milliseconds timeout);

 private:
  explicit cli_client(int fd) : fd_(fd) {}
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace hoistway::edge
