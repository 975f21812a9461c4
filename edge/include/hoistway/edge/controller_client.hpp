// The agent's side of the controller link: connects to the controller's local socket and reads
// the group state (schemas/controller_link.fbs). Reconnects on the next read after a failure.
// Thread-safety: one thread owns a client.
#pragma once

#include <chrono>
#include <string>

#include "hoistway/common/controller_state.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::edge {

class controller_client {
 public:
  explicit controller_client(std::string socket_path,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(500));
  controller_client(const controller_client&) = delete;
  controller_client& operator=(const controller_client&) = delete;
  ~controller_client();

  // One request/response round trip. errc::unavailable when the controller cannot be reached
  // or does not answer in time; errc::corrupt when its answer is malformed (the connection is
  // then closed and the next read reconnects).
  common::result<common::group_state> read_state();
  bool connected() const { return fd_ >= 0; }

 private:
  common::status ensure_connected();
  common::status write_all(const std::uint8_t* data, std::size_t size);
  common::status read_exact(std::uint8_t* data, std::size_t size);
  void close();

  std::string path_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
};

}  // namespace hoistway::edge
