// The cloud store on SQLite.
#include "hoistway/cloud/store/store.hpp"

namespace hoistway::cloud {

using common::errc;
using common::fail;
namespace sqlite = common::sqlite;

namespace {

// The store's migrations in order (component "store"); step i brings it from version i to i + 1.
// Only ever append.
constexpr std::string_view migrations[] = {
    R"sql(
CREATE TABLE devices(
  device_id TEXT PRIMARY KEY,
  key_id INTEGER NOT NULL,
  key BLOB NOT NULL,
  active INTEGER NOT NULL DEFAULT 1,
  stored_through INTEGER NOT NULL DEFAULT 0,
  last_seen_ms INTEGER);
CREATE TABLE units(
  unit_id TEXT PRIMARY KEY,
  device_id TEXT NOT NULL REFERENCES devices(device_id),
  car INTEGER NOT NULL,
  UNIQUE(device_id, car));
CREATE TABLE records(
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  car INTEGER NOT NULL,
  kind TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  mono_ms INTEGER NOT NULL,
  boot INTEGER NOT NULL,
  received_ms INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY(device_id, seq)) WITHOUT ROWID;
CREATE TABLE unit_status(
  unit_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE TABLE dead_letters(
  id INTEGER PRIMARY KEY,
  received_ms INTEGER NOT NULL,
  topic TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  bytes BLOB NOT NULL);
)sql",
    // 2: tenancy. A customer owns buildings; a unit stands in a building; a monitoring contract
    // opens a unit's real-time data to its customer; API keys act for one customer.
    R"sql(
CREATE TABLE customers(
  customer_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE buildings(
  building_id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers(customer_id),
  name TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '');
CREATE INDEX buildings_customer ON buildings(customer_id);
ALTER TABLE units ADD COLUMN building_id TEXT REFERENCES buildings(building_id);
ALTER TABLE units ADD COLUMN name TEXT NOT NULL DEFAULT '';
CREATE INDEX units_building ON units(building_id);
CREATE TABLE contracts(
  contract_id INTEGER PRIMARY KEY,
  unit_id TEXT NOT NULL REFERENCES units(unit_id),
  kind TEXT NOT NULL CHECK (kind IN ('monitoring')),
  starts_ms INTEGER NOT NULL,
  ends_ms INTEGER);
CREATE INDEX contracts_unit ON contracts(unit_id);
CREATE TABLE api_keys(
  key_id TEXT PRIMARY KEY,
  customer_id TEXT NOT NULL REFERENCES customers(customer_id),
  secret_sha256 BLOB NOT NULL,
  label TEXT NOT NULL DEFAULT '',
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER);
)sql",
    // 3: what the portal reads. Events (every record but run-state samples) by unit and time;
    // a status log of run states (for availability); visits with their checklists; alerts.
    R"sql(
CREATE TABLE events(
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  unit_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY(device_id, seq)) WITHOUT ROWID;
CREATE INDEX events_unit_time ON events(unit_id, wall_ms, seq);
CREATE TABLE status_log(
  unit_id TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  in_service INTEGER NOT NULL,
  mode TEXT NOT NULL,
  PRIMARY KEY(unit_id, wall_ms, seq)) WITHOUT ROWID;
CREATE TABLE visits(
  visit_id TEXT PRIMARY KEY,
  unit_id TEXT NOT NULL,
  technician TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  ended_ms INTEGER);
CREATE INDEX visits_unit ON visits(unit_id, started_ms);
CREATE TABLE visit_checklist(
  visit_id TEXT NOT NULL,
  item TEXT NOT NULL,
  ok INTEGER NOT NULL,
  note TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  PRIMARY KEY(visit_id, item, wall_ms));
CREATE TABLE alerts(
  alert_id INTEGER PRIMARY KEY,
  unit_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  code INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('raised', 'acknowledged', 'cleared')),
  detail TEXT NOT NULL DEFAULT '',
  raised_ms INTEGER NOT NULL,
  acknowledged_ms INTEGER,
  acknowledged_by TEXT,
  cleared_ms INTEGER);
CREATE INDEX alerts_unit ON alerts(unit_id, raised_ms);
CREATE INDEX alerts_open ON alerts(state) WHERE state != 'cleared';
ALTER TABLE devices ADD COLUMN mqtt_password_hash TEXT;
)sql",
    // 4: retention (retention.hpp). How far the raw-sample sweep has walked each device's records:
    // no old sample is left at or below swept_through (which never exceeds stored_through), so a
    // sweep starts there instead of rescanning the events it keeps. No index on records: the
    // sweep walks the primary key, and the hot insert path stays as it is.
    R"sql(
CREATE TABLE retention_progress(
  device_id TEXT PRIMARY KEY,
  swept_through INTEGER NOT NULL DEFAULT 0);
)sql",
    // 5: the hot path appends. Every accepted frame is kept verbatim (still signed) in `frames`,
    // one row per frame in arrival order, instead of one row per record in an index interleaved
    // over every device; duplicates are recognised by the coverage alone, now stored whole
    // (devices.coverage: the intervals above stored_through), so a restart dedupes as before.
    // `fresh` names the seqs a frame stores when some of its records were held already (NULL:
    // all of them). Events lose their (device_id, seq) key for the same reason: they append,
    // with the one index their queries use. `records` keeps what older versions stored there.
    R"sql(
