// The durable outbox on SQLite.
#include "hoistway/edge/outbox.hpp"

#include <spdlog/spdlog.h>

#include "hoistway/common/wire_codec.hpp"

namespace hoistway::edge {

using common::errc;
using common::fail;
namespace sqlite = common::sqlite;

namespace {
// The outbox's migrations (component "outbox"); only ever append.
constexpr std::string_view migrations[] = {R"sql(
CREATE TABLE outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  is_sample INTEGER NOT NULL,
  wall_ms INTEGER NOT NULL,
  body BLOB NOT NULL);
CREATE INDEX outbox_samples ON outbox(seq) WHERE is_sample = 1;
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
)sql",
                                           // 2: the open technician visit (at most one row).
                                           R"sql(
CREATE TABLE open_visit(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  visit_id TEXT NOT NULL,
  technician TEXT NOT NULL,
  started_wall_ms INTEGER NOT NULL);
)sql",
                                           // 3: the car the open visit is on.
                                           R"sql(
ALTER TABLE open_visit ADD COLUMN car INTEGER NOT NULL DEFAULT 0;
)sql",
                                           // 4: down-link command ids accepted (replay guard).
                                           R"sql(
CREATE TABLE accepted_commands(
  id TEXT PRIMARY KEY,
  accepted_ms INTEGER NOT NULL);
)sql"};
}  // namespace

outbox::outbox(sqlite::database db, outbox_options options)
    : db_(std::move(db)), options_(std::move(options)) {}

common::result<outbox> outbox::open(const outbox_options& options) {
  if (options.max_records == 0) return fail(errc::invalid_argument, "outbox max_records is 0");
  auto db = sqlite::database::open(options.path, {.sync = sqlite::durability::full});
  if (!db) return std::unexpected(db.error());
  if (auto st = sqlite::migrate(*db, "outbox", migrations); !st) {
    return fail(st.error().code, options.path + ": " + st.error().message);
  }
  outbox box(std::move(*db), options);
  if (auto st = box.load_state(); !st) return std::unexpected(st.error());
  return box;
}

