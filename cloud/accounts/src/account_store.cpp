// The accounts' SQL.
#include "hoistway/cloud/accounts/account_store.hpp"

#include "hoistway/cloud/registry/directory.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud::accounts {

using common::errc;
using common::fail;
namespace sqlite = common::sqlite;
using lock = std::lock_guard<std::mutex>;

namespace {

// Component "accounts"; step i brings it from version i to i + 1. Only ever append.
constexpr std::string_view migrations[] = {
    R"sql(
CREATE TABLE eservice_accounts(
  account_id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  customer_id TEXT NOT NULL REFERENCES customers(customer_id),
  language TEXT NOT NULL CHECK (language IN ('ja', 'en')),
  display_name TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  temp_hash TEXT NOT NULL DEFAULT '',
  temp_issued_ms INTEGER NOT NULL DEFAULT 0,
  temp_expires_ms INTEGER NOT NULL DEFAULT 0,
  question_id TEXT NOT NULL DEFAULT '',
  answer_hash TEXT NOT NULL DEFAULT '',
  first_login_ms INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE INDEX eservice_accounts_customer ON eservice_accounts(customer_id);
CREATE TABLE account_sessions(
  token_sha256 BLOB PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('eservice', 'portal')),
  account_id INTEGER NOT NULL,
  stage TEXT NOT NULL,
  remember INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL);
CREATE INDEX account_sessions_account ON account_sessions(kind, account_id);
CREATE TABLE login_throttle(
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start_ms INTEGER NOT NULL,
  locked_until_ms INTEGER NOT NULL DEFAULT 0);
CREATE TABLE verification_codes(
  code_id INTEGER PRIMARY KEY,
  email TEXT NOT NULL,
  salt BLOB NOT NULL,
  code_sha256 BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  tries INTEGER NOT NULL DEFAULT 0,
  used_ms INTEGER,
  voided_ms INTEGER);
CREATE INDEX verification_codes_email ON verification_codes(email);
CREATE TABLE access_requests(
  request_id INTEGER PRIMARY KEY,
  token_sha256 BLOB NOT NULL UNIQUE,
  email TEXT NOT NULL,
  eservice_id INTEGER NOT NULL REFERENCES eservice_accounts(account_id),
  form_json TEXT NOT NULL DEFAULT '',
  password_hash TEXT NOT NULL DEFAULT '',
  answer_failures INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL);
CREATE TABLE portal_accounts(
  portal_id INTEGER PRIMARY KEY,
  eservice_id INTEGER NOT NULL UNIQUE REFERENCES eservice_accounts(account_id),
  email TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  company TEXT NOT NULL,
  last_name TEXT NOT NULL,
  first_name TEXT NOT NULL,
  country TEXT NOT NULL,
  mobile_e164 TEXT NOT NULL,
  privacy_policy_version TEXT NOT NULL,
  privacy_policy_accepted_ms INTEGER NOT NULL,
  terms_of_use_version TEXT NOT NULL,
  terms_of_use_accepted_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE sales_requests(
  request_id INTEGER PRIMARY KEY,
  portal_id INTEGER NOT NULL REFERENCES portal_accounts(portal_id),
  customer_id TEXT NOT NULL,
  email TEXT NOT NULL,
  company TEXT NOT NULL,
  name TEXT NOT NULL,
  mobile_e164 TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  handled_ms INTEGER);
CREATE TABLE mail_outbox(
  mail_id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  sender TEXT NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  sent_ms INTEGER,
  failed_ms INTEGER,
  last_error TEXT NOT NULL DEFAULT '');
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_ms) WHERE sent_ms IS NULL AND failed_ms IS NULL;
CREATE TABLE account_audit(
  event_id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  event TEXT NOT NULL,
  email TEXT NOT NULL,
  address TEXT NOT NULL,
  detail TEXT NOT NULL);
)sql",
    // Issue 13: failure counters live in memory now (an unauthenticated request must cost no disk
    // write); login_throttle keeps the persisted locks only. Security-answer failures are counted
    // on their own. Mails remember who asked for them (daily caps). Indexes for the caps and for
    // pruning in short steps.
    R"sql(
DELETE FROM login_throttle;
CREATE INDEX login_throttle_until ON login_throttle(locked_until_ms);
ALTER TABLE eservice_accounts ADD COLUMN answer_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE eservice_accounts ADD COLUMN answer_window_start_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE eservice_accounts ADD COLUMN answer_locked_until_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mail_outbox ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
CREATE INDEX mail_outbox_recipient ON mail_outbox(recipient, created_ms);
CREATE INDEX mail_outbox_requested_by ON mail_outbox(requested_by, created_ms) WHERE requested_by != '';
CREATE INDEX mail_outbox_created ON mail_outbox(created_ms);
CREATE INDEX account_audit_at ON account_audit(at_ms);
CREATE INDEX account_sessions_expires ON account_sessions(expires_ms);
CREATE INDEX verification_codes_expires ON verification_codes(expires_ms);
CREATE INDEX access_requests_expires ON access_requests(expires_ms);
)sql",
};

template <typename F>
common::status each_row(sqlite::statement& stmt, F&& on_row) {
  while (true) {
    auto row = stmt.step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) return {};
    on_row(stmt);
  }
}

