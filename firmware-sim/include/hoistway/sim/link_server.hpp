// The controller-link server: serves the simulated group's state on a Unix stream socket, one
// length-prefixed Request -> one length-prefixed Response (common/link_codec.hpp), many requests
// per connection, many connections at once. A malformed request gets an error response, is
// logged and counted, and its connection is closed.
// Thread-safety: everything runs on the io_context passed to start(), which must be run by one
// thread; start/stop/counters must be called from that thread (or before it runs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "hoistway/common/controller_state.hpp"
#include "hoistway/common/result.hpp"

namespace boost::asio {
class io_context;
}

namespace hoistway::sim {

struct link_counters {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
  std::uint64_t bad_length = 0;   // zero or oversized length prefix
  std::uint64_t bad_request = 0;  // the FlatBuffer did not verify or decode
  std::uint64_t io_errors = 0;
};

class link_server {
 public:
  using state_source = std::function<common::group_state()>;

  // Removes a stale socket file, binds, sets mode 0660 and starts accepting. Errors: errc::io.
  static common::result<std::unique_ptr<link_server>> start(boost::asio::io_context& io,
                                                            const std::filesystem::path& path,
                                                            state_source source);
  ~link_server();
  link_server(const link_server&) = delete;
  link_server& operator=(const link_server&) = delete;

  // Stops accepting, closes every connection and removes the socket file. Idempotent.
  void stop();
  const link_counters& counters() const noexcept;

 private:
  struct impl;
  explicit link_server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace hoistway::sim
