// Retention sweeps over the cloud store, in bounded steps.
#include "hoistway/cloud/ingest/retention.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace hoistway::cloud {

namespace sqlite = common::sqlite;

namespace {

constexpr std::int64_t day_ms = 86'400'000;
constexpr std::int64_t retry_after_failure_ms = 60'000;

// Resets a statement when the scope ends, so no SELECT is left open mid-way (an open read would
// keep a read transaction on the writer's connection past its commit).
struct reset_on_exit {
  sqlite::statement& stmt;
  ~reset_on_exit() { stmt.reset(); }
};

}  // namespace

common::result<retention> retention::create(sqlite::database& db, retention_config config,
                                            retention_counters& counters) {
  retention r(db, config, counters);
  struct wanted {
    std::optional<sqlite::statement>* into;
    const char* sql;
  };
  const wanted statements[] = {
      // Walks the frames in arrival order (the rowid: a new frame's id is above every kept one),
      // without their bytes.
      {&r.scan_frames_,
       "SELECT frame_id, device_id, received_ms, last_seq FROM frames WHERE frame_id > ?1 "
       "ORDER BY frame_id LIMIT ?2"},
      // A run of consecutive frames the walk found old and covered (no frame lies between).
      {&r.delete_frames_, "DELETE FROM frames WHERE frame_id >= ?1 AND frame_id <= ?2"},
      // Walks a device's records in key order from where the last sweep stopped, never above
      // stored_through: kind and arrival time only, to find how far the old ones reach.
      {&r.scan_records_,
       "SELECT seq, kind = 'run_state', received_ms FROM records WHERE device_id = ?1 "
       "AND seq > ?2 AND seq <= ?3 ORDER BY seq LIMIT ?4"},
      {&r.delete_samples_,
       "DELETE FROM records WHERE device_id = ?1 AND seq > ?2 AND seq <= ?3 "
       "AND kind = 'run_state'"},
      {&r.save_progress_,
       "INSERT INTO retention_progress(device_id, swept_through) VALUES (?1, ?2) "
       "ON CONFLICT(device_id) DO UPDATE SET swept_through = "
       "MAX(swept_through, excluded.swept_through)"},
      // The status log's units, one index seek each (no scan of the log).
      {&r.next_unit_, "SELECT unit_id FROM status_log WHERE unit_id > ?1 ORDER BY unit_id LIMIT 1"},
      {&r.last_before_,
       "SELECT wall_ms FROM status_log WHERE unit_id = ?1 AND wall_ms < ?2 "
       "ORDER BY wall_ms DESC, seq DESC LIMIT 1"},
      {&r.nth_old_status_,
       "SELECT wall_ms, seq FROM status_log WHERE unit_id = ?1 AND wall_ms < ?2 "
       "ORDER BY wall_ms, seq LIMIT 1 OFFSET ?3"},
      {&r.delete_status_through_,
       "DELETE FROM status_log WHERE unit_id = ?1 AND wall_ms <= ?2 "
       "AND (wall_ms < ?2 OR seq <= ?3)"},
      {&r.delete_status_before_, "DELETE FROM status_log WHERE unit_id = ?1 AND wall_ms < ?2"},
  };
  for (const auto& w : statements) {
    auto stmt = db.prepare(w.sql);
    if (!stmt) return std::unexpected(stmt.error());
    w.into->emplace(std::move(*stmt));
  }
  return r;
}

common::result<bool> retention::step(std::int64_t now_wall_ms, std::int64_t now_mono_ms) {
  if (!config_.enabled()) return false;
  if (phase_ == phase::idle) {
    if (next_due_mono_ && now_mono_ms < *next_due_mono_) return false;
    if (auto st = begin_sweep(now_wall_ms); !st) {
      abandon(now_mono_ms);
      return std::unexpected(st.error());
    }
  }
  const auto started = std::chrono::steady_clock::now();
  common::result<bool> done = false;
  if (phase_ == phase::frames) {
    done = frames_step();
  } else if (phase_ == phase::samples) {
    done = samples_step();
  } else if (phase_ == phase::status_log) {
    done = status_log_step();
  }
  if (done && *done) phase_ = after(phase_);
  const auto took =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count());
  counters_->step_sum_us += took;
  ++counters_->step_count;
  if (took > counters_->last_sweep_max_step_us) counters_->last_sweep_max_step_us = took;
  if (!done) {
    abandon(now_mono_ms);
    return std::unexpected(done.error());
  }
  if (phase_ == phase::idle) {
    if (auto st = finish_sweep(now_wall_ms, now_mono_ms); !st) return std::unexpected(st.error());
    return false;
  }
  return true;
}

common::status retention::sweep_now(std::int64_t now_wall_ms, std::int64_t now_mono_ms) {
  if (!config_.enabled()) return {};
  next_due_mono_.reset();
  while (true) {
    auto more = step(now_wall_ms, now_mono_ms);
    if (!more) return std::unexpected(more.error());
    if (!*more) return {};
  }
}