constexpr std::string_view eservice_columns =
    "account_id, email, customer_id, language, display_name, password_hash, temp_hash, "
    "temp_issued_ms, temp_expires_ms, question_id, answer_hash, first_login_ms, answer_failures, "
    "answer_window_start_ms, answer_locked_until_ms";

eservice_account read_eservice(const sqlite::statement& s) {
  eservice_account a;
  a.id = s.column_int(0);
  a.email = s.column_text(1);
  a.customer_id = s.column_text(2);
  a.language = s.column_text(3);
  a.display_name = s.column_text(4);
  a.password_hash = s.column_text(5);
  a.temp_hash = s.column_text(6);
  a.temp_issued_ms = s.column_int(7);
  a.temp_expires_ms = s.column_int(8);
  a.question_id = s.column_text(9);
  a.answer_hash = s.column_text(10);
  a.first_login_ms = s.column_int(11);
  a.answer_failures = static_cast<int>(s.column_int(12));
  a.answer_window_start_ms = s.column_int(13);
  a.answer_locked_until_ms = s.column_int(14);
  return a;
}

constexpr std::string_view portal_columns =
    "p.portal_id, p.eservice_id, p.email, p.password_hash, e.customer_id, p.company, p.last_name, "
    "p.first_name, p.country, p.mobile_e164, e.language";

portal_account read_portal(const sqlite::statement& s) {
  portal_account a;
  a.id = s.column_int(0);
  a.eservice_id = s.column_int(1);
  a.email = s.column_text(2);
  a.password_hash = s.column_text(3);
  a.customer_id = s.column_text(4);
  a.company = s.column_text(5);
  a.last_name = s.column_text(6);
  a.first_name = s.column_text(7);
  a.country = s.column_text(8);
  a.mobile_e164 = s.column_text(9);
  a.language = s.column_text(10);
  return a;
}

std::vector<std::uint8_t> code_digest(std::span<const std::uint8_t> salt, const std::string& code) {
  std::vector<std::uint8_t> input(salt.begin(), salt.end());
  input.insert(input.end(), code.begin(), code.end());
  const auto digest = common::crypto::sha256(input);
  return {digest.begin(), digest.end()};
}

session_stage stage_from(const std::string& text) {
  if (text == "change_password") return session_stage::change_password;
  if (text == "security_setup") return session_stage::security_setup;
  if (text == "security_challenge") return session_stage::security_challenge;
  return session_stage::signed_in;
}

std::string_view kind_text(session_kind k) {
  return k == session_kind::portal ? "portal" : "eservice";
}

}  // namespace

std::string_view to_string(session_stage stage) {
  switch (stage) {
    case session_stage::change_password:
      return "change_password";
    case session_stage::security_setup:
      return "security_setup";
    case session_stage::security_challenge:
      return "security_challenge";
    case session_stage::signed_in:
      return "signed_in";
  }
  return "signed_in";
}

std::string_view to_string(code_check outcome) {
  switch (outcome) {
    case code_check::ok:
      return "ok";
    case code_check::wrong:
      return "wrong";
    case code_check::expired:
      return "expired";
    case code_check::used:
      return "used";
    case code_check::exhausted:
      return "exhausted";
    case code_check::none:
      return "none";
  }
  return "none";
}

common::status migrate_accounts(sqlite::database& db) {
  return sqlite::migrate(db, "accounts", migrations);
}

common::status audit(sqlite::database& db, std::int64_t now_ms, std::string_view event,
                     std::string_view email, std::string_view address, std::string_view detail) {
  auto stmt = db.prepare(
      "INSERT INTO account_audit(at_ms, event, email, address, detail) VALUES (?1, ?2, ?3, ?4, "
      "?5)");
  if (!stmt) return std::unexpected(stmt.error());
  // std::string: an empty string_view may carry a null pointer, which SQLite binds as NULL.
  return stmt->bind(1, now_ms)
      .bind(2, std::string(event))
      .bind(3, std::string(email))
      .bind(4, std::string(address))
      .bind(5, std::string(detail))
      .run();
}

// ---- the writes -------------------------------------------------------------------------------

common::status write_batch::audit(std::int64_t now_ms, std::string_view event,
                                  std::string_view email, std::string_view address,
                                  std::string_view detail) {
  return accounts::audit(db_, now_ms, event, email, address, detail);
}