CREATE TABLE frames(
  frame_id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  received_ms INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  fresh TEXT,
  frame BLOB NOT NULL);
ALTER TABLE devices ADD COLUMN coverage TEXT NOT NULL DEFAULT '';
CREATE TABLE events_appended(
  event_id INTEGER PRIMARY KEY,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  unit_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  wall_ms INTEGER NOT NULL,
  body TEXT NOT NULL);
INSERT INTO events_appended(device_id, seq, unit_id, kind, wall_ms, body)
  SELECT device_id, seq, unit_id, kind, wall_ms, body FROM events ORDER BY wall_ms, device_id, seq;
DROP TABLE events;
ALTER TABLE events_appended RENAME TO events;
CREATE INDEX events_unit_time ON events(unit_id, wall_ms, seq);
)sql",
    // 6: late arrivals per device: records stored below a seq the device had delivered already
    // (they filled a gap). The gaps themselves are devices.coverage's intervals.
    R"sql(
ALTER TABLE devices ADD COLUMN late_records INTEGER NOT NULL DEFAULT 0;
)sql",
    // 7: alerts as people use them (issue 15). Who acknowledged (an API key's id, or a portal
    // account's name and e-mail) and their comment; each alert's timeline (detected →
    // acknowledged → technician on site → released → cleared), one row per step, written in the
    // transaction of the change it records, at most projector::max_steps_per_alert per alert.
    R"sql(
ALTER TABLE alerts ADD COLUMN acknowledged_by_kind TEXT;
ALTER TABLE alerts ADD COLUMN acknowledged_email TEXT;
ALTER TABLE alerts ADD COLUMN acknowledged_comment TEXT;
CREATE TABLE alert_steps(
  alert_id INTEGER NOT NULL,
  step_no INTEGER NOT NULL,
  step TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  detail TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY(alert_id, step_no)) WITHOUT ROWID;
CREATE INDEX alerts_kind ON alerts(kind, raised_ms);
)sql",
    // 8: what the portal's overview draws (issue 15): a building's time zone (an IANA name,
    // '' = not set), a unit's landing count (0 = not set) and floor labels (a JSON array of
    // strings, lowest landing first; '' = not set); and each unit's last earthquake
    // restoration (seismic_stop → awaiting_inspection → restored), one row per unit.
    R"sql(
ALTER TABLE buildings ADD COLUMN time_zone TEXT NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN landings INTEGER NOT NULL DEFAULT 0;
ALTER TABLE units ADD COLUMN floor_labels TEXT NOT NULL DEFAULT '';
CREATE TABLE earthquake_restoration(
  unit_id TEXT PRIMARY KEY,
  state TEXT NOT NULL CHECK (state IN ('seismic_stop', 'awaiting_inspection', 'restored')),
  stopped_ms INTEGER NOT NULL,
  awaiting_ms INTEGER,
  restored_ms INTEGER,
  updated_ms INTEGER NOT NULL);
)sql",
};

}  // namespace