common::result<std::uint64_t> outbox::get_meta(std::string_view key, std::uint64_t fallback) {
  auto stmt = db_.prepare("SELECT value FROM meta WHERE key = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, key);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return *row == sqlite::step_result::row ? static_cast<std::uint64_t>(stmt->column_int(0))
                                          : fallback;
}

common::status outbox::set_meta(std::string_view key, std::uint64_t value) {
  auto stmt = db_.prepare(
      "INSERT INTO meta(key, value) VALUES (?1, ?2) "
      "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->bind(1, key).bind(2, static_cast<std::int64_t>(value)).run();
}

common::status outbox::load_state() {
  auto stmt = db_.prepare(
      "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), "
      "(SELECT MIN(seq) FROM outbox), "
      "(SELECT COUNT(*) FROM outbox WHERE is_sample = 1), "
      "(SELECT COUNT(*) FROM outbox WHERE is_sample = 0)");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto row = stmt->step(); !row) return std::unexpected(row.error());
  const auto last = stmt->is_null(0) ? 0 : static_cast<std::uint64_t>(stmt->column_int(0));
  lowest_held_ = stmt->is_null(1) ? 0 : static_cast<std::uint64_t>(stmt->column_int(1));
  samples_ = static_cast<std::uint64_t>(stmt->column_int(2));
  events_ = static_cast<std::uint64_t>(stmt->column_int(3));
  auto acked = get_meta("acked_through", 0);
  auto dropped = get_meta("dropped_samples", 0);
  auto unreported = get_meta("unreported_dropped", 0);
  auto first = get_meta("unreported_first", 0);
  auto last_dropped = get_meta("unreported_last", 0);
  if (!acked || !dropped || !unreported || !first || !last_dropped) {
    return fail(errc::io, "outbox: cannot read its meta table");
  }
  acked_through_ = *acked;
  next_seq_ = std::max(last, acked_through_) + 1;
  dropped_samples_total_ = *dropped;
  unreported_ = {*unreported, *first, *last_dropped};
  auto visit = db_.prepare("SELECT visit_id, technician, started_wall_ms, car FROM open_visit");
  if (!visit) return std::unexpected(visit.error());
  auto row = visit->step();
  if (!row) return std::unexpected(row.error());
  if (*row == sqlite::step_result::row) {
    visit_ = open_visit{visit->column_text(0), visit->column_text(1), visit->column_int(2),
                        static_cast<std::uint8_t>(visit->column_int(3))};
  }
  return {};
}

common::status outbox::append(std::span<common::record> records) {
  if (records.empty()) return {};
  // Drops the cap made since the last append are reported in the same transaction as the next
  // records, so a report is neither lost nor made twice.
  if (unreported_.dropped_samples > 0) {
    std::vector<common::record> with_report;
    with_report.reserve(records.size() + 1);
    common::record report{.seq = 0,
                          .car = 0,
                          .wall_ms = records.front().wall_ms,
                          .mono_ms = records.front().mono_ms,
                          .boot = records.front().boot,
                          .body = common::outbox_drop{unreported_.dropped_samples, 0,
                                                      unreported_.first_seq, unreported_.last_seq}};
    with_report.push_back(std::move(report));
    with_report.insert(with_report.end(), records.begin(), records.end());
    if (auto st = insert_records(with_report, /*clear_report=*/true); !st) return st;
    for (std::size_t i = 0; i < records.size(); ++i) records[i].seq = with_report[i + 1].seq;
    return enforce_cap();
  }
  if (auto st = insert_records(records, /*clear_report=*/false); !st) return st;
  return enforce_cap();
}

common::status outbox::report_drops(std::int64_t wall_ms, std::int64_t mono_ms,
                                    std::uint32_t boot) {
  if (unreported_.dropped_samples == 0 || depth() >= options_.max_records) return {};
  std::vector<common::record> report{
      {0, 0, wall_ms, mono_ms, boot,
       common::outbox_drop{unreported_.dropped_samples, 0, unreported_.first_seq,
                           unreported_.last_seq}}};
  return insert_records(report, /*clear_report=*/true);
}

common::status outbox::insert_records(std::span<common::record> records, bool clear_report) {
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto insert = db_.prepare(
      "INSERT INTO outbox(seq, kind, is_sample, wall_ms, body) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!insert) return std::unexpected(insert.error());
  std::uint64_t seq = next_seq_;
  std::uint64_t new_samples = 0;
  std::optional<std::optional<open_visit>> visit_change;
  for (auto& rec : records) {
    if (const auto* v = std::get_if<common::technician_visit>(&rec.body)) {
      visit_change = v->started ? std::optional<open_visit>(
                                      open_visit{v->visit_id, v->technician, rec.wall_ms, rec.car})
                                : std::nullopt;
    }
    rec.seq = seq++;
    const auto bytes = common::wire::encode_record(rec);
    const bool sample = common::is_sample(rec.body);
    new_samples += sample ? 1 : 0;
    insert->bind(1, static_cast<std::int64_t>(rec.seq))
        .bind(2, common::kind_name(rec.body))
        .bind(3, sample)
        .bind(4, rec.wall_ms)
        .bind(5, std::span<const std::uint8_t>(bytes));
    if (auto st = insert->run(); !st) return st;
  }
  if (visit_change) {
    if (auto st = db_.exec("DELETE FROM open_visit"); !st) return st;
    if (*visit_change) {
      auto put = db_.prepare(
          "INSERT INTO open_visit(id, visit_id, technician, started_wall_ms, car) "
          "VALUES (1, ?1, ?2, ?3, ?4)");
      if (!put) return std::unexpected(put.error());
      const auto& v = **visit_change;
      if (auto st = put->bind(1, v.visit_id)
                        .bind(2, v.technician)
                        .bind(3, v.started_wall_ms)
                        .bind(4, static_cast<std::int64_t>(v.car))
                        .run();
          !st) {
        return st;
      }
    }
  }
  if (clear_report) {
    if (auto st = set_meta("unreported_dropped", 0); !st) return st;
    if (auto st = set_meta("unreported_first", 0); !st) return st;
    if (auto st = set_meta("unreported_last", 0); !st) return st;
  }
  if (auto st = tx->commit(); !st) return st;
  if (lowest_held_ == 0) lowest_held_ = next_seq_;
  next_seq_ = seq;
  samples_ += new_samples;
  events_ += records.size() - new_samples;
  if (clear_report) unreported_ = {};
  if (visit_change) visit_ = *visit_change;
  return {};
}

common::status outbox::enforce_cap() {
  if (depth() <= options_.max_records || samples_ == 0) {
    if (depth() > options_.max_records) {
      spdlog::warn("outbox holds {} events, above its cap of {}: events are never dropped", events_,
                   options_.max_records);
    }
    return {};
  }
  const std::uint64_t excess = std::min(depth() - options_.max_records, samples_);
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto range = db_.prepare(
      "SELECT MIN(seq), MAX(seq) FROM (SELECT seq FROM outbox WHERE is_sample = 1 "
      "ORDER BY seq LIMIT ?1)");
  if (!range) return std::unexpected(range.error());
  range->bind(1, static_cast<std::int64_t>(excess));
  if (auto row = range->step(); !row) return std::unexpected(row.error());
  const auto first = static_cast<std::uint64_t>(range->column_int(0));
  const auto last = static_cast<std::uint64_t>(range->column_int(1));
  auto del = db_.prepare(
      "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE is_sample = 1 "
      "ORDER BY seq LIMIT ?1)");
  if (!del) return std::unexpected(del.error());
  if (auto st = del->bind(1, static_cast<std::int64_t>(excess)).run(); !st) return st;
  const auto dropped = static_cast<std::uint64_t>(db_.changes());
  drop_report next = unreported_;
  next.dropped_samples += dropped;
  if (next.first_seq == 0 || first < next.first_seq) next.first_seq = first;
  next.last_seq = std::max(next.last_seq, last);
  if (auto st = set_meta("dropped_samples", dropped_samples_total_ + dropped); !st) return st;
  if (auto st = set_meta("unreported_dropped", next.dropped_samples); !st) return st;
  if (auto st = set_meta("unreported_first", next.first_seq); !st) return st;
  if (auto st = set_meta("unreported_last", next.last_seq); !st) return st;
  if (auto st = tx->commit(); !st) return st;
  dropped_samples_total_ += dropped;
  samples_ -= dropped;
  unreported_ = next;
  return refresh_lowest();
}

common::result<std::vector<common::record>> outbox::read_after(std::uint64_t after_seq,
                                                               std::size_t limit) {
  auto stmt = db_.prepare("SELECT seq, body FROM outbox WHERE seq > ?1 ORDER BY seq LIMIT ?2");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, static_cast<std::int64_t>(after_seq)).bind(2, static_cast<std::int64_t>(limit));
  std::vector<common::record> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    auto rec = common::wire::decode_record(stmt->column_blob_view(1));
    if (!rec) {
      return fail(errc::corrupt, "outbox record " + std::to_string(stmt->column_int(0)) +
                                     " does not decode: " + rec.error().message);
    }
    rec->seq = static_cast<std::uint64_t>(stmt->column_int(0));
    out.push_back(std::move(*rec));
  }
  return out;
}