common::status write_batch::enqueue_mail(const queued_mail& mail, std::string_view requested_by,
                                         std::int64_t now_ms) {
  auto s = db_.prepare(
      "INSERT INTO mail_outbox(kind, sender, recipient, subject, body, created_ms, "
      "next_attempt_ms, requested_by) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, mail.kind)
      .bind(2, mail.sender)
      .bind(3, mail.recipient)
      .bind(4, mail.subject)
      .bind(5, mail.body)
      .bind(6, now_ms)
      .bind(7, std::string(requested_by))
      .run();
}

common::result<mail_counts> write_batch::count_mails(const std::string& recipient,
                                                     std::string_view kind,
                                                     const std::string& requested_by,
                                                     std::int64_t since_ms) {
  auto s = db_.prepare(R"sql(
SELECT (SELECT COALESCE(MAX(created_ms), 0) FROM mail_outbox WHERE recipient = ?1 AND kind = ?2),
       (SELECT COUNT(*) FROM mail_outbox WHERE recipient = ?1 AND requested_by != '' AND created_ms > ?4),
       (SELECT COUNT(*) FROM mail_outbox WHERE requested_by = ?3 AND requested_by != '' AND created_ms > ?4))sql");
  if (!s) return std::unexpected(s.error());
  s->bind(1, recipient).bind(2, std::string(kind)).bind(3, requested_by).bind(4, since_ms);
  mail_counts out;
  if (auto st = each_row(*s,
                         [&](const sqlite::statement& r) {
                           out = {r.column_int(0), r.column_int(1), r.column_int(2)};
                         });
      !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<std::int64_t> write_batch::insert_eservice(const std::string& email,
                                                          const std::string& customer_id,
                                                          const std::string& language,
                                                          std::int64_t now_ms) {
  auto c = db_.prepare("SELECT 1 FROM customers WHERE customer_id = ?1");
  if (!c) return std::unexpected(c.error());
  c->bind(1, customer_id);
  auto row = c->step();
  if (!row) return std::unexpected(row.error());
  if (*row != sqlite::step_result::row) return fail(errc::not_found, "no customer " + customer_id);
  auto e = db_.prepare("SELECT 1 FROM eservice_accounts WHERE email = ?1");
  if (!e) return std::unexpected(e.error());
  e->bind(1, email);
  row = e->step();
  if (!row) return std::unexpected(row.error());
  if (*row == sqlite::step_result::row)
    return fail(errc::conflict, email + " is already registered");
  auto ins = db_.prepare(
      "INSERT INTO eservice_accounts(email, customer_id, language, created_ms, updated_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?4)");
  if (!ins) return std::unexpected(ins.error());
  if (auto st = ins->bind(1, email).bind(2, customer_id).bind(3, language).bind(4, now_ms).run();
      !st) {
    return std::unexpected(st.error());
  }
  return db_.last_insert_rowid();
}

common::status write_batch::set_temp_password(std::int64_t id, const std::string& hash,
                                              std::int64_t now_ms, std::int64_t expires_ms) {
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET temp_hash = ?2, temp_issued_ms = ?3, temp_expires_ms = ?4, "
      "updated_ms = ?3 WHERE account_id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, id).bind(2, hash).bind(3, now_ms).bind(4, expires_ms).run();
}

common::status write_batch::set_password(std::int64_t id, const std::string& hash,
                                         std::int64_t now_ms) {
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET password_hash = ?2, temp_hash = '', temp_expires_ms = 0, "
      "updated_ms = ?3 WHERE account_id = ?1");
  if (!s) return std::unexpected(s.error());
  if (auto st = s->bind(1, id).bind(2, hash).bind(3, now_ms).run(); !st) return st;
  auto d = db_.prepare("DELETE FROM account_sessions WHERE kind = 'eservice' AND account_id = ?1");
  if (!d) return std::unexpected(d.error());
  return d->bind(1, id).run();
}

common::status write_batch::set_security(std::int64_t id, const std::string& question_id,
                                         const std::string& answer_hash, std::int64_t now_ms) {
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET question_id = ?2, answer_hash = ?3, updated_ms = ?4, "
      "answer_failures = 0, "
      "answer_window_start_ms = 0, answer_locked_until_ms = 0 WHERE account_id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, id).bind(2, question_id).bind(3, answer_hash).bind(4, now_ms).run();
}

common::status write_batch::mark_logged_in(std::int64_t id, std::int64_t now_ms) {
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET first_login_ms = ?2 WHERE account_id = ?1 AND first_login_ms = "
      "0");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, id).bind(2, now_ms).run();
}

common::status write_batch::update_profile(std::int64_t id, const std::string& display_name,
                                           const std::string& language, std::int64_t now_ms) {
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET display_name = ?2, language = ?3, updated_ms = ?4 WHERE "
      "account_id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, id).bind(2, display_name).bind(3, language).bind(4, now_ms).run();
}

common::result<std::int64_t> write_batch::answer_failure(std::int64_t id, std::int64_t now_ms,
                                                         int limit, std::int64_t window_ms,
                                                         std::int64_t lock_ms) {
  // A failure outside the window starts a new one; the limit-th locks and starts over.
  auto s = db_.prepare(R"sql(
UPDATE eservice_accounts SET
  answer_failures = CASE WHEN answer_window_start_ms + ?3 <= ?2 THEN 1 ELSE answer_failures + 1 END,
  answer_window_start_ms = CASE WHEN answer_window_start_ms + ?3 <= ?2 THEN ?2 ELSE answer_window_start_ms END
WHERE account_id = ?1
RETURNING answer_failures)sql");
  if (!s) return std::unexpected(s.error());
  s->bind(1, id).bind(2, now_ms).bind(3, window_ms);
  std::int64_t failures = 0;
  if (auto st = each_row(*s, [&](const sqlite::statement& r) { failures = r.column_int(0); });
      !st) {
    return std::unexpected(st.error());
  }
  if (failures < limit) return 0;
  const auto until = now_ms + lock_ms;
  auto l = db_.prepare(
      "UPDATE eservice_accounts SET answer_locked_until_ms = ?2, answer_failures = 0, "
      "answer_window_start_ms = ?3 "
      "WHERE account_id = ?1");
  if (!l) return std::unexpected(l.error());
  if (auto st = l->bind(1, id).bind(2, until).bind(3, now_ms).run(); !st)
    return std::unexpected(st.error());
  return until;
}

