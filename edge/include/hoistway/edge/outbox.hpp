// The durable outbox: every record the agent derives is committed here before it is published,
// and leaves only when the cloud acknowledges that it is stored (or under the size cap, for
// samples only, counted).
//
// Architecture invariants:
// - seq is strictly increasing per device and never reused, across restarts (AUTOINCREMENT).
// - Every commit is durable (synchronous=FULL): a record the agent has seen is never lost.
// - Events are never dropped; when the cap is reached, the oldest samples go first.
//
// Thread-safety: one thread owns an outbox (the agent's io_context thread).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hoistway/common/records.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::edge {

struct outbox_options {
  std::string path;
  std::uint64_t max_records = 200'000;  // the cap; events may exceed it, samples may not
};

struct outbox_stats {
  std::uint64_t depth = 0;
  std::uint64_t samples = 0;
  std::uint64_t events = 0;
  std::optional<std::int64_t> oldest_wall_ms;
  std::uint64_t dropped_samples = 0;  // since the outbox was created
  std::uint64_t next_seq = 1;
  std::uint64_t acked_through = 0;
};

// What the cap dropped that no OutboxDrop record reports yet.
struct drop_report {
  std::uint64_t dropped_samples = 0;
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
};

// The technician visit open at the agent (from the last TechnicianVisit record committed).
struct open_visit {
  std::string visit_id;
  std::string technician;
  std::int64_t started_wall_ms = 0;
  std::uint8_t car = 0;  // the car worked on: the visit's end and checklist records carry it too
  bool operator==(const open_visit&) const = default;
};

class outbox {
 public:
  static common::result<outbox> open(const outbox_options& options);

  // Assigns the next seqs to `records` (in order) and commits them in one durable transaction.
  // Then enforces the cap.
  common::status append(std::span<common::record> records);

  // Commits the OutboxDrop report for unreported drops on its own, when no records come to
  // carry it (the controller is silent) and there is room under the cap (so the report itself
  // cannot cause a drop). Does nothing otherwise.
  common::status report_drops(std::int64_t wall_ms, std::int64_t mono_ms, std::uint32_t boot);

  // Up to `limit` held records with seq > after_seq, in seq order.
  common::result<std::vector<common::record>> read_after(std::uint64_t after_seq,
                                                         std::size_t limit);
  // Up to `limit` held events (not samples) with wall_ms >= since_wall_ms, in seq order.
  common::result<std::vector<common::record>> read_events_since(std::int64_t since_wall_ms,
                                                                std::size_t limit);
  // Held records per kind name ("run_state", "trip", …).
  common::result<std::vector<std::pair<std::string, std::uint64_t>>> depth_by_kind();
  // The visit a committed TechnicianVisit start opened and no end closed yet. Committed in the
  // same transaction as the record, so it survives restarts.
  const std::optional<open_visit>& visit() const { return visit_; }

  // The held record just before `seq`, if any (for a batch's covers_from). An error is not
  // "none": a caller that took it so would tell the cloud that records still held were dropped.
  common::result<std::optional<std::uint64_t>> previous_held(std::uint64_t seq);
  // The down-link command ids the agent accepted, kept durably so that its replay guard refuses
  // a replay across restarts: remembers one (and forgets those accepted before
  // `forget_before_ms`), and reads back the newest `limit` accepted since `since_ms`, oldest
  // first.
  common::status remember_command(const std::string& id, std::int64_t accepted_ms,
                                  std::int64_t forget_before_ms);
  common::result<std::vector<std::pair<std::string, std::int64_t>>> accepted_commands(
      std::int64_t since_ms, std::size_t limit);

  // Deletes every record with seq <= stored_through. Ignores an ack that goes backwards.
  common::status acknowledge(std::uint64_t stored_through);

  // The agent holds nothing below this seq.
  std::uint64_t floor() const;
  std::uint64_t acked_through() const { return acked_through_; }
  std::uint64_t depth() const { return samples_ + events_; }
  outbox_stats stats();

  // Drops the cap made that no OutboxDrop record reports yet (the next append() reports them).
  drop_report unreported_drops() const;

  // The agent's boot counter: incremented and persisted once per start.
  common::result<std::uint32_t> next_boot();

 private:
  explicit outbox(common::sqlite::database db, outbox_options options);
  common::status load_state();
  common::status insert_records(std::span<common::record> records, bool clear_report);
  common::status enforce_cap();
  common::status refresh_lowest();
  common::status set_meta(std::string_view key, std::uint64_t value);
  common::result<std::uint64_t> get_meta(std::string_view key, std::uint64_t fallback);

  common::sqlite::database db_;
  outbox_options options_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t acked_through_ = 0;
  std::uint64_t lowest_held_ = 0;  // 0 when empty
  std::uint64_t samples_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t dropped_samples_total_ = 0;
  drop_report unreported_{};
  std::optional<open_visit> visit_;
};

}  // namespace hoistway::edge
