// Tests of the sqlite3 wrapper (sqlite.hpp) on real database files in a temporary directory.
#include "hoistway/common/sqlite.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include "temp_dir.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace hc = hoistway::common;
namespace sql = hoistway::common::sqlite;
namespace fs = std::filesystem;

using temp_dir = hoistway::testing::temp_dir;

sql::database open_db(const temp_dir& dir) {
  auto db = sql::database::open(dir.file("test.db"));
  REQUIRE_OK(db);
  return std::move(*db);
}

std::int64_t count_rows(sql::database& db, const std::string& table) {
  auto stmt = db.prepare("SELECT count(*) FROM " + table);
  REQUIRE(stmt.has_value());
  REQUIRE(stmt->step().value() == sql::step_result::row);
  return stmt->column_int(0);
}

}  // namespace

TEST_CASE("open creates the file, in WAL mode with foreign keys on") {
  temp_dir dir;
  auto db = open_db(dir);
  CHECK(fs::exists(dir.file("test.db")));
  auto mode = db.prepare("PRAGMA journal_mode");
  REQUIRE(mode.has_value());
  REQUIRE(mode->step().value() == sql::step_result::row);
  CHECK(mode->column_text(0) == "wal");
  auto fk = db.prepare("PRAGMA foreign_keys");
  REQUIRE(fk.has_value());
  REQUIRE(fk->step().value() == sql::step_result::row);
  CHECK(fk->column_int(0) == 1);
}

TEST_CASE("bind, step and read columns of every type") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE(db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, d REAL, s TEXT, b BLOB);"
                  "CREATE TABLE other (x);")
              .has_value());
  auto insert = db.prepare("INSERT INTO t (i, d, s, b) VALUES (?1, ?2, ?3, ?4)");
  REQUIRE(insert.has_value());

  const std::vector<std::uint8_t> blob{0x00, 0xff, 0x10, 0x00};
  insert->bind(1, std::int64_t{-9'007'199'254'740'993})
      .bind(2, 2.5e-3)
      .bind(3, std::string_view("h\xc3\xa9llo"))
      .bind(4, std::span<const std::uint8_t>(blob));
  REQUIRE(insert->run().has_value());
  CHECK(db.changes() == 1);
  CHECK(db.last_insert_rowid() == 1);

  // Zero-length text and blob are values, not NULL; NULL via bind_null and an empty optional.
  const std::vector<std::uint8_t> empty_blob;
  insert->bind(1, std::uint16_t{7})
      .bind(2, 0.0)
      .bind(3, std::string())
      .bind(4, std::span<const std::uint8_t>(empty_blob));
  REQUIRE(insert->run().has_value());
  insert->bind_null(1).bind(2, std::optional<double>{}).bind_null(3).bind_null(4);
  REQUIRE(insert->run().has_value());
  insert->bind(1, true)
      .bind(2, std::optional<double>{1.0})
      .bind(3, "c-string")
      .bind(4, std::span<const std::uint8_t>(blob).first(1));
  REQUIRE(insert->run().has_value());
  CHECK(db.last_insert_rowid() == 4);

  auto select = db.prepare("SELECT i, d, s, b FROM t ORDER BY id");
  REQUIRE(select.has_value());

  REQUIRE(select->step().value() == sql::step_result::row);
  CHECK(select->column_int(0) == -9'007'199'254'740'993);
  CHECK(select->column_double(1) == doctest::Approx(2.5e-3));
  CHECK(select->column_text(2) == "h\xc3\xa9llo");
  CHECK(select->column_blob(3) == blob);
  CHECK(select->column_blob_view(3).size() == 4);
  for (int c = 0; c < 4; ++c) CHECK_FALSE(select->is_null(c));

  REQUIRE(select->step().value() == sql::step_result::row);
  CHECK(select->column_int(0) == 7);
  CHECK_FALSE(select->is_null(2));
  CHECK(select->column_text(2).empty());
  CHECK_FALSE(select->is_null(3));
  CHECK(select->column_blob(3).empty());

  REQUIRE(select->step().value() == sql::step_result::row);
  for (int c = 0; c < 4; ++c) CHECK(select->is_null(c));
  CHECK(select->column_text(2).empty());
  CHECK(select->column_blob(3).empty());
  CHECK(select->column_int(0) == 0);

  REQUIRE(select->step().value() == sql::step_result::row);
  CHECK(select->column_int(0) == 1);
  CHECK(select->column_double(1) == 1.0);
  CHECK(select->column_text(2) == "c-string");
  CHECK(select->column_blob(3) == std::vector<std::uint8_t>{0x00});

  CHECK(select->step().value() == sql::step_result::done);

  // Typeof confirms the zero-length blob stayed a blob.
  auto type = db.prepare("SELECT typeof(b), typeof(s) FROM t WHERE id = 2");
  REQUIRE(type.has_value());
  REQUIRE(type->step().value() == sql::step_result::row);
  CHECK(type->column_text(0) == "blob");
  CHECK(type->column_text(1) == "text");
}

TEST_CASE("a transaction rolls back unless committed") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE(db.exec("CREATE TABLE t (x INTEGER)").has_value());
  {
    auto tx = sql::transaction::begin(db);
    REQUIRE(tx.has_value());
    REQUIRE(db.exec("INSERT INTO t VALUES (1)").has_value());
    CHECK(count_rows(db, "t") == 1);
  }
  CHECK(count_rows(db, "t") == 0);
  {
    auto tx = sql::transaction::begin(db);
    REQUIRE(tx.has_value());
    // A transaction does not nest.
    CHECK_FALSE(sql::transaction::begin(db).has_value());
    REQUIRE(db.exec("INSERT INTO t VALUES (2)").has_value());
    REQUIRE(tx->commit().has_value());
    const auto again = tx->commit();
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().code == hc::errc::conflict);
  }
  CHECK(count_rows(db, "t") == 1);
  {
    // A moved-from transaction does not roll back twice; the moved-to one still does.
    auto tx = sql::transaction::begin(db);
    REQUIRE(tx.has_value());
    REQUIRE(db.exec("INSERT INTO t VALUES (3)").has_value());
    sql::transaction moved(std::move(*tx));
  }
  CHECK(count_rows(db, "t") == 1);

  // The committed row survives reopening.
  auto reopened = sql::database::open(dir.file("test.db"));
  REQUIRE(reopened.has_value());
  CHECK(count_rows(*reopened, "t") == 1);
}

