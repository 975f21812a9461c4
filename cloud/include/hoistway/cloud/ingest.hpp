// The ingest pipeline: MQTT frames in → checked in order (size, identifier, envelope, device,
// MAC, payload, meaning) → stored idempotently in batched transactions → stored-ack published
// after the commit → the live view updated.
//
// Threading: Paho's callback thread checks each frame (verifier.hpp: envelope, device, MAC,
// payload, meaning; the device table read on a connection of its own) and queues it with its
// verdict (a bounded queue: when it is full, Paho waits, and the broker holds the rest), so the
// checks of the next frames overlap the storing of the previous ones. One writer thread owns the
// store's write connection and the coverage; nothing else writes the database.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "hoistway/cloud/event_bus.hpp"
#include "hoistway/cloud/ingest_config.hpp"
#include "hoistway/cloud/live_view.hpp"
#include "hoistway/cloud/retention.hpp"
#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"

namespace hoistway::cloud {

struct ingest_counters {
  std::atomic<std::uint64_t> frames_in{0};
  std::atomic<std::uint64_t> frames_accepted{0};
  std::atomic<std::uint64_t> records_stored{0};
  std::atomic<std::uint64_t> records_duplicate{0};
  std::atomic<std::uint64_t> records_late{0};  // stored below a seq their device delivered before
  std::atomic<std::uint64_t> acks_published{0};
  std::atomic<std::uint64_t> transactions{0};
  std::atomic<std::uint64_t> queue_depth{0};
  // Frame arrival (Paho's callback) to its stored-ack being handed to Paho.
  std::atomic<std::uint64_t> ack_latency_sum_us{0};
  std::atomic<std::uint64_t> ack_latency_count{0};
  std::array<std::atomic<std::uint64_t>, common::wire::reject_reason_count> rejected{};
  // Presence messages (births, last wills): taken; refused (unsigned, forged, unknown device);
  // stale (from an earlier session than the last taken: a replay).
  std::atomic<std::uint64_t> presence_accepted{0};
  std::atomic<std::uint64_t> presence_rejected{0};
  std::atomic<std::uint64_t> presence_stale{0};
  // Fault alerts not raised: their unit had projector::max_open_faults_per_unit open already.
  std::atomic<std::uint64_t> alerts_suppressed{0};
  // Transactions the store failed (disk full, I/O error, locked): their batches are retried.
  std::atomic<std::uint64_t> store_failures{0};
  // Messages neither stored nor kept (a presence or command result the store refused).
  std::atomic<std::uint64_t> messages_discarded{0};
  // Rejected messages kept as dead letters; those only counted (over dead_letters_per_s); those
  // pruned (over dead_letters_max_rows or older than dead_letters_days).
  std::atomic<std::uint64_t> dead_letters{0};
  std::atomic<std::uint64_t> dead_letters_suppressed{0};
  std::atomic<std::uint64_t> dead_letters_pruned{0};
  retention_counters retention;
  // Down-link commands (commands.hpp): sent, and results verified or rejected.
  std::atomic<std::uint64_t> commands_sent{0};
  std::atomic<std::uint64_t> command_results{0};
  std::atomic<std::uint64_t> command_results_rejected{0};
};

class ingest {
 public:
  // Opens the store (migrating it), provisions the configured devices, loads the view.
  static common::result<std::unique_ptr<ingest>> create(const ingest_config& config,
                                                        std::shared_ptr<live_view> view,
                                                        std::shared_ptr<event_bus> bus,
                                                        std::shared_ptr<common::clock> clock);
  virtual ~ingest() = default;

  // Connects to the broker and starts the writer thread.
  virtual common::status start() = 0;
  // Stops taking messages, finishes the queued ones, disconnects. Idempotent.
  virtual void stop() = 0;
  virtual const ingest_counters& counters() const = 0;
  virtual bool broker_connected() const = 0;
};

}  // namespace hoistway::cloud
