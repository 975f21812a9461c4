// A thin RAII wrapper over sqlite3: the only module that includes <sqlite3.h>.
// Errors: errc::conflict when a statement's values break a constraint, type or size (the same
// statement fails the same way again); errc::io for everything else (the store failed: disk
// full, I/O error, locked, read-only, corrupt), which may pass.
// Thread-safety: a database and its statements belong to one thread at a time (SQLite's
// multi-thread mode); open one database per thread that needs one.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/result.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hoistway::common::sqlite {

enum class durability {
  full,    // synchronous=FULL: a returned commit survives power loss
  normal,  // synchronous=NORMAL: may roll back the last commits on power loss (WAL)
};

enum class access { read_write, read_only };

struct open_options {
  durability sync = durability::full;
  access mode = access::read_write;
  int busy_timeout_ms = 5000;
};

class statement;

class database {
 public:
  // Opens (creating if read_write) a WAL-mode database file.
  static result<database> open(const std::string& path, const open_options& options = {});

  database(database&&) noexcept = default;
  database& operator=(database&&) noexcept = default;
  ~database() = default;

  // Runs one or more statements without results.
  status exec(std::string_view sql);
  result<statement> prepare(std::string_view sql);

  std::int64_t last_insert_rowid() const noexcept;
  int changes() const noexcept;
  sqlite3* handle() const noexcept { return db_.get(); }

  // A passive WAL checkpoint: copies what it can of the WAL into the database file without
  // waiting for (or blocking) the writer or the readers.
  struct checkpoint_progress {
    int wal_frames = 0;           // frames in the WAL
    int checkpointed_frames = 0;  // of which now in the database file
  };
  result<checkpoint_progress> checkpoint_passive();

  // Reads PRAGMA user_version, for schema migrations.
  result<int> user_version();
  status set_user_version(int version);

 private:
  struct closer {
    void operator()(sqlite3* db) const noexcept;
  };
  explicit database(sqlite3* db) : db_(db) {}
  std::unique_ptr<sqlite3, closer> db_;
};

enum class step_result { row, done };

class statement {
 public:
  statement(statement&&) noexcept = default;
  statement& operator=(statement&&) noexcept = default;
  ~statement() = default;

  // Binding: indexes are 1-based, as in SQLite.
  statement& bind(int index, std::int64_t value);
  statement& bind(int index, double value);
  statement& bind(int index, std::string_view text);
  statement& bind(int index, std::span<const std::uint8_t> blob);
  statement& bind_null(int index);
  // Binds without copying: the bytes must stay valid and unchanged until the statement is reset
  // (run() resets it). For hot paths that bind large or many values and run at once.
  statement& bind_ref(int index, std::string_view text);
  statement& bind_ref(int index, std::span<const std::uint8_t> blob);
  template <typename T>
  statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }
  // Disambiguates integer types for callers.
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, std::int64_t> &&
           !std::is_same_v<T, bool>) statement& bind(int index, T value) {
    return bind(index, static_cast<std::int64_t>(value));
  }
  statement& bind(int index, bool value) { return bind(index, std::int64_t{value ? 1 : 0}); }
  statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }

  result<step_result> step();
  // Steps a statement that returns no rows; then resets it for reuse.
  status run();
  void reset() noexcept;

  bool is_null(int column) const;
  std::int64_t column_int(int column) const;
  double column_double(int column) const;
  std::string column_text(int column) const;
  std::vector<std::uint8_t> column_blob(int column) const;
  std::span<const std::uint8_t> column_blob_view(int column) const;  // valid until next step

 private:
  friend class database;
  struct finalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };
  statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  // bind (copy: SQLite keeps its own copy) and bind_ref (no copy) in one place each.
  statement& bind_text(int index, std::string_view text, bool copy);
  statement& bind_blob(int index, std::span<const std::uint8_t> blob, bool copy);
  status bind_status_ = {};
  sqlite3* db_ = nullptr;
  std::unique_ptr<sqlite3_stmt, finalizer> stmt_;
};

// Rolls back unless commit() succeeded. BEGIN IMMEDIATE takes the write lock up front so a
// transaction never fails half-way with SQLITE_BUSY on upgrade.
class transaction {
 public:
  static result<transaction> begin(database& db);
  transaction(transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  transaction& operator=(transaction&&) = delete;
  ~transaction();
  status commit();
  // Rolls back now (the destructor would, later): for a caller that must read the store as it
  // was before the transaction. Idempotent.
  void rollback() noexcept;

 private:
  explicit transaction(database& db) : db_(&db) {}
  database* db_;
};

}  // namespace hoistway::common::sqlite

namespace hoistway::common::sqlite {

// Brings `component`'s part of the schema up to date: steps[i] takes it from version i to i + 1,
// each step in its own transaction, recorded in schema_migrations(component, version). Modules
// (the store, accounts, …) keep separate components so their migrations never collide.
// Fails if the database knows a newer version than `steps` does.
status migrate(database& db, std::string_view component, std::span<const std::string_view> steps);

}  // namespace hoistway::common::sqlite