TEST_CASE("user_version") {
  temp_dir dir;
  auto db = open_db(dir);
  CHECK(db.user_version().value() == 0);
  REQUIRE(db.set_user_version(42).has_value());
  CHECK(db.user_version().value() == 42);
}

TEST_CASE("bad SQL is an error with SQLite's message") {
  temp_dir dir;
  auto db = open_db(dir);
  const auto exec = db.exec("CREATE TABEL t (x)");
  REQUIRE_FALSE(exec.has_value());
  CHECK(exec.error().code == hc::errc::io);
  CHECK(exec.error().message.find("syntax error") != std::string::npos);

  const auto prepared = db.prepare("SELECT * FROM no_such_table");
  REQUIRE_FALSE(prepared.has_value());
  CHECK(prepared.error().code == hc::errc::io);
  CHECK(prepared.error().message.find("no such table") != std::string::npos);
}

TEST_CASE("a failing step reports the error and the statement stays usable") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE(db.exec("CREATE TABLE t (x INTEGER UNIQUE)").has_value());
  auto insert = db.prepare("INSERT INTO t VALUES (?)");
  REQUIRE(insert.has_value());
  REQUIRE(insert->bind(1, 1).run().has_value());
  const auto dup = insert->bind(1, 1).run();
  REQUIRE_FALSE(dup.has_value());
  CHECK(dup.error().message.find("UNIQUE") != std::string::npos);
  // The values' fault, not the store's: it fails the same way every time.
  CHECK(dup.error().code == hc::errc::conflict);
  CHECK(insert->bind(1, 2).run().has_value());
  CHECK(count_rows(db, "t") == 2);
}

TEST_CASE("a failed bind surfaces in step(), once") {
  temp_dir dir;
  auto db = open_db(dir);
  REQUIRE(db.exec("CREATE TABLE t (x)").has_value());
  auto insert = db.prepare("INSERT INTO t VALUES (?1)");
  REQUIRE(insert.has_value());
  insert->bind(2, 5);  // there is no parameter 2
  const auto step = insert->step();
  REQUIRE_FALSE(step.has_value());
  CHECK(step.error().code == hc::errc::io);
  CHECK(step.error().message.find("bind") != std::string::npos);
  CHECK(count_rows(db, "t") == 0);
  // The error is reported once; the statement then works.
  REQUIRE(insert->bind(1, 5).run().has_value());
  CHECK(count_rows(db, "t") == 1);
}

TEST_CASE("read-only open: a missing file fails, an existing one refuses writes") {
  temp_dir dir;
  const auto missing = dir.file("missing.db");
  const auto ro = sql::database::open(missing, {.mode = sql::access::read_only});
  REQUIRE_FALSE(ro.has_value());
  CHECK(ro.error().code == hc::errc::io);
  CHECK(ro.error().message.find(missing) != std::string::npos);
  CHECK(ro.error().message.find("unable to open") != std::string::npos);
  CHECK_FALSE(fs::exists(missing));

  {
    auto db = open_db(dir);
    REQUIRE(db.exec("CREATE TABLE t (x); INSERT INTO t VALUES (1);").has_value());
    auto reader = sql::database::open(dir.file("test.db"), {.mode = sql::access::read_only});
    REQUIRE_OK(reader);
    CHECK(count_rows(*reader, "t") == 1);
    CHECK_FALSE(reader->exec("INSERT INTO t VALUES (2)").has_value());
  }
}

TEST_CASE("opening a path in a missing directory fails") {
  temp_dir dir;
  const auto db = sql::database::open(dir.file("no/such/dir/x.db"));
  REQUIRE_FALSE(db.has_value());
  CHECK_FALSE(db.error().message.empty());
}

// Regression (fixed): sqlite3_prepare_v3 returns SQLITE_OK with a null statement for text without a
// statement; prepare() wraps the null handle and step() then fails with a misleading message.
TEST_CASE("preparing text with no statement in it is an error, not a null statement") {
  temp_dir dir;
  auto db = open_db(dir);
  for (const std::string_view text : {"", "   ", "-- only a comment"}) {
    CAPTURE(text);
    auto stmt = db.prepare(text);
    if (stmt) {
      // If it is accepted, using it must fail cleanly rather than touch a null handle.
      const auto step = stmt->step();
      CHECK_FALSE(step.has_value());
    }
    CHECK_FALSE(stmt.has_value());
  }
}
