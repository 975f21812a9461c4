// The push stream's ring of events.
#include "hoistway/cloud/live/event_bus.hpp"

namespace hoistway::cloud {

std::string_view to_string(push_type type) noexcept {
  switch (type) {
    case push_type::status:
      return "status";
    case push_type::alert:
      return "alert";
    case push_type::technician:
      return "technician";
    case push_type::earthquake:
      return "earthquake";
  }
  return "unknown";
}

std::uint64_t event_bus::publish(std::string unit_id, push_type type, std::string data) {
  std::vector<std::function<void()>> to_notify;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    ring_.push_back({id, std::move(unit_id), type, std::move(data)});
    while (ring_.size() > capacity_) ring_.pop_front();
    to_notify.reserve(watchers_.size());
    for (const auto& [token, fn] : watchers_) to_notify.push_back(fn);
  }
  for (const auto& fn : to_notify) fn();
  return id;
}

std::vector<stream_event> event_bus::after(std::uint64_t after_id,
                                           const std::function<bool(const std::string&)>& wanted,
                                           std::size_t max, bool* missed,
                                           std::uint64_t* scanned_through) const {
  std::lock_guard lock(mutex_);
  std::vector<stream_event> out;
  if (missed != nullptr) {
    *missed = !ring_.empty() && after_id + 1 < ring_.front().id && after_id != 0;
  }
  // Ids in the ring are consecutive: jump to the first one after `after_id`.
  std::size_t start = 0;
  if (!ring_.empty() && after_id >= ring_.front().id) {
    start = static_cast<std::size_t>(after_id - ring_.front().id + 1);
  }
  std::uint64_t scanned = after_id;
  for (std::size_t i = start; i < ring_.size() && out.size() < max; ++i) {
    if (wanted(ring_[i].unit_id)) out.push_back(ring_[i]);
    scanned = ring_[i].id;
  }
  if (scanned_through != nullptr) *scanned_through = scanned;
  return out;
}

std::uint64_t event_bus::last_id() const {
  std::lock_guard lock(mutex_);
  return next_id_ - 1;
}

std::shared_ptr<void> event_bus::watch(std::function<void()> notify) {
  std::uint64_t token = 0;
  {
    std::lock_guard lock(mutex_);
    token = next_token_++;
    watchers_[token] = std::move(notify);
  }
  // The handle unregisters on destruction; it holds the bus weakly through a raw pointer, so the
  // bus must outlive its watchers (the server stops HTTP before it drops the bus).
  return std::shared_ptr<void>(nullptr, [this, token](void*) { unwatch(token); });
}

void event_bus::unwatch(std::uint64_t token) {
  std::lock_guard lock(mutex_);
  watchers_.erase(token);
}

}  // namespace hoistway::cloud
