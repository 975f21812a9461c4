// The push stream's source: status changes and alert changes, numbered, in a bounded ring, so a
// client that reconnects with Last-Event-ID gets what it missed (while it is still in the ring).
// Ids keep increasing across restarts: the first id of a process is its start time in µs.
//
// Thread-safety: every method is safe from any thread. Watchers are called on the publisher's
// thread and must only post work elsewhere.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hoistway::cloud {

// What an event says of its unit; to_string is the stream's `event:` name.
// technician: a unit's inspection work status changed ({"unit_id", "technician": {…}});
// earthquake: a car's state in an earthquake restoration changed.
enum class push_type : std::uint8_t { status, alert, technician, earthquake };
std::string_view to_string(push_type type) noexcept;

struct stream_event {
  std::uint64_t id = 0;
  std::string unit_id;
  push_type type = push_type::status;
  std::string data;  // one line of JSON
};

class event_bus {
 public:
  event_bus(std::size_t capacity, std::uint64_t first_id)
      : capacity_(capacity), next_id_(first_id) {}

  std::uint64_t publish(std::string unit_id, push_type type, std::string data);
  // Events with id > after_id that pass `wanted`, oldest first, at most `max`. `missed` is set
  // when events after `after_id` have already left the ring.
  // `scanned_through` is set to the id up to which the ring was read (so a caller's cursor moves
  // past events it did not want).
  std::vector<stream_event> after(std::uint64_t after_id,
                                  const std::function<bool(const std::string& unit_id)>& wanted,
                                  std::size_t max, bool* missed = nullptr,
                                  std::uint64_t* scanned_through = nullptr) const;
  std::uint64_t last_id() const;

  // Calls `notify` after every publish until the returned handle is destroyed.
  std::shared_ptr<void> watch(std::function<void()> notify);

 private:
  void unwatch(std::uint64_t token);

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<stream_event> ring_;
  std::uint64_t next_id_;
  std::uint64_t next_token_ = 1;
  std::map<std::uint64_t, std::function<void()>> watchers_;
};

}  // namespace hoistway::cloud
