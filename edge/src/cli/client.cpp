// The blocking CLI client.
#include "hoistway/edge/cli/client.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace hoistway::edge {
namespace {
// Answers (status, event lists) can be long; anything beyond this is not from our agent.
constexpr std::size_t max_answer_bytes = 16 * 1024 * 1024;
}  // namespace

std::expected<cli_client, client_error> cli_client::connect(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return std::unexpected(client_error{client_failure::unreachable, "bad socket path: " + path});
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return std::unexpected(client_error{client_failure::unreachable, std::strerror(errno)});
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    return std::unexpected(client_error{
        client_failure::unreachable,
        "cannot reach the agent at " + path + ": " + std::strerror(err) +
            (err == EACCES ? " (ask for the socket's group)" : " (is hoistway-agent running?)")});
  }
  return cli_client(fd);
}

cli_client::~cli_client() {
  if (fd_ >= 0) ::close(fd_);
}

std::expected<void, client_error> cli_client::send_line(std::string_view line) {
  std::string data(line);
  data.push_back('\n');
  std::size_t sent = 0;
  while (sent < data.size()) {
    const auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return std::unexpected(client_error{
          client_failure::unreachable, std::string("the agent hung up: ") + std::strerror(errno)});
    }
    sent += static_cast<std::size_t>(n);
  }
  return {};
}

std::expected<std::string, client_error> cli_client::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    if (buffer_.size() > max_answer_bytes) {
      return std::unexpected(client_error{client_failure::malformed, "answer line too long"});
    }
    int wait_ms = -1;
    if (timeout.count() >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        return std::unexpected(
            client_error{client_failure::timeout, "the agent did not answer in time"});
      }
      wait_ms = static_cast<int>(left.count());
    }
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, wait_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      return std::unexpected(
          client_error{client_failure::timeout, "the agent did not answer in time"});
    }
    std::array<char, 65536> chunk{};
    const auto n = ::recv(fd_, chunk.data(), chunk.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return std::unexpected(
          client_error{client_failure::unreachable, "the agent closed the connection"});
    }
    buffer_.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

}  // namespace hoistway::edge