common::status retention::begin_sweep(std::int64_t now_wall_ms) {
  sweep_started_ = std::chrono::steady_clock::now();
  counters_->last_sweep_max_step_us = 0;
  samples_cutoff_ms_ = now_wall_ms - config_.samples_days * day_ms;
  status_log_cutoff_ms_ = now_wall_ms - config_.status_log_days * day_ms;
  frames_bound_.clear();
  frames_after_ = 0;
  devices_.clear();
  device_index_ = 0;
  unit_.reset();
  unit_keep_ms_.reset();
  if (config_.samples_days > 0) {
    // The committed stored_through: the bound the ack has told the agent, below which coverage
    // is durable (see the header). The last column says whether the device has legacy records
    // left to walk (one index seek: devices swept to the end cost no step).
    auto list = db_->prepare(
        "SELECT d.device_id, d.stored_through, COALESCE(p.swept_through, 0), "
        "EXISTS(SELECT 1 FROM records r WHERE r.device_id = d.device_id "
        "AND r.seq > COALESCE(p.swept_through, 0) AND r.seq <= d.stored_through) "
        "FROM devices d LEFT JOIN retention_progress p ON p.device_id = d.device_id "
        "ORDER BY d.device_id");
    if (!list) return std::unexpected(list.error());
    while (true) {
      auto row = list->step();
      if (!row) return std::unexpected(row.error());
      if (*row == sqlite::step_result::done) break;
      device_todo d{list->column_text(0), list->column_int(1), list->column_int(2)};
      frames_bound_.emplace(d.device_id, d.stored_through);
      if (list->column_int(3) != 0) devices_.push_back(std::move(d));
    }
  }
  phase_ = after(phase::idle);
  return {};
}

retention::phase retention::after(phase done) const {
  switch (done) {
    case phase::idle:
      if (config_.samples_days > 0) return phase::frames;
      [[fallthrough]];
    case phase::frames:
      if (!devices_.empty()) return phase::samples;
      [[fallthrough]];
    case phase::samples:
      if (config_.status_log_days > 0) return phase::status_log;
      [[fallthrough]];
    case phase::status_log:
      break;
  }
  return phase::idle;
}

common::result<bool> retention::frames_step() {
  auto tx = sqlite::transaction::begin(*db_);
  if (!tx) return std::unexpected(tx.error());
  // Runs of consecutive frames (in the walk) to delete, as [first, last] frame_id.
  std::vector<std::pair<std::int64_t, std::int64_t>> doomed;
  std::int64_t reach = frames_after_;  // the last frame scanned that arrived before the cutoff
  std::int64_t scanned = 0;
  bool reached_new = false;
  {
    auto& scan = *scan_frames_;
    reset_on_exit guard{scan};
    scan.bind(1, frames_after_).bind(2, static_cast<std::int64_t>(config_.batch_rows));
    bool run_open = false;
    while (true) {
      auto row = scan.step();
      if (!row) return std::unexpected(row.error());
      if (*row == sqlite::step_result::done) break;
      ++scanned;
      // Frames come in arrival order: the first recent one ends the walk, so nothing recent goes.
      if (scan.column_int(2) >= samples_cutoff_ms_) {
        reached_new = true;
        break;
      }
      const auto frame_id = scan.column_int(0);
      reach = frame_id;
      const auto bound = frames_bound_.find(scan.column_text(1));
      // A frame above stored_through (after a gap), or of a device unknown at the sweep's
      // start, stays.
      if (bound == frames_bound_.end() || scan.column_int(3) > bound->second) {
        run_open = false;
        continue;
      }
      if (run_open) {
        doomed.back().second = frame_id;
      } else {
        doomed.emplace_back(frame_id, frame_id);
        run_open = true;
      }
    }
  }
  std::uint64_t deleted = 0;
  for (const auto& [first, last] : doomed) {
    if (auto st = delete_frames_->bind(1, first).bind(2, last).run(); !st) {
      return std::unexpected(st.error());
    }
    deleted += static_cast<std::uint64_t>(db_->changes());
  }
  if (deleted > 0) {
    if (auto st = tx->commit(); !st) return std::unexpected(st.error());
    counters_->frames_deleted += deleted;
  }
  // Frames that arrive during the sweep get ids above every frame kept, so above the walk (or,
  // if the walk deleted the newest frames, ids the walk has passed: they are recent anyway).
  frames_after_ = reach;
  return reached_new || scanned < static_cast<std::int64_t>(config_.batch_rows);
}