common::result<std::vector<common::record>> outbox::read_events_since(std::int64_t since_wall_ms,
                                                                      std::size_t limit) {
  auto stmt = db_.prepare(
      "SELECT seq, body FROM outbox WHERE is_sample = 0 AND wall_ms >= ?1 ORDER BY seq LIMIT ?2");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, since_wall_ms).bind(2, static_cast<std::int64_t>(limit));
  std::vector<common::record> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    auto rec = common::wire::decode_record(stmt->column_blob_view(1));
    if (!rec) continue;  // read_after reports corruption; a listing skips it
    rec->seq = static_cast<std::uint64_t>(stmt->column_int(0));
    out.push_back(std::move(*rec));
  }
  return out;
}

common::result<std::vector<std::pair<std::string, std::uint64_t>>> outbox::depth_by_kind() {
  auto stmt = db_.prepare("SELECT kind, COUNT(*) FROM outbox GROUP BY kind ORDER BY kind");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<std::pair<std::string, std::uint64_t>> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    out.emplace_back(stmt->column_text(0), static_cast<std::uint64_t>(stmt->column_int(1)));
  }
  return out;
}

common::result<std::optional<std::uint64_t>> outbox::previous_held(std::uint64_t seq) {
  auto stmt = db_.prepare("SELECT MAX(seq) FROM outbox WHERE seq < ?1");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, static_cast<std::int64_t>(seq));
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  if (stmt->is_null(0)) return std::optional<std::uint64_t>();
  return static_cast<std::uint64_t>(stmt->column_int(0));
}

