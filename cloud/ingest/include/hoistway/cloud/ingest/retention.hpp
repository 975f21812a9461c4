// Retention of the raw archive (and, if configured, of the status log behind availability). A
// sweep runs on the ingest writer's connection, between the writer's batches, in bounded steps:
// each step scans or deletes at most [retention] batch_rows rows in its own short transaction, so
// ingest waits for at most one step.
//
// The raw frames (`frames`: every accepted frame verbatim, signed, in arrival order) are the
// archive of raw samples: run-state samples live nowhere else (the status log keeps only changes
// and snapshots). What the portal's unit views read (events, usage, availability, visits,
// alerts) is projected into its own tables when the frame arrives and stays there; reading the
// archive back (archive.hpp) finds only the frames kept.
//
// What goes, with samples_days > 0, in this order:
// - `frames` rows received more than samples_days ago whose last_seq is at or below their
//   device's committed stored_through (read at the sweep's start). A frame goes whole, whatever
//   it mixes: its events, usage roll-ups, visits, checklists, clock jumps and drops live on in
//   `events`, `visits` and `visit_checklist` (records of a car with no unit were archived only,
//   and go with their frame). The walk goes by frame_id (arrival order) from the start and stops
//   at the first frame received at or after the cutoff.
// - Older stores' `records` rows of kind run_state received more than samples_days ago, with seq
//   at or below stored_through (`records` is no longer written; its other kinds stay).
// With status_log_days > 0: status_log rows older than that, except per unit the last row before
// the cutoff (availability of any period after the cutoff reads exactly what it read before).
// What stays, always: frames above their device's stored_through (after a gap), the events
// table, visits, checklists, alerts, unit_status, status_log (unless status_log_days > 0),
// devices with their stored_through and coverage.
//
// Architecture invariants:
// - Only frames (and legacy records) with every seq at or below their device's committed
//   stored_through are deleted. Coverage is persisted whole (devices.coverage) and only grows, so
//   a replay of a deleted frame is a duplicate by coverage: it stores, archives and projects
//   nothing and cannot lower the ack or reopen a gap. Dedupe never reads the archive. Frames
//   above stored_through are kept all the same, so that what goes is bounded by the one number
//   the agent has been told (the ack); they go at the first sweep after their gap closes.
// - The sweep never changes devices.stored_through or devices.coverage.
// - A frame is never rewritten: it goes whole or stays whole, still verifiable by its MAC.
//
// Space: deleted pages go to SQLite's freelist and are reused by later inserts (auto_vacuum stays
// NONE: incremental vacuum would add pointer-map writes to every ingest commit only to hand back
// pages ingest needs again). The file stops growing once the sweep keeps pace; shrinking it after
// the first sweep of a large store is an offline VACUUM.
//
// Thread-safety: a retention belongs to the thread that owns its database connection (the ingest
// writer). retention_counters may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hoistway/cloud/live/counters.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::cloud {

// [retention]: how long raw run-state samples (and the status log) are kept.
struct retention_config {
  std::int64_t samples_days = 30;    // raw frames (the samples' archive); 0 keeps them forever
  std::int64_t status_log_days = 0;  // the status log (availability); 0 keeps it forever
  std::chrono::seconds sweep_interval{3600};  // from the end of one sweep to the next
  std::size_t batch_rows = 1000;              // rows scanned or deleted per step (one transaction)
  bool enabled() const { return samples_days > 0 || status_log_days > 0; }
};

class retention {
 public:
  // Prepares the statements on `db` (which must outlive the retention and be migrated).
  static common::result<retention> create(common::sqlite::database& db, retention_config config,
                                          retention_counters& counters);

  // Does at most one bounded step: starts a sweep when one is due (the first at once, then
  // sweep_interval after the previous one ended) or continues the one in progress. Answers true
  // while a sweep is in progress (call again soon), false when idle. On a store error the sweep
  // is abandoned (counted) and retried after a minute.
  common::result<bool> step(std::int64_t now_wall_ms, std::int64_t now_mono_ms);
  // Runs a whole sweep now, step by step, whether or not one is due (tests, tools).
  common::status sweep_now(std::int64_t now_wall_ms, std::int64_t now_mono_ms);
  bool in_progress() const { return phase_ != phase::idle; }

 private:
  enum class phase { idle, frames, samples, status_log };
  struct device_todo {
    std::string device_id;
    std::int64_t stored_through = 0;
    std::int64_t swept_through = 0;
  };

  retention(common::sqlite::database& db, retention_config config, retention_counters& counters)
      : db_(&db), config_(config), counters_(&counters) {}
  common::status begin_sweep(std::int64_t now_wall_ms);
  phase after(phase done) const;           // the next phase with work to do
  common::result<bool> frames_step();      // true when the old frames are done
  common::result<bool> samples_step();     // true when every device is done
  common::result<bool> status_log_step();  // true when every unit is done
  common::status next_unit();
  common::status finish_sweep(std::int64_t now_wall_ms, std::int64_t now_mono_ms);
  void abandon(std::int64_t now_mono_ms);

  common::sqlite::database* db_;
  retention_config config_;
  retention_counters* counters_;

  phase phase_ = phase::idle;
  std::optional<std::int64_t> next_due_mono_;  // nullopt: due at once
  std::chrono::steady_clock::time_point sweep_started_;
  std::int64_t samples_cutoff_ms_ = 0;     // received_ms below this: old
  std::int64_t status_log_cutoff_ms_ = 0;  // wall_ms below this: old
  // Each device's committed stored_through at the sweep's start: frames at or below it may go.
  std::unordered_map<std::string, std::int64_t> frames_bound_;
  std::int64_t frames_after_ = 0;     // frame_id: the walk has passed every frame up to here
  std::vector<device_todo> devices_;  // devices with legacy records left to sweep
  std::size_t device_index_ = 0;
  std::optional<std::string> unit_;           // the unit whose status log is being swept
  std::optional<std::int64_t> unit_keep_ms_;  // its last row before the cutoff: keep from here

  std::optional<common::sqlite::statement> scan_frames_;
  std::optional<common::sqlite::statement> delete_frames_;
  std::optional<common::sqlite::statement> scan_records_;
  std::optional<common::sqlite::statement> delete_samples_;
  std::optional<common::sqlite::statement> save_progress_;
  std::optional<common::sqlite::statement> next_unit_;
  std::optional<common::sqlite::statement> last_before_;
  std::optional<common::sqlite::statement> nth_old_status_;
  std::optional<common::sqlite::statement> delete_status_through_;
  std::optional<common::sqlite::statement> delete_status_before_;
};

}  // namespace hoistway::cloud
