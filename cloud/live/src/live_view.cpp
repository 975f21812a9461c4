// The real-time view.
#include "hoistway/cloud/live/live_view.hpp"

#include <mutex>

namespace hoistway::cloud {

void live_view::add_unit(const std::string& unit_id, const std::string& device_id,
                         std::uint8_t car) {
  std::unique_lock lock(mutex_);
  auto& v = units_[unit_id];
  v.unit_id = unit_id;
  v.device_id = device_id;
  v.car = car;
}

void live_view::apply(const std::string& unit_id, const common::run_state& state,
                      std::int64_t updated_ms) {
  std::unique_lock lock(mutex_);
  auto it = units_.find(unit_id);
  if (it == units_.end() || updated_ms < it->second.updated_ms) return;
  it->second.state = state;
  it->second.updated_ms = updated_ms;
}

void live_view::device_seen(const std::string& device_id, std::int64_t now_ms) {
  std::unique_lock lock(mutex_);
  devices_[device_id].last_seen_ms = now_ms;
}

void live_view::set_presence(const std::string& device_id, presence p) {
  std::unique_lock lock(mutex_);
  devices_[device_id].reported = p;
}

unit_view live_view::with_online(unit_view v, std::int64_t now_ms) const {
  const auto it = devices_.find(v.device_id);
  if (it == devices_.end()) return v;
  v.last_seen_ms = it->second.last_seen_ms;
  const bool recent = v.last_seen_ms > 0 && now_ms - v.last_seen_ms <= offline_after_.count();
  // The broker's last will says "offline" at once; otherwise silence for too long does.
  v.device_online = it->second.reported != presence::offline && recent;
  return v;
}

std::vector<unit_view> live_view::units(std::int64_t now_ms) const {
  std::shared_lock lock(mutex_);
  std::vector<unit_view> out;
  out.reserve(units_.size());
  for (const auto& [id, v] : units_) out.push_back(with_online(v, now_ms));
  return out;
}

std::optional<unit_view> live_view::unit(const std::string& unit_id, std::int64_t now_ms) const {
  std::shared_lock lock(mutex_);
  const auto it = units_.find(unit_id);
  if (it == units_.end()) return std::nullopt;
  return with_online(it->second, now_ms);
}

}  // namespace hoistway::cloud