common::result<store> store::open(const std::string& path) {
  auto db = sqlite::database::open(path, {.sync = sqlite::durability::full});
  if (!db) return std::unexpected(db.error());
  // The writer touches many devices' pages per transaction: a page cache large enough for the
  // working set saves re-reading pages that SQLite's 2 MiB default keeps evicting.
  if (auto st = db->exec("PRAGMA cache_size=-65536"); !st) return std::unexpected(st.error());
  store s(std::move(*db));
  if (auto st = s.migrate(); !st) return std::unexpected(st.error());
  auto append = s.db_.prepare(
      "INSERT INTO frames(device_id, received_ms, first_seq, last_seq, fresh, frame) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  auto read_coverage =
      s.db_.prepare("SELECT stored_through, coverage FROM devices WHERE device_id = ?1");
  auto write_coverage = s.db_.prepare(
      "UPDATE devices SET stored_through = ?2, coverage = ?3, last_seen_ms = ?4, "
      "late_records = late_records + ?5 WHERE device_id = ?1");
  auto status = s.db_.prepare(
      "INSERT INTO unit_status(unit_id, status, updated_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(unit_id) DO UPDATE SET status = excluded.status, updated_ms = "
      "excluded.updated_ms");
  if (!append || !read_coverage || !write_coverage || !status) {
    return fail(errc::io, "store: cannot prepare the write statements");
  }
  s.append_frame_.emplace(std::move(*append));
  s.read_coverage_.emplace(std::move(*read_coverage));
  s.write_coverage_.emplace(std::move(*write_coverage));
  s.upsert_status_.emplace(std::move(*status));
  return s;
}

common::status store::migrate() { return migrate_store(db_); }

common::status store::leave_checkpoints() { return db_.exec("PRAGMA wal_autocheckpoint=16384"); }

common::result<std::unique_ptr<checkpointer>> checkpointer::start(
    const std::string& path, std::chrono::milliseconds interval) {
  auto db = sqlite::database::open(path, {.sync = sqlite::durability::full});
  if (!db) return std::unexpected(db.error());
  std::unique_ptr<checkpointer> c(new checkpointer(std::move(*db), interval));
  c->thread_ = std::thread([raw = c.get()] { raw->run(); });
  return c;
}

checkpointer::~checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void checkpointer::run() {
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    // A failed pass (the store busy with another checkpoint, say) is retried at the next.
    (void)db_.checkpoint_passive();
    lock.lock();
  }
}

common::status migrate_store(sqlite::database& db) {
  return sqlite::migrate(db, "store", migrations);
}

common::status store::provision(const device_provision& device) {
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto dev = db_.prepare(
      "INSERT INTO devices(device_id, key_id, key) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(device_id) DO UPDATE SET key_id = excluded.key_id, key = excluded.key, active = "
      "1");
  if (!dev) return std::unexpected(dev.error());
  if (auto st = dev->bind(1, device.device_id)
                    .bind(2, device.key_id)
                    .bind(3, std::span<const std::uint8_t>(device.key))
                    .run();
      !st) {
    return st;
  }
  auto unit = db_.prepare(
      "INSERT INTO units(unit_id, device_id, car) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(device_id, car) DO UPDATE SET unit_id = excluded.unit_id");
  if (!unit) return std::unexpected(unit.error());
  for (std::size_t car = 0; car < device.units.size(); ++car) {
    if (auto st = unit->bind(1, device.units[car]).bind(2, device.device_id).bind(3, car).run();
        !st) {
      return st;
    }
  }
  return tx->commit();
}

common::result<std::vector<device_row>> store::devices() {
  auto stmt = db_.prepare("SELECT device_id, key_id, key, active, stored_through FROM devices");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<device_row> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    out.push_back({stmt->column_text(0), static_cast<std::uint32_t>(stmt->column_int(1)),
                   stmt->column_blob(2), stmt->column_int(3) != 0,
                   static_cast<std::uint64_t>(stmt->column_int(4))});
  }
  return out;
}

common::result<std::vector<unit_row>> store::units() {
  auto stmt = db_.prepare("SELECT unit_id, device_id, car FROM units ORDER BY unit_id");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<unit_row> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    out.push_back({stmt->column_text(0), stmt->column_text(1),
                   static_cast<std::uint8_t>(stmt->column_int(2))});
  }
  return out;
}

common::result<std::vector<unit_status_row>> store::unit_statuses() {
  auto stmt = db_.prepare("SELECT unit_id, status, updated_ms FROM unit_status");
  if (!stmt) return std::unexpected(stmt.error());
  std::vector<unit_status_row> out;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    out.push_back({stmt->column_text(0), stmt->column_text(1), stmt->column_int(2)});
  }
  return out;
}

