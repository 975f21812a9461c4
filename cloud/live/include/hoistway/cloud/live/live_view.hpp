// The real-time picture of every unit: its last stored run state and whether its device is
// online. The ingest writer updates it after each commit; HTTP readers take copies.
// Thread-safety: every method is safe from any thread (a shared mutex inside).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "hoistway/common/records.hpp"

namespace hoistway::cloud {

struct unit_view {
  std::string unit_id;
  std::string device_id;
  std::uint8_t car = 0;
  std::optional<common::run_state> state;
  std::int64_t updated_ms = 0;    // wall time of the record that set `state`
  std::int64_t last_seen_ms = 0;  // when the device's last frame was stored (cloud time)
  bool device_online = false;     // after the online check at read time
};

enum class presence { unknown, online, offline };

class live_view {
 public:
  explicit live_view(std::chrono::milliseconds offline_after) : offline_after_(offline_after) {}

  void add_unit(const std::string& unit_id, const std::string& device_id, std::uint8_t car);
  void apply(const std::string& unit_id, const common::run_state& state, std::int64_t updated_ms);
  void device_seen(const std::string& device_id, std::int64_t now_ms);
  void set_presence(const std::string& device_id, presence p);

  // Copies, with device_online computed for `now_ms`.
  std::vector<unit_view> units(std::int64_t now_ms) const;
  std::optional<unit_view> unit(const std::string& unit_id, std::int64_t now_ms) const;

 private:
  struct device_state {
    std::int64_t last_seen_ms = 0;
    presence reported = presence::unknown;
  };
  unit_view with_online(unit_view v, std::int64_t now_ms) const;

  std::chrono::milliseconds offline_after_;
  mutable std::shared_mutex mutex_;
  std::map<std::string, unit_view> units_;
  std::map<std::string, device_state> devices_;
};

}  // namespace hoistway::cloud
