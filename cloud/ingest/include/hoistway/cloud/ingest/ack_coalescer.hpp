// Which stored-acks the ingest writer publishes, and when. An ack is cumulative: one carries every
// commit of its device since the previous, so while frames keep coming a device is acked at most
// once per `interval`; when the writer runs out of frames every pending ack goes at once. Pure:
// no clock, no link; the writer says what committed and when it is, and publishes what is due.
//
// Invariant: only what committed is ever handed out (committed() is called after the commit), and
// an ack never goes back: a device's pending stored_through only grows until it is taken.
//
// Thread-safety: a plain value, owned by the ingest writer.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hoistway::cloud {

class ack_coalescer {
 public:
  explicit ack_coalescer(std::chrono::milliseconds interval) : interval_(interval) {}

  // A transaction committed `device`'s records through `stored_through`.
  void committed(const std::string& device, std::uint64_t stored_through);
  // A frame of `device` that the committed transaction answers, arrived at `arrived_us` (any
  // monotonic clock, µs): for the ack latency of the ack that answers it.
  void answered(const std::string& device, std::int64_t arrived_us);

  struct due {
    std::string device_id;
    std::uint64_t stored_through = 0;
    std::int64_t frames = 0;          // frames this ack answers
    std::int64_t arrived_sum_us = 0;  // the sum of their arrival times
  };
  // The acks to publish at `now_ms` (monotonic): every pending one when `all`, else those of
  // devices last acked at least `interval` ago. What is returned is no longer pending, and its
  // device counts as acked at now_ms.
  std::vector<due> take(std::int64_t now_ms, bool all);

  std::size_t pending() const { return pending_.size(); }

 private:
  std::chrono::milliseconds interval_;
  std::map<std::string, due> pending_;
  // When each device was last acked (bounded by the devices whose frames were stored).
  std::map<std::string, std::int64_t> last_ack_ms_;
};

}  // namespace hoistway::cloud