common::status outbox::remember_command(const std::string& id, std::int64_t accepted_ms,
                                        std::int64_t forget_before_ms) {
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto forget = db_.prepare("DELETE FROM accepted_commands WHERE accepted_ms < ?1");
  if (!forget) return std::unexpected(forget.error());
  if (auto st = forget->bind(1, forget_before_ms).run(); !st) return st;
  auto insert =
      db_.prepare("INSERT OR REPLACE INTO accepted_commands(id, accepted_ms) VALUES (?1, ?2)");
  if (!insert) return std::unexpected(insert.error());
  if (auto st = insert->bind(1, id).bind(2, accepted_ms).run(); !st) return st;
  return tx->commit();
}

common::result<std::vector<std::pair<std::string, std::int64_t>>> outbox::accepted_commands(
    std::int64_t since_ms, std::size_t limit) {
  auto stmt = db_.prepare(
      "SELECT id, accepted_ms FROM (SELECT id, accepted_ms FROM accepted_commands "
      "WHERE accepted_ms >= ?1 ORDER BY accepted_ms DESC LIMIT ?2) ORDER BY accepted_ms");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, since_ms).bind(2, static_cast<std::int64_t>(limit));
  std::vector<std::pair<std::string, std::int64_t>> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    out.emplace_back(stmt->column_text(0), stmt->column_int(1));
  }
  return out;
}

common::status outbox::acknowledge(std::uint64_t stored_through) {
  if (stored_through <= acked_through_) return {};
  if (stored_through >= next_seq_) {
    return fail(errc::invalid_argument, "ack " + std::to_string(stored_through) +
                                            " is beyond the last seq " +
                                            std::to_string(next_seq_ - 1));
  }
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto counts =
      db_.prepare("SELECT COALESCE(SUM(is_sample), 0), COUNT(*) FROM outbox WHERE seq <= ?1");
  if (!counts) return std::unexpected(counts.error());
  counts->bind(1, static_cast<std::int64_t>(stored_through));
  if (auto row = counts->step(); !row) return std::unexpected(row.error());
  const auto gone_samples = static_cast<std::uint64_t>(counts->column_int(0));
  const auto gone = static_cast<std::uint64_t>(counts->column_int(1));
  auto del = db_.prepare("DELETE FROM outbox WHERE seq <= ?1");
  if (!del) return std::unexpected(del.error());
  if (auto st = del->bind(1, static_cast<std::int64_t>(stored_through)).run(); !st) return st;
  if (auto st = set_meta("acked_through", stored_through); !st) return st;
  if (auto st = tx->commit(); !st) return st;
  acked_through_ = stored_through;
  samples_ -= gone_samples;
  events_ -= gone - gone_samples;
  return refresh_lowest();
}

common::status outbox::refresh_lowest() {
  auto stmt = db_.prepare("SELECT MIN(seq) FROM outbox");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto row = stmt->step(); !row) return std::unexpected(row.error());
  lowest_held_ = stmt->is_null(0) ? 0 : static_cast<std::uint64_t>(stmt->column_int(0));
  return {};
}

std::uint64_t outbox::floor() const { return lowest_held_ != 0 ? lowest_held_ : next_seq_; }

outbox_stats outbox::stats() {
  outbox_stats s;
  s.depth = depth();
  s.samples = samples_;
  s.events = events_;
  s.dropped_samples = dropped_samples_total_;
  s.next_seq = next_seq_;
  s.acked_through = acked_through_;
  if (auto stmt = db_.prepare("SELECT MIN(wall_ms) FROM outbox");
      stmt && stmt->step() && !stmt->is_null(0)) {
    s.oldest_wall_ms = stmt->column_int(0);
  }
  return s;
}

drop_report outbox::unreported_drops() const { return unreported_; }

common::result<std::uint32_t> outbox::next_boot() {
  auto current = get_meta("boot", 0);
  if (!current) return std::unexpected(current.error());
  const auto boot = static_cast<std::uint32_t>(*current + 1);
  if (auto st = set_meta("boot", boot); !st) return std::unexpected(st.error());
  return boot;
}

}  // namespace hoistway::edge
