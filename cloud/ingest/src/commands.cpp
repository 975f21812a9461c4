// The cloud's queue of down-link commands (commands.hpp).
#include "hoistway/cloud/ingest/commands.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud::commands {

std::string_view to_string(command_state state) noexcept {
  switch (state) {
    case command_state::queued:
      return "queued";
    case command_state::sent:
      return "sent";
    case command_state::done:
      return "done";
    case command_state::rejected:
      return "rejected";
    case command_state::expired:
      return "expired";
    case command_state::undeliverable:
      return "undeliverable";
    case command_state::unanswered:
      return "unanswered";
  }
  return "unknown";
}

std::optional<command_state> parse_state(std::string_view text) noexcept {
  for (auto s :
       {command_state::queued, command_state::sent, command_state::done, command_state::rejected,
        command_state::expired, command_state::undeliverable, command_state::unanswered}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

namespace sqlite = common::sqlite;
namespace downlink = common::downlink;
using common::errc;
using common::fail;

namespace {

constexpr std::array<std::string_view, 1> steps{
    R"sql(
CREATE TABLE commands(
  id          TEXT PRIMARY KEY,
  device_id   TEXT NOT NULL,
  command     TEXT NOT NULL,
  hz          REAL NOT NULL DEFAULT 0,
  state       TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'done', 'rejected', 'expired',
                                             'undeliverable', 'unanswered')),
  created_ms  INTEGER NOT NULL,
  sent_ms     INTEGER,
  answered_ms INTEGER,
  reason      TEXT NOT NULL DEFAULT '',
  detail      TEXT NOT NULL DEFAULT '',
  result      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX commands_by_state ON commands(state, created_ms);
CREATE INDEX commands_by_device ON commands(device_id, created_ms);
)sql"};

constexpr std::string_view columns =
    "id, device_id, command, hz, state, created_ms, sent_ms, answered_ms, reason, detail, result";

std::optional<downlink::command_kind> kind_of(std::string_view name) {
  for (const auto k : {downlink::command_kind::ping, downlink::command_kind::request_snapshot,
                       downlink::command_kind::set_sampling_rate}) {
    if (downlink::to_string(k) == name) return k;
  }
  return std::nullopt;
}

// A row as the store holds it; errc::corrupt for a state this code does not know (the CHECK
// constraint forbids one: a newer schema, or a file edited by hand).
common::result<row> read_row(const sqlite::statement& s) {
  row r;
  r.id = s.column_text(0);
  r.device_id = s.column_text(1);
  r.kind = kind_of(s.column_text(2)).value_or(downlink::command_kind::ping);
  r.hz = s.column_double(3);
  const auto state = parse_state(s.column_text(4));
  if (!state) return fail(errc::corrupt, "command " + r.id + ": unknown state " + s.column_text(4));
  r.state = *state;
  r.created_ms = s.column_int(5);
  if (!s.is_null(6)) r.sent_ms = s.column_int(6);
  if (!s.is_null(7)) r.answered_ms = s.column_int(7);
  r.reason = s.column_text(8);
  r.detail = s.column_text(9);
  r.result_json = s.column_text(10);
  return r;
}

common::result<std::vector<row>> select_rows(sqlite::statement& s) {
  std::vector<row> out;
  while (true) {
    auto step = s.step();
    if (!step) return std::unexpected(step.error());
    if (*step != sqlite::step_result::row) return out;
    auto r = read_row(s);
    if (!r) return std::unexpected(r.error());
    out.push_back(std::move(*r));
  }
}

common::status run(sqlite::database& db, std::string_view sql, auto&&... binds) {
  auto s = db.prepare(sql);
  if (!s) return std::unexpected(s.error());
  int index = 1;
  (s->bind(index++, binds), ...);
  return s->run();
}

}  // namespace

common::status migrate(sqlite::database& db) { return sqlite::migrate(db, "commands", steps); }

common::result<row> enqueue(sqlite::database& db, const std::string& device_id,
                            downlink::command_kind kind, double hz, std::int64_t now_ms) {
  if (kind == downlink::command_kind::set_sampling_rate &&
      !(std::isfinite(hz) && hz >= 0.5 && hz <= 100.0)) {
    return fail(errc::invalid_argument, "the sampling rate must be from 0.5 to 100 Hz");
  }
  if (kind != downlink::command_kind::set_sampling_rate) hz = 0;
  auto known = db.prepare("SELECT active FROM devices WHERE device_id = ?1");
  if (!known) return std::unexpected(known.error());
  known->bind(1, device_id);
  auto found = known->step();
  if (!found) return std::unexpected(found.error());
  if (*found != sqlite::step_result::row) return fail(errc::not_found, "no device " + device_id);
  if (known->column_int(0) == 0)
    return fail(errc::conflict, "device " + device_id + " is disabled");
  row r;
  r.id = common::crypto::random_uuid();
  r.device_id = device_id;
  r.kind = kind;
  r.hz = hz;
  r.state = command_state::queued;
  r.created_ms = now_ms;
  if (auto st = run(db,
                    "INSERT INTO commands(id, device_id, command, hz, state, created_ms) "
                    "VALUES (?1, ?2, ?3, ?4, 'queued', ?5)",
                    r.id, r.device_id, downlink::to_string(kind), hz, now_ms);
      !st) {
    return std::unexpected(st.error());
  }
  return r;
}

common::result<std::optional<row>> find(sqlite::database& db, const std::string& id) {
  auto s = db.prepare("SELECT " + std::string(columns) + " FROM commands WHERE id = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, id);
  auto rows = select_rows(*s);
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) return std::optional<row>();
  return std::optional<row>(std::move(rows->front()));
}

common::result<std::vector<row>> recent(sqlite::database& db, const std::string& device_id,
                                        int limit) {
  auto s = db.prepare("SELECT " + std::string(columns) +
                      " FROM commands WHERE device_id = ?1 ORDER BY created_ms DESC, rowid DESC "
                      "LIMIT ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, device_id).bind(2, limit);
  return select_rows(*s);
}

common::result<std::vector<row>> claim_due(sqlite::database& db, std::int64_t now_ms,
                                           std::int64_t max_wait_ms,
                                           std::int64_t answer_window_ms) {
  auto tx = sqlite::transaction::begin(db);
  if (!tx) return std::unexpected(tx.error());
  if (auto st = run(db,
                    "UPDATE commands SET state = 'expired', answered_ms = ?1, reason = 'expired', "
                    "detail = 'not sent within ' || ?2 || ' s (is an ingest running?)' "
                    "WHERE state = 'queued' AND created_ms < ?1 - ?3",
                    now_ms, max_wait_ms / 1000, max_wait_ms);
      !st) {
    return std::unexpected(st.error());
  }
  if (auto st = run(db,
                    "UPDATE commands SET state = 'unanswered', answered_ms = ?1, "
                    "reason = 'unanswered', detail = 'no result from the agent within ' || ?2 || "
                    "' s' WHERE state = 'sent' AND sent_ms < ?1 - ?3",
                    now_ms, answer_window_ms / 1000, answer_window_ms);
      !st) {
    return std::unexpected(st.error());
  }
  auto s = db.prepare(
      "UPDATE commands SET state = 'sent', sent_ms = ?1 WHERE state = 'queued' "
      "RETURNING " +
      std::string(columns));
  if (!s) return std::unexpected(s.error());
  s->bind(1, now_ms);
  auto rows = select_rows(*s);
  if (!rows) return std::unexpected(rows.error());
  if (auto st = tx->commit(); !st) return std::unexpected(st.error());
  std::ranges::sort(*rows, {}, &row::created_ms);
  return rows;
}

common::status unclaim(sqlite::database& db, const std::string& id) {
  return run(db,
             "UPDATE commands SET state = 'queued', sent_ms = NULL WHERE id = ?1 AND "
             "state = 'sent'",
             id);
}

common::status mark_undeliverable(sqlite::database& db, const std::string& id,
                                  const std::string& reason, std::int64_t now_ms) {
  return run(db,
             "UPDATE commands SET state = 'undeliverable', answered_ms = ?2, "
             "reason = 'undeliverable', detail = ?3 WHERE id = ?1",
             id, now_ms, reason);
}

common::result<bool> record_result(sqlite::database& db, const downlink::command_result& result,
                                   std::int64_t now_ms) {
  if (auto st = run(db,
                    "UPDATE commands SET state = ?3, answered_ms = ?4, reason = ?5, detail = ?6, "
                    "result = ?7 WHERE id = ?1 AND device_id = ?2 AND state IN ('sent', "
                    "'unanswered')",
                    result.id, result.device_id,
                    to_string(result.ok ? command_state::done : command_state::rejected), now_ms,
                    result.reason, result.detail, result.ok ? result.result_json : "");
      !st) {
    return std::unexpected(st.error());
  }
  return db.changes() > 0;
}

std::vector<std::uint8_t> message_for(const row& command, std::int64_t now_ms, std::uint32_t key_id,
                                      std::span<const std::uint8_t> key) {
  downlink::command c;
  c.id = command.id;
  c.device_id = command.device_id;
  c.issued_at_ms = now_ms;
  c.kind = command.kind;
  c.sample_hz = command.hz;
  return downlink::sign(downlink::command_body(c), key_id, key,
                        common::crypto::key_purpose::command);
}

}  // namespace hoistway::cloud::commands
