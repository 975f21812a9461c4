// The sqlite3 wrapper.
#include "hoistway/common/sqlite.hpp"

#include <sqlite3.h>

#include <string>

namespace hoistway::common::sqlite {
namespace {

std::unexpected<error> sqlite_fail(sqlite3* db, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : "out of memory";
  return fail(errc::io, std::move(message));
}

// A statement that failed because of the values it was given (a constraint, a type, a size)
// fails the same way every time: errc::conflict, so a caller can tell it from the store
// failing (errc::io: disk full, I/O error, locked, read-only), which may pass.
std::unexpected<error> step_fail(sqlite3* db) {
  auto failed = sqlite_fail(db, "step");
  const int primary = db != nullptr ? (sqlite3_extended_errcode(db) & 0xff) : SQLITE_NOMEM;
  if (primary == SQLITE_CONSTRAINT || primary == SQLITE_MISMATCH || primary == SQLITE_TOOBIG) {
    failed.error().code = errc::conflict;
  }
  return failed;
}

}  // namespace

void database::closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
void statement::finalizer::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

result<database> database::open(const std::string& path, const open_options& options) {
  sqlite3* raw = nullptr;
  const int flags =
      (options.mode == access::read_only ? SQLITE_OPEN_READONLY
                                         : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  database db(raw);  // closes even a failed open
  if (rc != SQLITE_OK) return sqlite_fail(raw, "open " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  std::string pragmas = "PRAGMA foreign_keys=ON;";
  if (options.mode == access::read_write) {
    pragmas += "PRAGMA journal_mode=WAL;";
    pragmas += options.sync == durability::full ? "PRAGMA synchronous=FULL;"
                                                : "PRAGMA synchronous=NORMAL;";
  }
  if (auto st = db.exec(pragmas); !st) return std::unexpected(st.error());
  return db;
}

status database::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message != nullptr ? message : sqlite3_errmsg(db_.get());
    sqlite3_free(message);
    return fail(errc::io, "exec: " + what);
  }
  return {};
}

result<database::checkpoint_progress> database::checkpoint_passive() {
  checkpoint_progress out;
  if (sqlite3_wal_checkpoint_v2(db_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &out.wal_frames,
                                &out.checkpointed_frames) != SQLITE_OK) {
    return sqlite_fail(db_.get(), "checkpoint");
  }
  return out;
}

result<statement> database::prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return sqlite_fail(db_.get(), "prepare \"" + std::string(sql.substr(0, 60)) + "\"");
  }
  if (raw == nullptr) return fail(errc::invalid_argument, "no SQL statement in the text");
  return statement(db_.get(), raw);
}

std::int64_t database::last_insert_rowid() const noexcept {
  return sqlite3_last_insert_rowid(db_.get());
}
int database::changes() const noexcept { return sqlite3_changes(db_.get()); }

result<int> database::user_version() {
  auto stmt = prepare("PRAGMA user_version");
  if (!stmt) return std::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  return static_cast<int>(stmt->column_int(0));
}

status database::set_user_version(int version) {
  return exec("PRAGMA user_version=" + std::to_string(version));
}

namespace {
void note(status& st, int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && st) st = sqlite_fail(db, what);
}
}  // namespace

statement& statement::bind(int index, std::int64_t value) {
  note(bind_status_, sqlite3_bind_int64(stmt_.get(), index, value), db_, "bind int");
  return *this;
}
statement& statement::bind(int index, double value) {
  note(bind_status_, sqlite3_bind_double(stmt_.get(), index, value), db_, "bind double");
  return *this;
}
// A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
constexpr std::uint8_t empty_blob = 0;

statement& statement::bind_text(int index, std::string_view text, bool copy) {
  note(bind_status_,
       sqlite3_bind_text64(stmt_.get(), index, text.data(), text.size(),
                           copy ? SQLITE_TRANSIENT : SQLITE_STATIC, SQLITE_UTF8),
       db_, "bind text");
  return *this;
}
statement& statement::bind_blob(int index, std::span<const std::uint8_t> blob, bool copy) {
  note(bind_status_,
       sqlite3_bind_blob64(stmt_.get(), index, blob.empty() ? &empty_blob : blob.data(),
                           blob.size(), copy ? SQLITE_TRANSIENT : SQLITE_STATIC),
       db_, "bind blob");
  return *this;
}
statement& statement::bind(int index, std::string_view text) {
  return bind_text(index, text, true);
}
statement& statement::bind(int index, std::span<const std::uint8_t> blob) {
  return bind_blob(index, blob, true);
}
statement& statement::bind_ref(int index, std::string_view text) {
  return bind_text(index, text, false);
}
statement& statement::bind_ref(int index, std::span<const std::uint8_t> blob) {
  return bind_blob(index, blob, false);
}
statement& statement::bind_null(int index) {
  note(bind_status_, sqlite3_bind_null(stmt_.get(), index), db_, "bind null");
  return *this;
}