common::result<bool> retention::samples_step() {
  if (device_index_ >= devices_.size()) return true;
  auto& d = devices_[device_index_];
  auto tx = sqlite::transaction::begin(*db_);
  if (!tx) return std::unexpected(tx.error());
  // How far this step reaches: the last record scanned that arrived before the cutoff. The walk
  // stops at the first newer one (seq order is close to arrival order), so nothing recent goes.
  std::int64_t reach = d.swept_through;
  std::int64_t scanned = 0;
  bool reached_new = false;
  {
    auto& scan = *scan_records_;
    reset_on_exit guard{scan};
    scan.bind(1, d.device_id)
        .bind(2, d.swept_through)
        .bind(3, d.stored_through)
        .bind(4, static_cast<std::int64_t>(config_.batch_rows));
    while (true) {
      auto row = scan.step();
      if (!row) return std::unexpected(row.error());
      if (*row == sqlite::step_result::done) break;
      ++scanned;
      if (scan.column_int(2) >= samples_cutoff_ms_) {
        reached_new = true;
        break;
      }
      reach = scan.column_int(0);
    }
  }
  const bool device_done = reached_new || scanned < static_cast<std::int64_t>(config_.batch_rows) ||
                           reach >= d.stored_through;
  if (reach > d.swept_through) {
    if (auto st =
            delete_samples_->bind(1, d.device_id).bind(2, d.swept_through).bind(3, reach).run();
        !st) {
      return std::unexpected(st.error());
    }
    const auto deleted = static_cast<std::uint64_t>(db_->changes());
    if (auto st = save_progress_->bind(1, d.device_id).bind(2, reach).run(); !st) {
      return std::unexpected(st.error());
    }
    if (auto st = tx->commit(); !st) return std::unexpected(st.error());
    counters_->samples_deleted += deleted;
    d.swept_through = reach;
  }
  if (device_done) ++device_index_;
  return device_index_ >= devices_.size();
}

common::status retention::next_unit() {
  auto& next = *next_unit_;
  reset_on_exit guard{next};
  next.bind(1, unit_ ? *unit_ : std::string());
  auto row = next.step();
  if (!row) return std::unexpected(row.error());
  unit_keep_ms_.reset();
  if (*row == sqlite::step_result::done) {
    unit_.reset();
    return {};
  }
  unit_ = next.column_text(0);
  // Keep the unit's last row before the cutoff: availability of a period starting after the
  // cutoff reads it as the status in force at the period's start.
  auto& last = *last_before_;
  reset_on_exit last_guard{last};
  last.bind(1, *unit_).bind(2, status_log_cutoff_ms_);
  auto found = last.step();
  if (!found) return std::unexpected(found.error());
  if (*found == sqlite::step_result::row) unit_keep_ms_ = last.column_int(0);
  return {};
}

common::result<bool> retention::status_log_step() {
  // A unit with nothing before the cutoff costs an index seek or two: pass over it here.
  while (!unit_keep_ms_) {
    if (auto st = next_unit(); !st) return std::unexpected(st.error());
    if (!unit_) return true;  // past the last unit
  }
  auto tx = sqlite::transaction::begin(*db_);
  if (!tx) return std::unexpected(tx.error());
  std::optional<std::pair<std::int64_t, std::int64_t>> nth;
  {
    auto& probe = *nth_old_status_;
    reset_on_exit guard{probe};
    probe.bind(1, *unit_)
        .bind(2, *unit_keep_ms_)
        .bind(3, static_cast<std::int64_t>(config_.batch_rows) - 1);
    auto row = probe.step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::row) nth.emplace(probe.column_int(0), probe.column_int(1));
  }
  common::status st;
  if (nth) {
    st = delete_status_through_->bind(1, *unit_).bind(2, nth->first).bind(3, nth->second).run();
  } else {
    st = delete_status_before_->bind(1, *unit_).bind(2, *unit_keep_ms_).run();
  }
  if (!st) return std::unexpected(st.error());
  const auto deleted = static_cast<std::uint64_t>(db_->changes());
  if (auto committed = tx->commit(); !committed) return std::unexpected(committed.error());
  counters_->status_log_deleted += deleted;
  if (!nth) unit_keep_ms_.reset();  // this unit is done; the next step moves on
  return false;
}

common::status retention::finish_sweep(std::int64_t now_wall_ms, std::int64_t now_mono_ms) {
  counters_->last_sweep_duration_us =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                     std::chrono::steady_clock::now() - sweep_started_)
                                     .count());
  counters_->last_sweep_end_ms = now_wall_ms;
  ++counters_->sweeps;
  next_due_mono_ = now_mono_ms + std::chrono::milliseconds(config_.sweep_interval).count();
  frames_bound_.clear();
  devices_.clear();
  for (const auto& [pragma, into] :
       {std::pair{"PRAGMA page_count", &counters_->store_pages},
        std::pair{"PRAGMA freelist_count", &counters_->store_free_pages}}) {
    auto stmt = db_->prepare(pragma);
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    *into = static_cast<std::uint64_t>(std::max<std::int64_t>(0, stmt->column_int(0)));
  }
  return {};
}

void retention::abandon(std::int64_t now_mono_ms) {
  ++counters_->failures;
  phase_ = phase::idle;
  frames_bound_.clear();
  devices_.clear();
  unit_.reset();
  unit_keep_ms_.reset();
  next_due_mono_ = now_mono_ms + std::min<std::int64_t>(
                                     retry_after_failure_ms,
                                     std::chrono::milliseconds(config_.sweep_interval).count());
}

}  // namespace hoistway::cloud
