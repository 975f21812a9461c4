// The accounts' SQL.
#include "hoistway/cloud/accounts/account_store.hpp"

#include "hoistway/cloud/store.hpp"
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
    "temp_issued_ms, temp_expires_ms, question_id, answer_hash, first_login_ms";

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

std::string_view kind_text(session_kind k) { return k == session_kind::portal ? "portal" : "eservice"; }

}  // namespace

std::string_view to_string(session_stage stage) {
  switch (stage) {
    case session_stage::change_password: return "change_password";
    case session_stage::security_setup: return "security_setup";
    case session_stage::security_challenge: return "security_challenge";
    case session_stage::signed_in: return "signed_in";
  }
  return "signed_in";
}

std::string_view to_string(code_check outcome) {
  switch (outcome) {
    case code_check::ok: return "ok";
    case code_check::wrong: return "wrong";
    case code_check::expired: return "expired";
    case code_check::used: return "used";
    case code_check::exhausted: return "exhausted";
    case code_check::none: return "none";
  }
  return "none";
}

common::status migrate_accounts(sqlite::database& db) { return sqlite::migrate(db, "accounts", migrations); }

common::status audit(sqlite::database& db, std::int64_t now_ms, std::string_view event,
                     std::string_view email, std::string_view address, std::string_view detail) {
  auto stmt = db.prepare(
      "INSERT INTO account_audit(at_ms, event, email, address, detail) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return std::unexpected(stmt.error());
  // std::string: an empty string_view may carry a null pointer, which SQLite binds as NULL.
  return stmt->bind(1, now_ms)
      .bind(2, std::string(event))
      .bind(3, std::string(email))
      .bind(4, std::string(address))
      .bind(5, std::string(detail))
      .run();
}

common::result<std::unique_ptr<account_store>> account_store::open(const std::string& path) {
  {
    // The tenancy tables the accounts refer to belong to the store: make sure they exist.
    auto tenancy = store::open(path);
    if (!tenancy) return std::unexpected(tenancy.error());
  }
  auto db = sqlite::database::open(path, {.sync = sqlite::durability::full});
  if (!db) return std::unexpected(db.error());
  if (auto st = migrate_accounts(*db); !st) return std::unexpected(st.error());
  return std::unique_ptr<account_store>(new account_store(std::move(*db)));
}

common::result<std::optional<eservice_account>> account_store::find_eservice(const std::string& email) {
  lock guard(mutex_);
  auto s = db_.prepare("SELECT " + std::string(eservice_columns) + " FROM eservice_accounts WHERE email = ?1");
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

common::result<std::int64_t> account_store::insert_eservice(const std::string& email,
                                                            const std::string& customer_id,
                                                            const std::string& language,
                                                            std::int64_t now_ms) {
  lock guard(mutex_);
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
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
  if (*row == sqlite::step_result::row) return fail(errc::conflict, email + " is already registered");
  auto ins = db_.prepare(
      "INSERT INTO eservice_accounts(email, customer_id, language, created_ms, updated_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?4)");
  if (!ins) return std::unexpected(ins.error());
  if (auto st = ins->bind(1, email).bind(2, customer_id).bind(3, language).bind(4, now_ms).run(); !st) {
    return std::unexpected(st.error());
  }
  const auto id = db_.last_insert_rowid();
  if (auto st = tx->commit(); !st) return std::unexpected(st.error());
  return id;
}

common::status account_store::set_temp_password(std::int64_t id, const std::string& hash,
                                                std::int64_t now_ms, std::int64_t expires_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET temp_hash = ?2, temp_issued_ms = ?3, temp_expires_ms = ?4, "
      "updated_ms = ?3 WHERE account_id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, id).bind(2, hash).bind(3, now_ms).bind(4, expires_ms).run();
}

common::status account_store::set_password(std::int64_t id, const std::string& hash, std::int64_t now_ms) {
  lock guard(mutex_);
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET password_hash = ?2, temp_hash = '', temp_expires_ms = 0, "
      "updated_ms = ?3 WHERE account_id = ?1");
  if (!s) return std::unexpected(s.error());
  if (auto st = s->bind(1, id).bind(2, hash).bind(3, now_ms).run(); !st) return st;
  if (auto st = db_.exec("DELETE FROM account_sessions WHERE kind = 'eservice' AND account_id = " +
                         std::to_string(id));
      !st) {
    return st;
  }
  return tx->commit();
}

common::status account_store::set_security(std::int64_t id, const std::string& question_id,
                                           const std::string& answer_hash, std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET question_id = ?2, answer_hash = ?3, updated_ms = ?4 "
      "WHERE account_id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, id).bind(2, question_id).bind(3, answer_hash).bind(4, now_ms).run();
}

common::status account_store::mark_logged_in(std::int64_t id, std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET first_login_ms = ?2 WHERE account_id = ?1 AND first_login_ms = 0");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, id).bind(2, now_ms).run();
}

common::status account_store::update_profile(std::int64_t id, const std::string& display_name,
                                             const std::string& language, std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "UPDATE eservice_accounts SET display_name = ?2, language = ?3, updated_ms = ?4 WHERE account_id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, id).bind(2, display_name).bind(3, language).bind(4, now_ms).run();
}

std::int64_t account_store::locked_until(const std::string& key, std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare("SELECT locked_until_ms FROM login_throttle WHERE key = ?1");
  if (!s) return 0;
  s->bind(1, key);
  std::int64_t until = 0;
  (void)each_row(*s, [&](const sqlite::statement& r) { until = r.column_int(0); });
  return until > now_ms ? until : 0;
}

bool account_store::record_failure(const std::string& key, std::int64_t now_ms, int max_failures,
                                   std::int64_t window_ms, std::int64_t lock_ms) {
  lock guard(mutex_);
  // A failure outside the window starts a new one; reaching the limit locks and starts over.
  auto s = db_.prepare(R"sql(
INSERT INTO login_throttle(key, failures, window_start_ms) VALUES (?1, 1, ?2)
ON CONFLICT(key) DO UPDATE SET
  failures = CASE WHEN window_start_ms + ?3 <= ?2 THEN 1 ELSE failures + 1 END,
  window_start_ms = CASE WHEN window_start_ms + ?3 <= ?2 THEN ?2 ELSE window_start_ms END)sql");
  if (!s || !s->bind(1, key).bind(2, now_ms).bind(3, window_ms).run()) return false;
  auto lock_now = db_.prepare(
      "UPDATE login_throttle SET locked_until_ms = ?2 + ?3, failures = 0, window_start_ms = ?2 "
      "WHERE key = ?1 AND failures >= ?4");
  if (!lock_now || !lock_now->bind(1, key).bind(2, now_ms).bind(3, lock_ms).bind(4, max_failures).run()) {
    return false;
  }
  return db_.changes() > 0;
}

void account_store::clear_failures(const std::string& key) {
  lock guard(mutex_);
  if (auto s = db_.prepare("DELETE FROM login_throttle WHERE key = ?1")) (void)s->bind(1, key).run();
}

common::status account_store::create_session(const std::vector<std::uint8_t>& token_hash,
                                             const session_row& row, std::int64_t now_ms) {
  lock guard(mutex_);
  // Expired sessions are swept as new ones come.
  if (auto st = db_.exec("DELETE FROM account_sessions WHERE expires_ms < " + std::to_string(now_ms)); !st) {
    return st;
  }
  auto s = db_.prepare(
      "INSERT INTO account_sessions(token_sha256, kind, account_id, stage, remember, created_ms, "
      "expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, std::span<const std::uint8_t>(token_hash))
      .bind(2, kind_text(row.kind))
      .bind(3, row.account_id)
      .bind(4, to_string(row.stage))
      .bind(5, row.remember)
      .bind(6, now_ms)
      .bind(7, row.expires_ms)
      .run();
}

std::optional<session_row> account_store::find_session(const std::vector<std::uint8_t>& token_hash,
                                                       session_kind kind, std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "SELECT account_id, stage, remember, expires_ms FROM account_sessions "
      "WHERE token_sha256 = ?1 AND kind = ?2 AND expires_ms > ?3");
  if (!s) return std::nullopt;
  s->bind(1, std::span<const std::uint8_t>(token_hash)).bind(2, kind_text(kind)).bind(3, now_ms);
  std::optional<session_row> out;
  (void)each_row(*s, [&](const sqlite::statement& r) {
    out = session_row{kind, r.column_int(0), stage_from(r.column_text(1)), r.column_int(2) != 0,
                      r.column_int(3)};
  });
  return out;
}

void account_store::delete_session(const std::vector<std::uint8_t>& token_hash) {
  lock guard(mutex_);
  if (auto s = db_.prepare("DELETE FROM account_sessions WHERE token_sha256 = ?1")) {
    (void)s->bind(1, std::span<const std::uint8_t>(token_hash)).run();
  }
}

std::int64_t account_store::last_code_ms(const std::string& email) {
  lock guard(mutex_);
  auto s = db_.prepare("SELECT MAX(created_ms) FROM verification_codes WHERE email = ?1");
  if (!s) return 0;
  s->bind(1, email);
  std::int64_t last = 0;
  (void)each_row(*s, [&](const sqlite::statement& r) { last = r.is_null(0) ? 0 : r.column_int(0); });
  return last;
}

common::status account_store::insert_code(const std::string& email, const std::string& code,
                                          std::int64_t now_ms, std::int64_t expires_ms) {
  lock guard(mutex_);
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto v = db_.prepare(
      "UPDATE verification_codes SET voided_ms = ?2 WHERE email = ?1 AND used_ms IS NULL AND voided_ms IS NULL");
  if (!v) return std::unexpected(v.error());
  if (auto st = v->bind(1, email).bind(2, now_ms).run(); !st) return st;
  const auto salt = common::crypto::random_bytes(16);
  const auto digest = code_digest(salt, code);
  auto s = db_.prepare(
      "INSERT INTO verification_codes(email, salt, code_sha256, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  if (auto st = s->bind(1, email)
                    .bind(2, std::span<const std::uint8_t>(salt))
                    .bind(3, std::span<const std::uint8_t>(digest))
                    .bind(4, now_ms)
                    .bind(5, expires_ms)
                    .run();
      !st) {
    return st;
  }
  return tx->commit();
}

code_check account_store::check_code(const std::string& email, const std::string& code,
                                     std::int64_t now_ms, int max_tries) {
  lock guard(mutex_);
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return code_check::none;
  // The newest code for the address decides; a voided one means a newer code was sent.
  auto s = db_.prepare(
      "SELECT code_id, salt, code_sha256, expires_ms, tries, used_ms IS NOT NULL, voided_ms IS NOT NULL "
      "FROM verification_codes WHERE email = ?1 ORDER BY code_id DESC LIMIT 1");
  if (!s) return code_check::none;
  s->bind(1, email);
  auto row = s->step();
  if (!row || *row != sqlite::step_result::row) return code_check::none;
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
  if (auto st = db_.exec("UPDATE verification_codes SET tries = tries + 1 WHERE code_id = " + std::to_string(id));
      !st) {
    return code_check::none;
  }
  code_check outcome = code_check::ok;
  if (expires <= now_ms) {
    outcome = code_check::expired;
  } else if (!common::crypto::constant_time_equal(code_digest(salt, code), stored)) {
    outcome = code_check::wrong;
  } else {
    auto u = db_.prepare("UPDATE verification_codes SET used_ms = ?2 WHERE code_id = ?1");
    if (!u || !u->bind(1, id).bind(2, now_ms).run()) return code_check::none;
  }
  if (!tx->commit()) return code_check::none;
  return outcome;
}

common::status account_store::create_request(const std::vector<std::uint8_t>& token_hash,
                                             const std::string& email, std::int64_t eservice_id,
                                             std::int64_t now_ms, std::int64_t expires_ms) {
  lock guard(mutex_);
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  if (auto st = db_.exec("DELETE FROM access_requests WHERE expires_ms < " + std::to_string(now_ms)); !st) return st;
  auto d = db_.prepare("DELETE FROM access_requests WHERE email = ?1");
  if (!d) return std::unexpected(d.error());
  if (auto st = d->bind(1, email).run(); !st) return st;
  auto s = db_.prepare(
      "INSERT INTO access_requests(token_sha256, email, eservice_id, created_ms, expires_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!s) return std::unexpected(s.error());
  if (auto st = s->bind(1, std::span<const std::uint8_t>(token_hash))
                    .bind(2, email)
                    .bind(3, eservice_id)
                    .bind(4, now_ms)
                    .bind(5, expires_ms)
                    .run();
      !st) {
    return st;
  }
  return tx->commit();
}

std::optional<access_request> account_store::find_request(const std::vector<std::uint8_t>& token_hash,
                                                          std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "SELECT request_id, email, eservice_id, form_json, password_hash, answer_failures, expires_ms "
      "FROM access_requests WHERE token_sha256 = ?1 AND expires_ms > ?2");
  if (!s) return std::nullopt;
  s->bind(1, std::span<const std::uint8_t>(token_hash)).bind(2, now_ms);
  std::optional<access_request> out;
  (void)each_row(*s, [&](const sqlite::statement& r) {
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
  return out;
}

common::status account_store::save_form(std::int64_t request_id, const std::string& form_json,
                                        const std::string& password_hash) {
  lock guard(mutex_);
  auto s = db_.prepare("UPDATE access_requests SET form_json = ?2, password_hash = ?3 WHERE request_id = ?1");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, request_id).bind(2, form_json).bind(3, password_hash).run();
}

int account_store::add_answer_failure(std::int64_t request_id) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "UPDATE access_requests SET answer_failures = answer_failures + 1 WHERE request_id = ?1 "
      "RETURNING answer_failures");
  if (!s) return 1'000'000;
  s->bind(1, request_id);
  int failures = 1'000'000;
  (void)each_row(*s, [&](const sqlite::statement& r) { failures = static_cast<int>(r.column_int(0)); });
  return failures;
}

