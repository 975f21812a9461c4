// The sending half of down-link commands (commands.hpp holds the queue): at most every `poll`, it
// claims the commands due, signs each with its device's key and publishes it on the device's cmd
// topic. A device unknown or disabled makes its command undeliverable; a publish the link refuses
// (the broker is away) puts the command back to be tried again.
//
// Invariant: a command is published at most once per claim (commands::claim_due), and only to
// the device it names, signed with that device's key.
//
// Thread-safety: the ingest writer's thread only (it owns `db`, the store's write connection).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::cloud {

class command_sender {
 public:
  // The device's row if it is known and active, else nullptr.
  using device_lookup = std::function<const device_row*(const std::string& device_id)>;

  struct timing {
    std::chrono::milliseconds poll{250};  // how often the queue is looked at
    // How long a command may wait to be sent (no ingest running) and how long a sent one waits
    // for its result (the agents' default age window: a later answer is still recorded).
    std::chrono::milliseconds max_wait{60'000};
    std::chrono::milliseconds answer_window{300'000};
  };

  // `db`, `link` and `sent` (counted per publish) must outlive the sender.
  command_sender(common::sqlite::database& db, common::mqtt::link& link, device_lookup active,
                 std::atomic<std::uint64_t>& sent, timing t)
      : db_(&db), link_(&link), active_(std::move(active)), sent_(&sent), timing_(t) {}

  // Claims and publishes what is due, unless the queue was looked at less than `poll` ago
  // (mono_ms); now_ms is the wall time the commands are signed and stamped with. Returns how many
  // were published.
  std::size_t poll(std::int64_t now_ms, std::int64_t mono_ms);

 private:
  common::sqlite::database* db_;
  common::mqtt::link* link_;
  device_lookup active_;
  std::atomic<std::uint64_t>* sent_;
  timing timing_;
  std::int64_t last_poll_mono_ = 0;
};

}  // namespace hoistway::cloud
