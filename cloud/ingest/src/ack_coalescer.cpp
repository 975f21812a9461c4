// Stored-acks coalesced per device (ack_coalescer.hpp).
#include "hoistway/cloud/ingest/ack_coalescer.hpp"

#include <algorithm>
#include <limits>

namespace hoistway::cloud {

void ack_coalescer::committed(const std::string& device, std::uint64_t stored_through) {
  auto& p = pending_[device];
  p.device_id = device;
  p.stored_through = std::max(p.stored_through, stored_through);
}

void ack_coalescer::answered(const std::string& device, std::int64_t arrived_us) {
  auto& p = pending_[device];
  p.device_id = device;
  ++p.frames;
  p.arrived_sum_us += arrived_us;
}

std::vector<ack_coalescer::due> ack_coalescer::take(std::int64_t now_ms, bool all) {
  std::vector<due> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    const auto last = last_ack_ms_.find(it->first);
    const bool waited = last == last_ack_ms_.end() || now_ms - last->second >= interval_.count();
    if (!all && !waited) {
      ++it;
      continue;
    }
    last_ack_ms_.insert_or_assign(it->first, now_ms);
    out.push_back(std::move(it->second));
    it = pending_.erase(it);
  }
  return out;
}

}  // namespace hoistway::cloud
