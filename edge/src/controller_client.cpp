// The controller-link client on a POSIX Unix stream socket, with poll() deadlines.
#include "hoistway/edge/controller_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "hoistway/common/link_codec.hpp"

namespace hoistway::edge {

using common::errc;
using common::fail;

controller_client::controller_client(std::string socket_path, std::chrono::milliseconds timeout)
    : path_(std::move(socket_path)), timeout_(timeout) {}

controller_client::~controller_client() { close(); }

void controller_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

common::status controller_client::ensure_connected() {
  if (fd_ >= 0) return {};
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(addr.sun_path)) {
    return fail(errc::invalid_argument, "controller socket path too long: " + path_);
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errc::io, std::string("socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    return fail(errc::unavailable, "controller " + path_ + ": " + std::strerror(err));
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  fd_ = fd;
  return {};
}

namespace {
bool wait_ready(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd p{fd, events, 0};
  int rc = 0;
  do {
    rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}
}  // namespace

common::status controller_client::write_all(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const auto n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!wait_ready(fd_, POLLOUT, timeout_))
        return fail(errc::unavailable, "controller write timed out");
      continue;
    }
    return fail(errc::unavailable, std::string("controller write: ") + std::strerror(errno));
  }
  return {};
}

common::status controller_client::read_exact(std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const auto n = ::recv(fd_, data, size, 0);
    if (n > 0) {
      data += n;
      size -= static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) return fail(errc::unavailable, "controller closed the connection");
    if (errno == EAGAIN || errno == EINTR) {
      if (!wait_ready(fd_, POLLIN, timeout_))
        return fail(errc::unavailable, "controller read timed out");
      continue;
    }
    return fail(errc::unavailable, std::string("controller read: ") + std::strerror(errno));
  }
  return {};
}

common::result<common::group_state> controller_client::read_state() {
  if (auto st = ensure_connected(); !st) return std::unexpected(st.error());
  const auto request = common::link::frame_message(
      common::link::encode_request(common::link::request_kind::read_state));
  auto outcome = [&]() -> common::result<common::group_state> {
    if (auto st = write_all(request.data(), request.size()); !st)
      return std::unexpected(st.error());
    std::array<std::uint8_t, 4> prefix{};
    if (auto st = read_exact(prefix.data(), prefix.size()); !st) return std::unexpected(st.error());
    auto length = common::link::parse_length_prefix(prefix);
    if (!length) return std::unexpected(length.error());
    std::vector<std::uint8_t> body(*length);
    if (auto st = read_exact(body.data(), body.size()); !st) return std::unexpected(st.error());
    return common::link::decode_response(body);
  }();
  // Any failure leaves the stream in an unknown place: start afresh next time.
  if (!outcome) close();
  return outcome;
}

}  // namespace hoistway::edge
