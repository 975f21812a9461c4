// `hoistctl flush`: the requests waiting until the cloud has acknowledged every seq committed
// before each came, as a value the agent feeds: add() at the request, report() at every ack it
// takes and on its 250 ms progress tick. No I/O of its own: each request's reply (cli_reply)
// carries the progress lines and the final answer. tests/edge/flush_tracker_test.cpp drives it.
//
// Thread-safety: none; the agent calls it on its io_context thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "hoistway/edge/cli/server.hpp"

namespace hoistway::edge {

class flush_tracker {
 public:
  // A request waiting for `target` (the last seq committed before it), with the acks standing
  // at `acked_through` when it came.
  void add(std::shared_ptr<cli_reply> reply, std::uint64_t acked_through, std::uint64_t target);
  // Tells every waiting request where the acks stand: one whose target is reached is answered
  // (flush_done, with the outbox's `depth`) and forgotten; the others get a progress line. One
  // whose client has left is forgotten.
  void report(std::uint64_t acked_through, std::uint64_t depth, bool connected);
  bool empty() const { return waiting_.empty(); }
  std::size_t size() const { return waiting_.size(); }
  // Forgets every request unanswered (the agent is stopping).
  void clear() { waiting_.clear(); }

 private:
  struct flusher {
    std::shared_ptr<cli_reply> reply;
    std::uint64_t from;
    std::uint64_t target;
  };
  std::vector<flusher> waiting_;
};

}  // namespace hoistway::edge
