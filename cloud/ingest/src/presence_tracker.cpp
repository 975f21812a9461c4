// Device presence as the ingest writer tracks it (presence_tracker.hpp).
#include "hoistway/cloud/ingest/presence_tracker.hpp"

namespace hoistway::cloud {

void presence_tracker::heard(const std::string& device, std::int64_t now_ms) {
  last_seen_[device] = now_ms;
  offline_now_.erase(device);
}

void presence_tracker::said_offline(const std::string& device) { offline_now_.insert(device); }

void presence_tracker::taken(const std::string& device, common::presence::announcement announced) {
  taken_.insert_or_assign(device, std::move(announced));
}

const common::presence::announcement* presence_tracker::last_taken(
    const std::string& device) const {
  const auto it = taken_.find(device);
  return it == taken_.end() ? nullptr : &it->second;
}

bool presence_tracker::takes(const std::string& device, const common::presence::announcement& next,
                             const common::presence::announcement* pending) const {
  const auto* last = pending != nullptr ? pending : last_taken(device);
  return last == nullptr || common::presence::supersedes(next, *last);
}

std::vector<std::pair<std::string, bool>> presence_tracker::changes(std::int64_t now_ms) const {
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& [device, seen] : last_seen_) {
    const bool silent = now_ms - seen > offline_after_.count() || offline_now_.contains(device);
    if (silent != offline_marked_.contains(device)) out.emplace_back(device, silent);
  }
  return out;
}

void presence_tracker::marked(const std::string& device, bool offline) {
  if (offline) {
    offline_marked_.insert(device);
  } else {
    offline_marked_.erase(device);
  }
}

}  // namespace hoistway::cloud