result<step_result> statement::step() {
  if (!bind_status_) {
    auto failed = std::unexpected(bind_status_.error());
    bind_status_ = {};
    return failed;
  }
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return step_result::row;
  if (rc == SQLITE_DONE) return step_result::done;
  auto failed = step_fail(db_);
  sqlite3_reset(stmt_.get());
  return failed;
}

status statement::run() {
  auto rc = step();
  reset();
  if (!rc) return std::unexpected(rc.error());
  return {};
}

void statement::reset() noexcept {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_status_ = {};
}

bool statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}
std::int64_t statement::column_int(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}
double statement::column_double(int column) const {
  return sqlite3_column_double(stmt_.get(), column);
}
std::string statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_.get(), column);
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return text != nullptr
             ? std::string(reinterpret_cast<const char*>(text), static_cast<std::size_t>(n))
             : std::string();
}
std::span<const std::uint8_t> statement::column_blob_view(int column) const {
  const auto* blob = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  if (blob == nullptr) return {};
  return {blob, static_cast<std::size_t>(n)};
}
std::vector<std::uint8_t> statement::column_blob(int column) const {
  auto view = column_blob_view(column);
  return {view.begin(), view.end()};
}

result<transaction> transaction::begin(database& db) {
  if (auto st = db.exec("BEGIN IMMEDIATE"); !st) return std::unexpected(st.error());
  return transaction(db);
}

transaction::~transaction() { rollback(); }

void transaction::rollback() noexcept {
  if (db_ == nullptr) return;
  // A ROLLBACK that fails leaves nothing to do: SQLite has rolled the transaction back already
  // (an I/O error or a full disk ends it), or rolls it back when the connection closes.
  (void)db_->exec("ROLLBACK");
  db_ = nullptr;
}

status transaction::commit() {
  if (db_ == nullptr) return fail(errc::conflict, "transaction already finished");
  auto st = db_->exec("COMMIT");
  if (st) db_ = nullptr;
  return st;
}

}  // namespace hoistway::common::sqlite

namespace hoistway::common::sqlite {

status migrate(database& db, std::string_view component, std::span<const std::string_view> steps) {
  if (auto st = db.exec("CREATE TABLE IF NOT EXISTS schema_migrations("
                        "component TEXT PRIMARY KEY, version INTEGER NOT NULL)");
      !st) {
    return st;
  }
  auto read = db.prepare("SELECT version FROM schema_migrations WHERE component = ?1");
  if (!read) return std::unexpected(read.error());
  read->bind(1, component);
  auto row = read->step();
  if (!row) return std::unexpected(row.error());
  const auto current = *row == step_result::row ? read->column_int(0) : 0;
  read->reset();
  const auto latest = static_cast<std::int64_t>(steps.size());
  if (current > latest) {
    return fail(errc::conflict, std::string(component) + " schema version " +
                                    std::to_string(current) + " is newer than this program's (" +
                                    std::to_string(latest) + ")");
  }
  for (auto v = current; v < latest; ++v) {
    auto tx = transaction::begin(db);
    if (!tx) return std::unexpected(tx.error());
    if (auto st = db.exec(steps[static_cast<std::size_t>(v)]); !st) {
      return fail(errc::io, std::string(component) + " migration " + std::to_string(v + 1) + ": " +
                                st.error().message);
    }
    auto write = db.prepare(
        "INSERT INTO schema_migrations(component, version) VALUES (?1, ?2) "
        "ON CONFLICT(component) DO UPDATE SET version = excluded.version");
    if (!write) return std::unexpected(write.error());
    if (auto st = write->bind(1, component).bind(2, v + 1).run(); !st) return st;
    if (auto st = tx->commit(); !st) return st;
  }
  return {};
}

}  // namespace hoistway::common::sqlite
