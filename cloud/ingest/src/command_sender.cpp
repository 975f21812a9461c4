// Down-link commands claimed, signed and published (command_sender.hpp).
#include "hoistway/cloud/ingest/command_sender.hpp"

#include <spdlog/spdlog.h>

#include "hoistway/cloud/ingest/commands.hpp"
#include "hoistway/common/downlink.hpp"
#include "hoistway/common/topics.hpp"

namespace hoistway::cloud {

std::size_t command_sender::poll(std::int64_t now_ms, std::int64_t mono_ms) {
  if (mono_ms - last_poll_mono_ < timing_.poll.count()) return 0;
  last_poll_mono_ = mono_ms;
  auto due =
      commands::claim_due(*db_, now_ms, timing_.max_wait.count(), timing_.answer_window.count());
  if (!due) {
    spdlog::warn("commands: {}", due.error().message);
    return 0;
  }
  std::size_t published = 0;
  for (const auto& c : *due) {
    const auto* dev = active_(c.device_id);
    if (dev == nullptr) {
      if (auto st = commands::mark_undeliverable(*db_, c.id, "unknown or disabled device", now_ms);
          !st) {
        // It stays claimed: once its answer window passes it ends as unanswered.
        spdlog::warn("commands: marking {} undeliverable: {}", c.id, st.error().message);
      }
      continue;
    }
    const auto message = commands::message_for(c, now_ms, dev->key_id, dev->key);
    if (!link_->publish(common::topics::cmd(c.device_id), message, common::mqtt::qos::at_least_once,
                        common::mqtt::retain::no)) {
      // The broker is away: put it back to be tried again later.
      if (auto st = commands::unclaim(*db_, c.id); !st) {
        spdlog::warn("commands: unclaiming {}: {}", c.id, st.error().message);
      }
      continue;
    }
    ++*sent_;
    ++published;
    spdlog::info("command {} ({}) sent to {}", c.id, common::downlink::to_string(c.kind),
                 c.device_id);
  }
  return published;
}

}  // namespace hoistway::cloud