void account_store::delete_request(std::int64_t request_id) {
  lock guard(mutex_);
  (void)db_.exec("DELETE FROM access_requests WHERE request_id = " + std::to_string(request_id));
}

common::result<std::optional<portal_account>> account_store::find_portal(const std::string& email) {
  lock guard(mutex_);
  auto s = db_.prepare("SELECT " + std::string(portal_columns) +
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
  auto s = db_.prepare("SELECT " + std::string(portal_columns) +
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

common::result<std::int64_t> account_store::create_portal(const portal_account& a,
                                                          const nlohmann::json& form,
                                                          std::int64_t now_ms) {
  lock guard(mutex_);
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto s = db_.prepare(
      "INSERT INTO portal_accounts(eservice_id, email, password_hash, company, last_name, first_name, "
      "country, mobile_e164, privacy_policy_version, privacy_policy_accepted_ms, terms_of_use_version, "
      "terms_of_use_accepted_ms, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
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
      "INSERT INTO sales_requests(portal_id, customer_id, email, company, name, mobile_e164, created_ms) "
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
  if (auto cs = tx->commit(); !cs) return std::unexpected(cs.error());
  return id;
}

common::result<std::vector<sales_request>> account_store::sales_requests() {
  lock guard(mutex_);
  auto s = db_.prepare(
      "SELECT request_id, created_ms, email, customer_id, company, name, mobile_e164, handled_ms "
      "FROM sales_requests ORDER BY request_id");
  if (!s) return std::unexpected(s.error());
  std::vector<sales_request> out;
  if (auto st = each_row(*s, [&](const sqlite::statement& r) {
        out.push_back({r.column_int(0), r.column_int(1), r.column_text(2), r.column_text(3),
                       r.column_text(4), r.column_text(5), r.column_text(6),
                       r.is_null(7) ? 0 : r.column_int(7)});
      });
      !st) {
    return std::unexpected(st.error());
  }
  return out;
}

common::result<std::vector<customer_unit>> account_store::customer_units(const std::string& customer_id,
                                                                         std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(R"sql(
SELECT u.unit_id, u.name, b.building_id, b.name,
       EXISTS (SELECT 1 FROM contracts c WHERE c.unit_id = u.unit_id AND c.kind = 'monitoring'
               AND c.starts_ms <= ?2 AND (c.ends_ms IS NULL OR c.ends_ms > ?2))
FROM units u JOIN buildings b ON b.building_id = u.building_id
WHERE b.customer_id = ?1 ORDER BY b.building_id, u.unit_id)sql");
  if (!s) return std::unexpected(s.error());
  s->bind(1, customer_id).bind(2, now_ms);
  std::vector<customer_unit> out;
  if (auto st = each_row(*s, [&](const sqlite::statement& r) {
        out.push_back({r.column_text(0), r.column_text(1), r.column_text(2), r.column_text(3),
                       r.column_int(4) != 0});
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
  if (auto st = each_row(*s, [&](const sqlite::statement& r) { out.emplace(r.column_text(0), r.column_int(1)); });
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
  if (auto st = each_row(*info, [&](const sqlite::statement& r) { has_unit = has_unit || r.column_text(0) == "unit_id"; });
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
  if (auto st = each_row(*cols, [&](const sqlite::statement& r) {
        names.push_back(r.column_text(0));
        types.push_back(r.column_text(1));
      });
      !st) {
    return std::unexpected(st.error());
  }
  if (auto st = each_row(*s, [&](const sqlite::statement& r) {
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

common::status account_store::enqueue_mail(const queued_mail& mail, std::int64_t now_ms) {
  lock guard(mutex_);
  auto s = db_.prepare(
      "INSERT INTO mail_outbox(kind, sender, recipient, subject, body, created_ms, next_attempt_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)");
  if (!s) return std::unexpected(s.error());
  return s->bind(1, mail.kind)
      .bind(2, mail.sender)
      .bind(3, mail.recipient)
      .bind(4, mail.subject)
      .bind(5, mail.body)
      .bind(6, now_ms)
      .run();
}

common::status account_store::audit(std::int64_t now_ms, std::string_view event, std::string_view email,
                                    std::string_view address, std::string_view detail) {
  lock guard(mutex_);
  return accounts::audit(db_, now_ms, event, email, address, detail);
}

}  // namespace hoistway::cloud::accounts