common::status write_batch::lock(const std::string& key, std::int64_t until_ms) {
  auto s = db_.prepare(
      "INSERT INTO login_throttle(key, failures, window_start_ms, locked_until_ms) VALUES (?1, 0, "
      "0, ?2) "
      "ON CONFLICT(key) DO UPDATE SET locked_until_ms = MAX(locked_until_ms, ?2)");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, key).bind(2, until_ms).run();
}

common::status write_batch::create_session(const std::vector<std::uint8_t>& token_hash,
                                           const session_row& row, std::int64_t now_ms) {
  auto s = db_.prepare(
      "INSERT INTO account_sessions(token_sha256, kind, account_id, stage, remember, created_ms, "
      "expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s) return std::unexpected(s.error());
  if (auto st = s->bind(1, std::span<const std::uint8_t>(token_hash))
                    .bind(2, kind_text(row.kind))
                    .bind(3, row.account_id)
                    .bind(4, to_string(row.stage))
                    .bind(5, row.remember)
                    .bind(6, now_ms)
                    .bind(7, row.expires_ms)
                    .run();
      !st) {
    return st;
  }
  // Whoever holds a password can sign in again and again ("remember me" lasts 30 days): an
  // account keeps its newest max_sessions_per_account sessions, the oldest end.
  auto trim = db_.prepare(
      "DELETE FROM account_sessions WHERE kind = ?1 AND account_id = ?2 AND token_sha256 NOT IN "
      "(SELECT token_sha256 FROM account_sessions WHERE kind = ?1 AND account_id = ?2 "
      "ORDER BY created_ms DESC, rowid DESC LIMIT ?3)");
  if (!trim) return std::unexpected(trim.error());
  return trim->bind(1, kind_text(row.kind))
      .bind(2, row.account_id)
      .bind(3, static_cast<std::int64_t>(max_sessions_per_account))
      .run();
}

common::status write_batch::delete_session(const std::vector<std::uint8_t>& token_hash) {
  auto s = db_.prepare("DELETE FROM account_sessions WHERE token_sha256 = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, std::span<const std::uint8_t>(token_hash)).run();
}

common::status write_batch::insert_code(const std::string& email, const std::string& code,
                                        std::int64_t now_ms, std::int64_t expires_ms) {
  auto v = db_.prepare(
      "UPDATE verification_codes SET voided_ms = ?2 WHERE email = ?1 AND used_ms IS NULL AND "
      "voided_ms IS NULL");
  if (!v) return std::unexpected(v.error());
  if (auto st = v->bind(1, email).bind(2, now_ms).run(); !st) return st;
  const auto salt = common::crypto::random_bytes(16);
  const auto digest = code_digest(salt, code);
  auto s = db_.prepare(
      "INSERT INTO verification_codes(email, salt, code_sha256, created_ms, expires_ms) VALUES "
      "(?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, email)
      .bind(2, std::span<const std::uint8_t>(salt))
      .bind(3, std::span<const std::uint8_t>(digest))
      .bind(4, now_ms)
      .bind(5, expires_ms)
      .run();
}

common::result<code_check> write_batch::check_code(const std::string& email,
                                                   const std::string& code, std::int64_t now_ms,
                                                   int max_tries) {
  // The newest code for the address decides; a voided one means a newer code was sent.
  auto s = db_.prepare(
      "SELECT code_id, salt, code_sha256, expires_ms, tries, used_ms IS NOT NULL, voided_ms IS NOT "
      "NULL "
      "FROM verification_codes WHERE email = ?1 ORDER BY code_id DESC LIMIT 1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, email);
  auto row = s->step();
  if (!row) return std::unexpected(row.error());
  if (*row != sqlite::step_result::row) return code_check::none;
  const auto id = s->column_int(0);
  const auto salt = s->column_blob(1);
  const auto stored = s->column_blob(2);
  const auto expires = s->column_int(3);
  const auto tries = s->column_int(4);
  const bool used = s->column_int(5) != 0;
  const bool voided = s->column_int(6) != 0;
  s->reset();
  if (used || voided) return code_check::used;
  if (tries >= max_tries) return code_check::exhausted;
  // Every try counts, right or wrong, so a sixth try fails whatever it holds.
  auto t = db_.prepare("UPDATE verification_codes SET tries = tries + 1 WHERE code_id = ?1");
  if (!t) return std::unexpected(t.error());
  if (auto st = t->bind(1, id).run(); !st) return std::unexpected(st.error());
  if (expires <= now_ms) return code_check::expired;
  if (!common::crypto::constant_time_equal(code_digest(salt, code), stored))
    return code_check::wrong;
  auto u = db_.prepare("UPDATE verification_codes SET used_ms = ?2 WHERE code_id = ?1");
  if (!u) return std::unexpected(u.error());
  if (auto st = u->bind(1, id).bind(2, now_ms).run(); !st) return std::unexpected(st.error());
  return code_check::ok;
}

common::status write_batch::create_request(const std::vector<std::uint8_t>& token_hash,
                                           const std::string& email, std::int64_t eservice_id,
                                           std::int64_t now_ms, std::int64_t expires_ms) {
  // One open request per address: a new one replaces it.
  auto d = db_.prepare("DELETE FROM access_requests WHERE email = ?1");
  if (!d) return std::unexpected(d.error());
  if (auto st = d->bind(1, email).run(); !st) return st;
  auto s = db_.prepare(
      "INSERT INTO access_requests(token_sha256, email, eservice_id, created_ms, expires_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, std::span<const std::uint8_t>(token_hash))
      .bind(2, email)
      .bind(3, eservice_id)
      .bind(4, now_ms)
      .bind(5, expires_ms)
      .run();
}

common::status write_batch::save_form(std::int64_t request_id, const std::string& form_json,
                                      const std::string& password_hash) {
  auto s = db_.prepare(
      "UPDATE access_requests SET form_json = ?2, password_hash = ?3 WHERE request_id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, request_id).bind(2, form_json).bind(3, password_hash).run();
}

common::result<int> write_batch::add_request_answer_failure(std::int64_t request_id) {
  auto s = db_.prepare(
      "UPDATE access_requests SET answer_failures = answer_failures + 1 WHERE request_id = ?1 "
      "RETURNING answer_failures");
  if (!s) return std::unexpected(s.error());
  s->bind(1, request_id);
  int failures = 0;
  if (auto st = each_row(
          *s, [&](const sqlite::statement& r) { failures = static_cast<int>(r.column_int(0)); });
      !st) {
    return std::unexpected(st.error());
  }
  return failures;
}

common::status write_batch::delete_request(std::int64_t request_id) {
  auto s = db_.prepare("DELETE FROM access_requests WHERE request_id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, request_id).run();
}

common::result<std::int64_t> write_batch::create_portal(const portal_account& a,
                                                        const nlohmann::json& form,
                                                        std::int64_t now_ms) {
  auto s = db_.prepare(
      "INSERT INTO portal_accounts(eservice_id, email, password_hash, company, last_name, "
      "first_name, "
      "country, mobile_e164, privacy_policy_version, privacy_policy_accepted_ms, "
      "terms_of_use_version, "
      "terms_of_use_accepted_ms, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
      "?12, ?13)");
  if (!s) return std::unexpected(s.error());
  const auto st = s->bind(1, a.eservice_id)
                      .bind(2, a.email)
                      .bind(3, a.password_hash)
                      .bind(4, a.company)
                      .bind(5, a.last_name)
                      .bind(6, a.first_name)
                      .bind(7, a.country)
                      .bind(8, a.mobile_e164)
                      .bind(9, form.value("privacy_policy_version", std::string()))
                      .bind(10, form.value("privacy_policy_accepted_ms", std::int64_t{0}))
                      .bind(11, form.value("terms_of_use_version", std::string()))
                      .bind(12, form.value("terms_of_use_accepted_ms", std::int64_t{0}))
                      .bind(13, now_ms)
                      .run();
  if (!st) {
    if (st.error().message.find("UNIQUE") != std::string::npos) {
      return fail(errc::conflict, "a customer portal account exists for " + a.email);
    }
    return std::unexpected(st.error());
  }
  const auto id = db_.last_insert_rowid();
  auto q = db_.prepare(
      "INSERT INTO sales_requests(portal_id, customer_id, email, company, name, mobile_e164, "
      "created_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!q) return std::unexpected(q.error());
  if (auto qs = q->bind(1, id)
                    .bind(2, a.customer_id)
                    .bind(3, a.email)
                    .bind(4, a.company)
                    .bind(5, a.last_name + " " + a.first_name)
                    .bind(6, a.mobile_e164)
                    .bind(7, now_ms)
                    .run();
      !qs) {
    return std::unexpected(qs.error());
  }
  return id;
}

// ---- the store: connection, group commit, reads, pruning ----------------------------------------

common::result<std::unique_ptr<account_store>> account_store::open(const std::string& path,
                                                                   write_mode mode,
                                                                   std::size_t write_queue) {
  {
    // The tenancy tables the accounts refer to belong to the store: make sure they exist.
    auto tenancy = store::open(path);
    if (!tenancy) return std::unexpected(tenancy.error());
  }
  auto db = sqlite::database::open(path, {.sync = sqlite::durability::full});
  if (!db) return std::unexpected(db.error());
  if (auto st = migrate_accounts(*db); !st) return std::unexpected(st.error());
  return std::unique_ptr<account_store>(new account_store(std::move(*db), mode, write_queue));
}

account_store::account_store(sqlite::database db, write_mode mode, std::size_t write_queue)
    : db_(std::move(db)), mode_(mode), write_queue_(std::max<std::size_t>(write_queue, 1)) {
  if (mode_ == write_mode::grouped) writer_ = std::thread([this] { run_writer(); });
}

account_store::~account_store() {
  {
    std::lock_guard guard(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

namespace {

// Runs one op and turns an escaping exception into an error, so one bad op never takes the
// writer thread (and every waiting request) down.
common::status run_op(const std::function<common::status(write_batch&)>& op, write_batch& batch) {
  try {
    return op(batch);
  } catch (const std::exception& e) {
    return fail(errc::internal, std::string("accounts write: ") + e.what());
  }
}

}  // namespace

common::status account_store::write(const std::function<common::status(write_batch&)>& op) {
  if (mode_ == write_mode::immediate) {
    lock guard(mutex_);
    auto tx = sqlite::transaction::begin(db_);
    if (!tx) return std::unexpected(tx.error());
    write_batch batch(db_);
    if (auto st = run_op(op, batch); !st) return st;  // the transaction rolls back
    return tx->commit();
  }
  std::promise<common::status> done;
  auto result = done.get_future();
  auto p = std::make_unique<pending_write>();
  p->op = op;  // a copy; what it refers to lives until this call returns
  p->waiter = &done;
  if (auto st = enqueue(std::move(p)); !st) return st;
  return result.get();
}

common::status account_store::write_later(std::function<common::status(write_batch&)> op,
                                          std::function<void(const common::status&)> then) {
  if (mode_ == write_mode::immediate) {
    auto st = write(op);
    if (then) then(st);
    return {};
  }
  auto p = std::make_unique<pending_write>();
  p->op = std::move(op);
  p->then = std::move(then);
  return enqueue(std::move(p));
}

common::status account_store::enqueue(std::unique_ptr<pending_write> p) {
  {
    std::lock_guard guard(queue_mutex_);
    if (stopping_) return fail(errc::unavailable, "accounts: the store is closing");
    if (queue_.size() >= write_queue_) {
      return fail(errc::unavailable,
                  "accounts: " + std::to_string(queue_.size()) + " writes wait already");
    }
    queue_.push_back(std::move(p));
  }
  queue_cv_.notify_one();
  return {};
}

void account_store::flush() {
  std::unique_lock guard(queue_mutex_);
  idle_cv_.wait(guard, [this] { return queue_.empty() && !committing_; });
}

void account_store::run_writer() {
  while (true) {
    std::vector<std::unique_ptr<pending_write>> batch;
    {
      std::unique_lock guard(queue_mutex_);
      queue_cv_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to write
      // Bounded, so one commit never holds the connection for long. Whatever arrived during
      // the previous commit goes into this one.
      while (!queue_.empty() && batch.size() < 512) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      committing_ = true;
    }
    {
      lock guard(mutex_);
      commit_group(batch);
    }
    {
      std::lock_guard guard(queue_mutex_);
      committing_ = false;
    }
    idle_cv_.notify_all();
  }
}

void account_store::commit_group(std::vector<std::unique_ptr<pending_write>>& batch) {
  std::vector<common::status> results(batch.size());
  auto tx = sqlite::transaction::begin(db_);
  write_batch writes(db_);
  for (std::size_t i = 0; i < batch.size() && tx; ++i) {
    if (auto st = db_.exec("SAVEPOINT op"); !st) {
      results[i] = std::unexpected(st.error());
      continue;
    }
    results[i] = run_op(batch[i]->op, writes);
    if (!results[i]) {
      // Undo this op's writes only; the others' stay in the transaction.
      if (auto st = db_.exec("ROLLBACK TO op"); !st) results[i] = std::unexpected(st.error());
    }
    if (auto st = db_.exec("RELEASE op"); !st && results[i]) {
      results[i] = std::unexpected(st.error());
    }
  }
  const common::status committed = tx ? tx->commit() : common::status(std::unexpected(tx.error()));
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!committed && results[i]) results[i] = std::unexpected(committed.error());
    auto& p = *batch[i];
    if (p.waiter != nullptr) {
      p.waiter->set_value(std::move(results[i]));
    } else if (p.then) {
      try {
        p.then(results[i]);
      } catch (const std::exception&) {
        // A callback's failure must not take the writer (and every waiting request) down; the
        // callbacks only log, count and wake.
      }
    }
  }
}

common::result<std::int64_t> account_store::locked_until(const std::string& key,
                                                         std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare("SELECT locked_until_ms FROM login_throttle WHERE key = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, key);
  std::int64_t until = 0;
  if (auto st = each_row(*s, [&](const sqlite::statement& r) { until = r.column_int(0); }); !st) {
    return std::unexpected(st.error());
  }
  return until > now_ms ? until : 0;
}

common::result<std::optional<session_row>> account_store::find_session(
    const std::vector<std::uint8_t>& token_hash, session_kind kind, std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "SELECT account_id, stage, remember, expires_ms FROM account_sessions "
      "WHERE token_sha256 = ?1 AND kind = ?2 AND expires_ms > ?3");
  if (!s) return std::unexpected(s.error());
  s->bind(1, std::span<const std::uint8_t>(token_hash)).bind(2, kind_text(kind)).bind(3, now_ms);
  std::optional<session_row> out;
  if (auto st = each_row(*s,
                         [&](const sqlite::statement& r) {
                           out = session_row{kind, r.column_int(0), stage_from(r.column_text(1)),
                                             r.column_int(2) != 0, r.column_int(3)};
                         });
      !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<std::optional<access_request>> account_store::find_request(
    const std::vector<std::uint8_t>& token_hash, std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "SELECT request_id, email, eservice_id, form_json, password_hash, answer_failures, "
      "expires_ms "
      "FROM access_requests WHERE token_sha256 = ?1 AND expires_ms > ?2");
  if (!s) return std::unexpected(s.error());
  s->bind(1, std::span<const std::uint8_t>(token_hash)).bind(2, now_ms);
  std::optional<access_request> out;
  if (auto st = each_row(*s,
                         [&](const sqlite::statement& r) {
                           access_request a;
                           a.id = r.column_int(0);
                           a.email = r.column_text(1);
                           a.eservice_id = r.column_int(2);
                           a.form_json = r.column_text(3);
                           a.password_hash = r.column_text(4);
                           a.form_done = !a.form_json.empty();
                           a.answer_failures = static_cast<int>(r.column_int(5));
                           a.expires_ms = r.column_int(6);
                           out = std::move(a);
                         });
      !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<prune_report> account_store::prune(std::int64_t now_ms,
                                                  const retention_settings& retention) {
  prune_report report;
  // Each step deletes at most batch_rows rows in its own short transaction; the subqueries walk an
  // index, so a step costs the same however large the table is.
  struct step {
    const char* sql;
    std::int64_t bound;
  };
  std::int64_t audit_floor = 0;
  {
    lock guard(mutex_);
    auto s = db_.prepare("SELECT COALESCE(MAX(event_id), 0) FROM account_audit");
    if (!s) return std::unexpected(s.error());
    if (auto st = each_row(*s, [&](const sqlite::statement& r) { audit_floor = r.column_int(0); });
        !st) {
      return std::unexpected(st.error());
    }
    // Rows below the floor are beyond audit_max_rows (event ids only grow; gaps only make fewer).
    audit_floor = audit_floor - retention.audit_max_rows + 1;
  }
  const step steps[] = {
      {"DELETE FROM account_audit WHERE event_id IN (SELECT event_id FROM account_audit WHERE "
       "at_ms < ?1 "
       "ORDER BY at_ms LIMIT ?2)",
       now_ms - retention.audit_ms},
      {"DELETE FROM account_audit WHERE event_id IN (SELECT event_id FROM account_audit WHERE "
       "event_id < ?1 "
       "ORDER BY event_id LIMIT ?2)",
       audit_floor},
      {"DELETE FROM mail_outbox WHERE mail_id IN (SELECT mail_id FROM mail_outbox WHERE created_ms "
       "< ?1 "
       "AND (sent_ms IS NOT NULL OR failed_ms IS NOT NULL) ORDER BY created_ms LIMIT ?2)",
       now_ms - retention.mail_ms},
      {"DELETE FROM account_sessions WHERE token_sha256 IN (SELECT token_sha256 FROM "
       "account_sessions "
       "WHERE expires_ms < ?1 ORDER BY expires_ms LIMIT ?2)",
       now_ms},
      {"DELETE FROM verification_codes WHERE code_id IN (SELECT code_id FROM verification_codes "
       "WHERE expires_ms < ?1 ORDER BY expires_ms LIMIT ?2)",
       now_ms},
      {"DELETE FROM access_requests WHERE request_id IN (SELECT request_id FROM access_requests "
       "WHERE expires_ms < ?1 ORDER BY expires_ms LIMIT ?2)",
       now_ms},
      {"DELETE FROM login_throttle WHERE key IN (SELECT key FROM login_throttle WHERE "
       "locked_until_ms < ?1 "
       "ORDER BY locked_until_ms LIMIT ?2)",
       now_ms},
  };
  for (const auto& st : steps) {
    while (true) {
      if (report.steps >= retention.max_steps) {
        report.done = false;
        return report;
      }
      int deleted = 0;
      {
        lock guard(mutex_);
        auto s = db_.prepare(st.sql);
        if (!s) return std::unexpected(s.error());
        if (auto r = s->bind(1, st.bound).bind(2, retention.batch_rows).run(); !r)
          return std::unexpected(r.error());
        deleted = db_.changes();
      }
      // A step that found nothing was one index probe: only steps that deleted count.
      if (deleted > 0) ++report.steps;
      report.deleted += deleted;
      if (deleted < retention.batch_rows) break;
    }
  }
  return report;
}

common::result<std::optional<eservice_account>> account_store::find_eservice(
    const std::string& email) {
  lock guard(mutex_);
  auto s = db_.prepare("SELECT " + std::string(eservice_columns) +
                       " FROM eservice_accounts WHERE email = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, email);
  std::optional<eservice_account> out;
  if (auto st = each_row(*s, [&](const sqlite::statement& r) { out = read_eservice(r); }); !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<std::optional<eservice_account>> account_store::find_eservice(std::int64_t id) {
  lock guard(mutex_);
  auto s = db_.prepare("SELECT " + std::string(eservice_columns) +
                       " FROM eservice_accounts WHERE account_id = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, id);
  std::optional<eservice_account> out;
  if (auto st = each_row(*s, [&](const sqlite::statement& r) { out = read_eservice(r); }); !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<std::optional<portal_account>> account_store::find_portal(const std::string& email) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "SELECT " + std::string(portal_columns) +
      " FROM portal_accounts p JOIN eservice_accounts e ON e.account_id = p.eservice_id "
      "WHERE p.email = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, email);
  std::optional<portal_account> out;
  if (auto st = each_row(*s, [&](const sqlite::statement& r) { out = read_portal(r); }); !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<std::optional<portal_account>> account_store::find_portal(std::int64_t id) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "SELECT " + std::string(portal_columns) +
      " FROM portal_accounts p JOIN eservice_accounts e ON e.account_id = p.eservice_id "
      "WHERE p.portal_id = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, id);
  std::optional<portal_account> out;
  if (auto st = each_row(*s, [&](const sqlite::statement& r) { out = read_portal(r); }); !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<std::vector<sales_request>> account_store::sales_requests() {
  lock guard(mutex_);
  auto s = db_.prepare(
      "SELECT request_id, created_ms, email, customer_id, company, name, mobile_e164, handled_ms "
      "FROM sales_requests ORDER BY request_id");
  if (!s) return std::unexpected(s.error());
  std::vector<sales_request> out;
  if (auto st = each_row(*s,
                         [&](const sqlite::statement& r) {
                           out.push_back({r.column_int(0), r.column_int(1), r.column_text(2),
                                          r.column_text(3), r.column_text(4), r.column_text(5),
                                          r.column_text(6), r.is_null(7) ? 0 : r.column_int(7)});
                         });
      !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<std::vector<customer_unit>> account_store::customer_units(
    const std::string& customer_id, std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare("SELECT u.unit_id, u.name, b.building_id, b.name, " +
                       monitored_now_sql("u.unit_id", 2) + R"sql(
FROM units u JOIN buildings b ON b.building_id = u.building_id
WHERE b.customer_id = ?1 ORDER BY b.building_id, u.unit_id)sql");
  if (!s) return std::unexpected(s.error());
  s->bind(1, customer_id).bind(2, now_ms);
  std::vector<customer_unit> out;
  if (auto st = each_row(*s,
                         [&](const sqlite::statement& r) {
                           out.push_back({r.column_text(0), r.column_text(1), r.column_text(2),
                                          r.column_text(3), r.column_int(4) != 0});
                         });
      !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<std::optional<std::pair<std::string, std::int64_t>>> account_store::unit_status(
    const std::string& unit_id) {
  lock guard(mutex_);
  auto s = db_.prepare("SELECT status, updated_ms FROM unit_status WHERE unit_id = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, unit_id);
  std::optional<std::pair<std::string, std::int64_t>> out;
  if (auto st = each_row(
          *s, [&](const sqlite::statement& r) { out.emplace(r.column_text(0), r.column_int(1)); });
      !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<nlohmann::json> account_store::inspection_reports(const std::string& customer_id) {
  lock guard(mutex_);
  auto reports = nlohmann::json::array();
  // The visits table belongs to another module; read it only if it exists and names its unit.
  auto info = db_.prepare("SELECT name FROM pragma_table_info('visits')");
  if (!info) return std::unexpected(info.error());
  bool has_unit = false;
  if (auto st = each_row(*info,
                         [&](const sqlite::statement& r) {
                           has_unit = has_unit || r.column_text(0) == "unit_id";
                         });
      !st) {
    return std::unexpected(st.error());
  }
  if (!has_unit) return reports;
  auto s = db_.prepare(
      "SELECT v.* FROM visits v JOIN units u ON u.unit_id = v.unit_id "
      "JOIN buildings b ON b.building_id = u.building_id WHERE b.customer_id = ?1");
  if (!s) return std::unexpected(s.error());
  s->bind(1, customer_id);
  auto cols = db_.prepare("SELECT name, type FROM pragma_table_info('visits') ORDER BY cid");
  if (!cols) return std::unexpected(cols.error());
  std::vector<std::string> names;
  std::vector<std::string> types;
  if (auto st = each_row(*cols,
                         [&](const sqlite::statement& r) {
                           names.push_back(r.column_text(0));
                           types.push_back(r.column_text(1));
                         });
      !st) {
    return std::unexpected(st.error());
  }
  if (auto st = each_row(*s,
                         [&](const sqlite::statement& r) {
                           nlohmann::json row = nlohmann::json::object();
                           for (std::size_t i = 0; i < names.size(); ++i) {
                             const int c = static_cast<int>(i);
                             if (r.is_null(c)) {
                               row[names[i]] = nullptr;
                             } else if (types[i].find("INT") != std::string::npos) {
                               row[names[i]] = r.column_int(c);
                             } else if (types[i].find("REAL") != std::string::npos) {
                               row[names[i]] = r.column_double(c);
                             } else if (types[i].find("BLOB") != std::string::npos) {
                               row[names[i]] = common::crypto::to_hex(r.column_blob(c));
                             } else {
                               row[names[i]] = r.column_text(c);
                             }
                           }
                           reports.push_back(std::move(row));
                         });
      !st) {
    return std::unexpected(st.error());
  }
  return reports;
}

}  // namespace hoistway::cloud::accounts
