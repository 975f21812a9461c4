// sd_notify without libsystemd: a datagram on the AF_UNIX socket named by $NOTIFY_SOCKET
// (a path, or an abstract name when it starts with '@').
#include "hoistway/edge/systemd.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

namespace hoistway::edge::systemd {

bool notify(std::string_view state) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (path == nullptr || path[0] == '\0') return false;
  const std::string_view name(path);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (name.size() >= sizeof(addr.sun_path) || (name[0] != '/' && name[0] != '@')) return false;
  std::memcpy(addr.sun_path, name.data(), name.size());
  if (name[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const auto sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&addr), length);
  ::close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (usec == nullptr) return std::nullopt;
  if (const char* pid = std::getenv("WATCHDOG_PID"); pid != nullptr) {
    long value = 0;
    const std::string_view text(pid);
    if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc{} ||
        value != static_cast<long>(::getpid())) {
      return std::nullopt;
    }
  }
  long long value = 0;
  const std::string_view text(usec);
  if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc{} ||
      value <= 0) {
    return std::nullopt;
  }
  return std::chrono::microseconds(value);
}

}  // namespace hoistway::edge::systemd
