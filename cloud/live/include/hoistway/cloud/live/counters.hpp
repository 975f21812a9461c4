// The ingest's counters: the writer and Paho's thread count into them, /metrics reads them.
// They sit here, beside the live view and the event bus, because they are what the writer hands
// the readers: the portal reads them without linking the room that writes records.
// Thread-safety: every field is an atomic; any thread may read or add.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "hoistway/common/wire_codec.hpp"

namespace hoistway::cloud {

// What the retention sweep (ingest/retention.hpp) did.
struct retention_counters {
  std::atomic<std::uint64_t> frames_deleted{0};          // frames rows deleted
  std::atomic<std::uint64_t> samples_deleted{0};         // legacy records rows (run_state) deleted
  std::atomic<std::uint64_t> status_log_deleted{0};      // status_log rows deleted
  std::atomic<std::uint64_t> sweeps{0};                  // sweeps completed
  std::atomic<std::uint64_t> failures{0};                // sweeps abandoned on a store error
  std::atomic<std::int64_t> last_sweep_end_ms{0};        // wall time; 0: none yet
  std::atomic<std::uint64_t> last_sweep_duration_us{0};  // first step's start to last step's end
  std::atomic<std::uint64_t> step_sum_us{0};  // time spent inside steps (write lock held)
  std::atomic<std::uint64_t> step_count{0};
  std::atomic<std::uint64_t> last_sweep_max_step_us{0};  // the longest step of the last sweep
  std::atomic<std::uint64_t> store_pages{0};             // PRAGMA page_count after the last sweep
  std::atomic<std::uint64_t> store_free_pages{0};  // PRAGMA freelist_count after the last sweep
};

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
  // Down-link commands (ingest/commands.hpp): sent, and results verified or rejected.
  std::atomic<std::uint64_t> commands_sent{0};
  std::atomic<std::uint64_t> command_results{0};
  std::atomic<std::uint64_t> command_results_rejected{0};
};

}  // namespace hoistway::cloud
