// The cloud's SQLite store: devices with their coverage, units, every accepted frame (verbatim,
// in arrival order), the latest status per unit, and the dead letters of rejected frames.
//
// Architecture invariants:
// - A record is stored once: a frame row stores only the records its device's coverage did not
//   hold (`fresh`), and the coverage is committed in the same transaction as the frame.
// - A device's stored_through only grows, and is committed in the same transaction as the
//   records it covers; the ack is published after that commit.
// - The schema evolves by numbered migrations (schema_migrations, component "store").
//
// Thread-safety: a store (one connection) belongs to one thread at a time; each thread that
// needs the store opens its own (the ingest: its writer, its frame checks on Paho's thread and
// its checkpointer each have one).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "hoistway/cloud/store/coverage.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::cloud {

// A device as the configuration file or hoistway-admin provisions it: a row of the devices
// table with its units.
struct device_provision {
  std::string device_id;
  std::uint32_t key_id = 1;
  std::vector<std::uint8_t> key;
  std::vector<std::string> units;  // unit ids by car index
};

struct device_row {
  std::string device_id;
  std::uint32_t key_id = 1;
  std::vector<std::uint8_t> key;
  bool active = true;
  std::uint64_t stored_through = 0;
};

struct unit_row {
  std::string unit_id;
  std::string device_id;
  std::uint8_t car = 0;
};

struct unit_status_row {
  std::string unit_id;
  std::string status_json;  // the last run state, as the API shows it
  std::int64_t updated_ms = 0;
};

// One accepted frame as the archive keeps it.
struct frame_row {
  std::string device_id;
  std::int64_t received_ms = 0;
  std::uint64_t first_seq = 0;  // of its records
  std::uint64_t last_seq = 0;
  // The seqs of this frame's records that are stored here, as seq_coverage intervals text;
  // empty when all of them are (the common case: NULL in the table).
  std::string fresh;
  std::span<const std::uint8_t> bytes;  // the frame as received, envelope and MAC included
};

// Brings a database to the store's current schema (component "store").
common::status migrate_store(common::sqlite::database& db);

class store {
 public:
  static common::result<store> open(const std::string& path);

  // Inserts or updates a device and its units (by car index).
  common::status provision(const device_provision& device);
  common::result<std::vector<device_row>> devices();
  common::result<std::vector<unit_row>> units();
  common::result<std::vector<unit_status_row>> unit_statuses();
  // Adds a unit for a car the registry did not name: "{device_id}-{car + 1}".
  common::result<unit_row> ensure_unit(const std::string& device_id, std::uint8_t car);

  // Writes; call inside a transaction (begin()).
  common::result<common::sqlite::transaction> begin();
  common::status append_frame(const frame_row& frame);
  // A device's committed coverage; nullopt for an unknown device.
  common::result<std::optional<seq_coverage>> coverage(const std::string& device_id);
  // Writes the coverage and adds `late_records` (records this transaction stored below a seq
  // the device had delivered before: late arrivals) to the device's count.
  common::status set_coverage(const std::string& device_id, const seq_coverage& coverage,
                              std::uint64_t late_records, std::int64_t last_seen_ms);
  common::status upsert_unit_status(const unit_status_row& row);
  // Keeps at most `max_bytes` of the message (enough to study it, not enough to fill the disk).
  common::status add_dead_letter(std::int64_t received_ms, const std::string& topic,
                                 std::string_view reason, const std::string& detail,
                                 std::span<const std::uint8_t> bytes,
                                 std::size_t max_bytes = 64 * 1024);
  // Deletes dead letters beyond the newest `max_rows` and those received before `cutoff_ms`;
  // answers how many went. The ids grow with arrival, so both are range deletes on the rowid.
  common::result<std::int64_t> prune_dead_letters(std::size_t max_rows, std::int64_t cutoff_ms);
  common::result<std::int64_t> count(std::string_view table);
  // Leaves the WAL's checkpoints to a `checkpointer`: this connection checkpoints only if the
  // WAL has grown past 16,384 pages (64 MiB), in case the checkpointer falls behind.
  common::status leave_checkpoints();
  // The writer's connection, for the projector (same thread, same transaction).
  common::sqlite::database& db() { return db_; }

 private:
  explicit store(common::sqlite::database db) : db_(std::move(db)) {}
  common::status migrate();
  common::sqlite::database db_;
  std::optional<common::sqlite::statement> append_frame_;
  std::optional<common::sqlite::statement> read_coverage_;
  std::optional<common::sqlite::statement> write_coverage_;
  std::optional<common::sqlite::statement> upsert_status_;
};

// Copies a store's WAL back into its database file on a thread and connection of its own:
// passive checkpoints, every `interval` while the WAL has frames not yet copied. Then the
// ingest writer's commits only append to the WAL (store::leave_checkpoints), and the second
// write of every page, with its fsync, is done beside the writer instead of inside its commits.
// Durability is the WAL's: a commit is durable once its frames are synced to the WAL.
//
// Thread-safety: start() and the destructor from one thread.
class checkpointer {
 public:
  static common::result<std::unique_ptr<checkpointer>> start(const std::string& path,
                                                             std::chrono::milliseconds interval);
  ~checkpointer();
  checkpointer(const checkpointer&) = delete;
  checkpointer& operator=(const checkpointer&) = delete;

 private:
  checkpointer(common::sqlite::database db, std::chrono::milliseconds interval)
      : db_(std::move(db)), interval_(interval) {}
  void run();

  common::sqlite::database db_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hoistway::cloud
