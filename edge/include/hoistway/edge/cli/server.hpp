// The agent's side of the technician CLI: a Unix stream socket (mode 0660) served on the agent's
// io_context (Boost.Asio local::stream_protocol). Each connection reads request lines, parses
// them (protocol.hpp) and hands valid ones to the agent; invalid ones are answered with a
// reason and reported to the agent for counting. One write in flight per connection; a client
// that does not read (a stalled `events --follow`) is disconnected once its queue is full.
// Thread-safety: everything, including the replies, runs on the io_context's thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "hoistway/common/result.hpp"
#include "hoistway/edge/cli/protocol.hpp"

namespace boost::asio {
class io_context;
}

namespace hoistway::edge {

// One request's answer channel.
class cli_reply {
 public:
  virtual ~cli_reply() = default;
  // Queues one answer line (JSON without the newline).
  virtual void send(std::string line) = 0;
  // The answer is complete; the connection takes the next request.
  virtual void done() = 0;
  // False once the client has gone (or was disconnected): stop streaming to it.
  virtual bool open() const = 0;
};

class cli_server {
 public:
  using dispatch = std::function<void(const cli::request&, std::shared_ptr<cli_reply>)>;
  using reject_counter = std::function<void(cli::reject_reason)>;

  // Binds `path` (replacing a stale socket file, refusing if another process serves it, or if
  // the path is something other than a socket) with mode 0660, and starts accepting.
  static common::result<std::unique_ptr<cli_server>> listen(boost::asio::io_context& io,
                                                            const std::string& path,
                                                            dispatch on_request,
                                                            reject_counter on_reject);
  virtual ~cli_server() = default;
  // Stops accepting, closes every connection, removes the socket file.
  virtual void stop() = 0;
};

}  // namespace hoistway::edge
