// What the ingest writer knows of each device's presence: when its frames were last stored, what
// its signed births and last wills said, which announcement was last taken (so a replayed will
// from an earlier connect changes nothing), and for which devices a device_offline alert is open.
// Pure: the writer tells it what committed and asks what must change; the alerts themselves are
// the projector's.
//
// Invariant: a device is offline when it was silent longer than offline_after or its last will
// said so, online again once a frame of it is stored; changes() names each device whose alert
// state differs from that, and nothing else.
//
// Thread-safety: a plain value, owned by the ingest writer. Its tables hold only devices whose
// frames or signed announcements were taken (verified, known devices): no stranger grows them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hoistway/common/presence.hpp"

namespace hoistway::cloud {

class presence_tracker {
 public:
  explicit presence_tracker(std::chrono::milliseconds offline_after)
      : offline_after_(offline_after) {}

  // A frame of `device` was stored by a transaction that committed at `now_ms` (wall).
  void heard(const std::string& device, std::int64_t now_ms);
  // A last will of `device` was taken by a transaction that committed: offline until a frame of
  // it is stored (heard()), whatever else it announces meanwhile.
  void said_offline(const std::string& device);
  // `device`'s announcement was taken by a transaction that committed.
  void taken(const std::string& device, common::presence::announcement announced);
  // The announcement last taken of `device`; nullptr if none.
  const common::presence::announcement* last_taken(const std::string& device) const;
  // Whether `next` is to be taken: it supersedes what was last taken (presence.hpp), or nothing
  // was. `pending`, when set, is what the current transaction took already and counts instead.
  bool takes(const std::string& device, const common::presence::announcement& next,
             const common::presence::announcement* pending = nullptr) const;

  // Devices whose offline state should change at `now_ms`: (device, now offline?).
  std::vector<std::pair<std::string, bool>> changes(std::int64_t now_ms) const;
  // The alert of `device` was raised (offline) or cleared, and committed.
  void marked(const std::string& device, bool offline);

 private:
  std::chrono::milliseconds offline_after_;
  std::map<std::string, std::int64_t> last_seen_;  // device → wall ms of its last stored frame
  std::set<std::string> offline_now_;              // its last will said offline
  std::set<std::string> offline_marked_;           // device_offline alert open
  std::map<std::string, common::presence::announcement> taken_;
};

}  // namespace hoistway::cloud