common::result<unit_row> store::ensure_unit(const std::string& device_id, std::uint8_t car) {
  unit_row row{device_id + "-" + std::to_string(car + 1), device_id, car};
  auto stmt = db_.prepare(
      "INSERT INTO units(unit_id, device_id, car) VALUES (?1, ?2, ?3) "
      "ON CONFLICT DO NOTHING");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, row.unit_id).bind(2, device_id).bind(3, car).run(); !st) {
    return std::unexpected(st.error());
  }
  auto read = db_.prepare("SELECT unit_id FROM units WHERE device_id = ?1 AND car = ?2");
  if (!read) return std::unexpected(read.error());
  read->bind(1, device_id).bind(2, car);
  auto found = read->step();
  if (!found) return std::unexpected(found.error());
  if (*found != sqlite::step_result::row) {
    return fail(errc::conflict, "unit id " + row.unit_id + " is taken by another device");
  }
  row.unit_id = read->column_text(0);
  return row;
}

common::result<sqlite::transaction> store::begin() { return sqlite::transaction::begin(db_); }

common::status store::append_frame(const frame_row& frame) {
  // Bound by reference: `frame` outlives run(), which resets the statement.
  auto& stmt = *append_frame_;
  stmt.bind_ref(1, frame.device_id)
      .bind(2, frame.received_ms)
      .bind(3, static_cast<std::int64_t>(frame.first_seq))
      .bind(4, static_cast<std::int64_t>(frame.last_seq));
  if (frame.fresh.empty()) {
    stmt.bind_null(5);
  } else {
    stmt.bind_ref(5, frame.fresh);
  }
  return stmt.bind_ref(6, frame.bytes).run();
}

common::result<std::optional<seq_coverage>> store::coverage(const std::string& device_id) {
  auto& stmt = *read_coverage_;
  stmt.reset();
  stmt.bind(1, device_id);
  auto row = stmt.step();
  if (!row) return std::unexpected(row.error());
  if (*row != sqlite::step_result::row) return std::optional<seq_coverage>{};
  const auto through = static_cast<std::uint64_t>(stmt.column_int(0));
  auto c = seq_coverage::from_text(through, stmt.column_text(1));
  stmt.reset();  // no read left open on the writer's connection
  if (!c) return fail(errc::corrupt, "store: device " + device_id + " has malformed coverage");
  return std::optional<seq_coverage>(std::move(*c));
}

common::status store::set_coverage(const std::string& device_id, const seq_coverage& coverage,
                                   std::uint64_t late_records, std::int64_t last_seen_ms) {
  return write_coverage_->bind(1, device_id)
      .bind(2, static_cast<std::int64_t>(coverage.stored_through()))
      .bind(3, coverage.intervals_text())
      .bind(4, last_seen_ms)
      .bind(5, static_cast<std::int64_t>(late_records))
      .run();
}

common::status store::upsert_unit_status(const unit_status_row& row) {
  return upsert_status_->bind(1, row.unit_id)
      .bind(2, row.status_json)
      .bind(3, row.updated_ms)
      .run();
}

common::status store::add_dead_letter(std::int64_t received_ms, const std::string& topic,
                                      std::string_view reason, const std::string& detail,
                                      std::span<const std::uint8_t> bytes, std::size_t max_bytes) {
  auto stmt = db_.prepare(
      "INSERT INTO dead_letters(received_ms, topic, reason, detail, bytes) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->bind(1, received_ms)
      .bind(2, topic.substr(0, 256))
      .bind(3, reason)
      .bind(4, detail.substr(0, 1024))
      .bind(5, bytes.first(std::min(bytes.size(), max_bytes)))
      .run();
}

common::result<std::int64_t> store::prune_dead_letters(std::size_t max_rows,
                                                       std::int64_t cutoff_ms) {
  // The oldest kept row: the newest max_rows, and of those only the ones received since the
  // cutoff (ids follow arrival, so the first recent one bounds the range).
  auto stmt = db_.prepare(
      "DELETE FROM dead_letters WHERE id < MAX("
      "(SELECT IFNULL(MAX(id), 0) FROM dead_letters) - ?1 + 1, "
      "IFNULL((SELECT MIN(id) FROM dead_letters WHERE received_ms >= ?2), "
      "(SELECT IFNULL(MAX(id), 0) + 1 FROM dead_letters)))");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = stmt->bind(1, static_cast<std::int64_t>(max_rows)).bind(2, cutoff_ms).run(); !st) {
    return std::unexpected(st.error());
  }
  return db_.changes();
}

common::result<std::int64_t> store::count(std::string_view table) {
  auto stmt = db_.prepare("SELECT COUNT(*) FROM " + std::string(table));
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return stmt->column_int(0);
}

}  // namespace hoistway::cloud
