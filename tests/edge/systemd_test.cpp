// Tests of the sd_notify datagram (systemd.hpp) against a socket of our own.
#include "hoistway/edge/systemd.hpp"

#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <string>

TEST_CASE("systemd: notify sends one datagram to $NOTIFY_SOCKET, nothing without it") {
  const std::string path = "/tmp/hoistway-notify-test-" + std::to_string(::getpid()) + ".sock";
  ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);

  ::unsetenv("NOTIFY_SOCKET");
  CHECK_FALSE(hoistway::edge::systemd::notify("READY=1"));
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  CHECK(hoistway::edge::systemd::notify("READY=1\nSTATUS=sampling"));
  std::array<char, 256> buffer{};
  const auto n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
  REQUIRE(n > 0);
  CHECK(std::string(buffer.data(), static_cast<std::size_t>(n)) == "READY=1\nSTATUS=sampling");
  ::unsetenv("NOTIFY_SOCKET");
  ::close(fd);
  ::unlink(path.c_str());
}

TEST_CASE("systemd: the watchdog interval comes from WATCHDOG_USEC for this process only") {
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  CHECK_FALSE(hoistway::edge::systemd::watchdog_interval().has_value());
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  REQUIRE(hoistway::edge::systemd::watchdog_interval().has_value());
  CHECK(hoistway::edge::systemd::watchdog_interval()->count() == 30'000'000);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  CHECK(hoistway::edge::systemd::watchdog_interval().has_value());
  ::setenv("WATCHDOG_PID", "1", 1);
  CHECK_FALSE(hoistway::edge::systemd::watchdog_interval().has_value());
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  ::setenv("WATCHDOG_USEC", "soon", 1);
  CHECK_FALSE(hoistway::edge::systemd::watchdog_interval().has_value());
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}
