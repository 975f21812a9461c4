// The accounts' in-memory throttle table.
#include "hoistway/cloud/accounts/throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace hoistway::cloud::accounts {

std::string client_key(std::string_view remote_address) {
  const std::string text(remote_address.substr(0, 64));
  std::array<unsigned char, 16> v6{};
  if (inet_pton(AF_INET6, text.c_str(), v6.data()) == 1) {
    static constexpr std::array<unsigned char, 12> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(mapped.begin(), mapped.end(), v6.begin())) {
      char out[INET_ADDRSTRLEN];
      if (inet_ntop(AF_INET, v6.data() + 12, out, sizeof out) != nullptr) return out;
    }
    std::fill(v6.begin() + 8, v6.end(), 0);
    char out[INET6_ADDRSTRLEN];
    if (inet_ntop(AF_INET6, v6.data(), out, sizeof out) != nullptr) return std::string(out) + "/64";
  }
  return text;
}

throttle::throttle(std::size_t max_entries) : max_entries_(std::max<std::size_t>(max_entries, 1)) {}

throttle::entry& throttle::touch(const std::string& key, std::int64_t now_ms) {
  if (const auto it = index_.find(key); it != index_.end()) {
    order_.splice(order_.begin(), order_, it->second);
    auto& e = it->second->second;
    if (e.expires_ms <= now_ms) e = entry{};
    return e;
  }
  // Expired entries at the cold end go first; then, if still full, the least recently used.
  while (!order_.empty() && order_.back().second.expires_ms <= now_ms) {
    index_.erase(order_.back().first);
    order_.pop_back();
  }
  while (order_.size() >= max_entries_) {
    index_.erase(order_.back().first);
    order_.pop_back();
    ++evicted_;
  }
  order_.emplace_front(key, entry{});
  index_.emplace(key, order_.begin());
  return order_.front().second;
}

std::int64_t throttle::take(const std::string& key, int per_minute, std::int64_t now_ms) {
  std::lock_guard guard(mutex_);
  auto& e = touch(key, now_ms);
  const double capacity = per_minute;
  const double per_ms = capacity / 60000.0;
  if (e.expires_ms == 0) {
    e.tokens = capacity;
  } else {
    e.tokens = std::min(
        capacity,
        e.tokens + static_cast<double>(std::max<std::int64_t>(now_ms - e.refilled_ms, 0)) * per_ms);
  }
  e.refilled_ms = now_ms;
  // Full again after a minute without requests: then the entry is no longer needed.
  e.expires_ms = now_ms + 60000;
  if (e.tokens >= 1.0) {
    e.tokens -= 1.0;
    return 0;
  }
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1.0 - e.tokens) / per_ms)));
}

std::int64_t throttle::count(const std::string& key, int limit, std::int64_t window_ms,
                             std::int64_t now_ms) {
  std::lock_guard guard(mutex_);
  auto& e = touch(key, now_ms);
  if (e.expires_ms == 0) {
    e.window_start_ms = now_ms;
    e.expires_ms = now_ms + window_ms;
  }
  if (e.count >= limit) return std::max<std::int64_t>(1, e.expires_ms - now_ms);
  ++e.count;
  return 0;
}

std::int64_t throttle::blocked_for(const std::string& key, std::int64_t now_ms) {
  std::lock_guard guard(mutex_);
  const auto it = index_.find(key);
  if (it == index_.end()) return 0;
  const auto& e = it->second->second;
  if (e.expires_ms <= now_ms) return 0;
  return std::max<std::int64_t>(e.blocked_until_ms - now_ms, 0);
}

bool throttle::fail(const std::string& key, int limit, std::int64_t window_ms, std::int64_t lock_ms,
                    std::int64_t now_ms) {
  std::lock_guard guard(mutex_);
  auto& e = touch(key, now_ms);
  if (e.count == 0 || e.window_start_ms + window_ms <= now_ms) {
    e.count = 0;
    e.window_start_ms = now_ms;
  }
  ++e.count;
  e.expires_ms = std::max({e.expires_ms, e.window_start_ms + window_ms, e.blocked_until_ms});
  if (e.count < limit) return false;
  e.count = 0;
  e.blocked_until_ms = now_ms + lock_ms;
  e.expires_ms = std::max(e.expires_ms, e.blocked_until_ms);
  return true;
}

std::int64_t throttle::fail_progressive(const std::string& key, int free_failures,
                                        std::int64_t initial_ms, std::int64_t max_ms,
                                        std::int64_t forget_ms, std::int64_t now_ms) {
  std::lock_guard guard(mutex_);
  auto& e = touch(key, now_ms);
  ++e.count;
  std::int64_t delay = 0;
  if (e.count >= free_failures) {
    delay = initial_ms;
    for (int i = free_failures; i < e.count && delay < max_ms; ++i) delay *= 2;
    delay = std::min(delay, max_ms);
    e.blocked_until_ms = now_ms + delay;
  }
  e.expires_ms = std::max(now_ms + forget_ms, e.blocked_until_ms);
  return delay;
}

void throttle::clear(const std::string& key) {
  std::lock_guard guard(mutex_);
  if (const auto it = index_.find(key); it != index_.end()) {
    order_.erase(it->second);
    index_.erase(it);
  }
}

std::size_t throttle::size() const {
  std::lock_guard guard(mutex_);
  return order_.size();
}

std::uint64_t throttle::evicted() const {
  std::lock_guard guard(mutex_);
  return evicted_;
}

}  // namespace hoistway::cloud::accounts
