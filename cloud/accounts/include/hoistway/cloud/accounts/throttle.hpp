// The accounts' throttle: per-address request buckets, daily per-address caps, failure counts with
// locks and progressive delays, all in memory in one bounded table (least recently used entries
// go first when it is full). Unauthenticated requests update it on every call, so it must cost no
// disk write; only locks worth surviving a restart (an account's safety lock, the security-answer
// lock) are persisted, by the module, in the store.
//
// Keys carry their purpose as a prefix ("rate:", "pair:", …) so one table serves every counter.
// client_key() turns a peer address into the unit that is throttled: an IPv4 address, or the /64
// of an IPv6 address (one host usually holds a whole /64, so per-address limits on IPv6 would be
// free to evade).
//
// Thread-safety: every member may be called from any thread (one mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hoistway::cloud::accounts {

// "192.0.2.1" → "192.0.2.1"; "::ffff:192.0.2.1" → "192.0.2.1"; "2001:db8:1:2:3:4:5:6" →
// "2001:db8:1:2::/64"; anything else is returned as it is (bounded to 64 bytes).
std::string client_key(std::string_view remote_address);

class throttle {
 public:
  explicit throttle(std::size_t max_entries);

  // A token bucket of `per_minute` tokens, refilled continuously: 0 if a token was taken, else
  // the milliseconds until one is there.
  std::int64_t take(const std::string& key, int per_minute, std::int64_t now_ms);
  // Counts one event in a fixed window: 0 if it was under `limit` (and is now counted), else the
  // milliseconds until the window ends.
  std::int64_t count(const std::string& key, int limit, std::int64_t window_ms,
                     std::int64_t now_ms);
  // The milliseconds until `key` may try again (0: now).
  std::int64_t blocked_for(const std::string& key, std::int64_t now_ms);
  // One failure within a fixed window; the limit-th blocks the key for lock_ms and starts over.
  // True if this failure blocked it.
  bool fail(const std::string& key, int limit, std::int64_t window_ms, std::int64_t lock_ms,
            std::int64_t now_ms);
  // One failure of a progressive key: from the free_failures-th on, the key waits initial_ms,
  // doubled per further failure up to max_ms. The count is forgotten forget_ms after the last
  // failure. Returns the delay now in force (0 while failures are free).
  std::int64_t fail_progressive(const std::string& key, int free_failures, std::int64_t initial_ms,
                                std::int64_t max_ms, std::int64_t forget_ms, std::int64_t now_ms);
  void clear(const std::string& key);

  std::size_t size() const;
  std::uint64_t evicted() const;

 private:
  struct entry {
    double tokens = 0;
    std::int64_t refilled_ms = 0;
    int count = 0;
    std::int64_t window_start_ms = 0;
    std::int64_t blocked_until_ms = 0;
    std::int64_t expires_ms = 0;  // after it the entry means nothing (as if absent)
  };
  using list = std::list<std::pair<std::string, entry>>;
  // The key's entry, fresh if absent or expired; moved to the front. Needs mutex_.
  entry& touch(const std::string& key, std::int64_t now_ms);

  mutable std::mutex mutex_;
  const std::size_t max_entries_;
  list order_;  // most recently used first
  std::unordered_map<std::string, list::iterator> index_;
  std::uint64_t evicted_ = 0;
};

}  // namespace hoistway::cloud::accounts
