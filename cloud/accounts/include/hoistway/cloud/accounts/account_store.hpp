// The accounts' tables in the cloud store's SQLite file (schema component "accounts"), on the
// module's own connection: eService and portal accounts, sessions, verification codes, access
// requests, the sales queue, persisted locks, the mail outbox and the audit log. It also reads
// the store's tenancy tables (customers, buildings, units, contracts) and, if it exists, `visits`;
// whether a unit is monitored now is the directory's one definition (monitored_now_sql).
//
// Secrets never reach this class in clear: passwords and answers arrive as Argon2id strings,
// codes as salted SHA-256, session tokens as SHA-256.
//
// Writes go through an op that gets a write_batch (the write statements) inside a transaction.
// In write_mode::grouped (the HTTP server) a writer thread runs every queued op in one
// transaction, each in its own savepoint, and commits once: a flood of requests costs one fsync
// per commit, not one per request. write() waits for the commit (a new session must exist before
// its cookie is used); write_later() does not (a failed sign-in's rows, a reset, a code request:
// no answer depends on them), so even requests served one after another share commits, and
// every path of those routes makes its one queued write, known account or not. Ops run one after
// another, so a decision an op takes on what it reads (the mail caps) cannot race another
// request's. In write_mode::immediate (hoistway-admin) each op is its own transaction on the
// caller's thread. The queue is bounded (write_queue); beyond it both fail at once.
//
// Thread-safety: every member may be called from any thread; one mutex serialises the connection
// (callers do their Argon2id work outside it). An op runs with that mutex held: it may use only
// its write_batch, never the account_store (that would deadlock).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/accounts/settings.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::cloud::accounts {

// Creates or upgrades the accounts tables (component "accounts").
common::status migrate_accounts(common::sqlite::database& db);
// Appends one account event to the audit log.
common::status audit(common::sqlite::database& db, std::int64_t now_ms, std::string_view event,
                     std::string_view email, std::string_view address, std::string_view detail);

struct eservice_account {
  std::int64_t id = 0;
  std::string email;
  std::string customer_id;
  std::string language;
  std::string display_name;
  std::string password_hash;  // empty until the first password change
  std::string temp_hash;      // the one valid temporary password, or empty
  std::int64_t temp_issued_ms = 0;
  std::int64_t temp_expires_ms = 0;
  std::string question_id;  // empty: the question is (re)set at the next login
  std::string answer_hash;
  std::int64_t first_login_ms = 0;  // 0: never completed a login
  // Wrong security answers, counted on their own (a correct password never clears them).
  int answer_failures = 0;
  std::int64_t answer_window_start_ms = 0;
  std::int64_t answer_locked_until_ms = 0;
};

enum class session_kind { eservice, portal };
enum class session_stage { change_password, security_setup, security_challenge, signed_in };
std::string_view to_string(session_stage stage);

struct session_row {
  session_kind kind = session_kind::eservice;
  std::int64_t account_id = 0;
  session_stage stage = session_stage::signed_in;
  bool remember = false;
  std::int64_t expires_ms = 0;
};

enum class code_check { ok, wrong, expired, used, exhausted, none };
std::string_view to_string(code_check outcome);

struct access_request {
  std::int64_t id = 0;
  std::string email;
  std::int64_t eservice_id = 0;
  bool form_done = false;
  std::string form_json;      // the validated form, without the password
  std::string password_hash;  // the portal password, hashed at once
  int answer_failures = 0;
  std::int64_t expires_ms = 0;
};

struct portal_account {
  std::int64_t id = 0;
  std::int64_t eservice_id = 0;
  std::string email;
  std::string password_hash;
  std::string customer_id;
  std::string company;
  std::string last_name;
  std::string first_name;
  std::string country;
  std::string mobile_e164;
  std::string language;
};

struct sales_request {
  std::int64_t id = 0;
  std::int64_t created_ms = 0;
  std::string email;
  std::string customer_id;
  std::string company;
  std::string name;
  std::string mobile_e164;
  std::int64_t handled_ms = 0;
};

struct customer_unit {
  std::string unit_id;
  std::string name;
  std::string building_id;
  std::string building_name;
  bool monitored = false;  // a monitoring contract is open now
};

struct queued_mail {
  std::string kind;
  std::string sender;
  std::string recipient;
  std::string subject;
  std::string body;
};

// What the resend interval and the daily caps look at before a request queues a mail.
struct mail_counts {
  std::int64_t last_of_kind_ms = 0;  // the newest mail of this kind to the recipient, any origin
  std::int64_t to_recipient = 0;     // request-triggered mails to the recipient since `since`
  std::int64_t from_address = 0;     // mails requested from the client address since `since`
};

struct prune_report {
  std::int64_t deleted = 0;
  int steps = 0;
  bool done = true;  // false: max_steps ran out; the next run goes on
};

enum class write_mode { immediate, grouped };

// Sessions (signed in or between steps) an account keeps; a new one ends the oldest beyond it.
inline constexpr int max_sessions_per_account = 20;

// The write statements, on the connection of the transaction write() opened. Only inside an op.
class write_batch {
 public:
  explicit write_batch(common::sqlite::database& db) : db_(db) {}
  common::status audit(std::int64_t now_ms, std::string_view event, std::string_view email,
                       std::string_view address, std::string_view detail = {});
  // `requested_by`: the client address whose request queued it ("" for the operator and the
  // sales contact), for the per-address daily cap.
  common::status enqueue_mail(const queued_mail& mail, std::string_view requested_by,
                              std::int64_t now_ms);
  // The resend interval's and the daily caps' counts, read inside the op's transaction: ops run
  // one after another, so a decision made on them cannot race another request's mail.
  common::result<mail_counts> count_mails(const std::string& recipient, std::string_view kind,
                                          const std::string& requested_by, std::int64_t since_ms);
  // not_found if the customer does not exist; conflict if the e-mail is registered.
  common::result<std::int64_t> insert_eservice(const std::string& email,
                                               const std::string& customer_id,
                                               const std::string& language, std::int64_t now_ms);
  common::status set_temp_password(std::int64_t id, const std::string& hash, std::int64_t now_ms,
                                   std::int64_t expires_ms);
  // Sets the password, spends the temporary one and ends every session of the account.
  common::status set_password(std::int64_t id, const std::string& hash, std::int64_t now_ms);
  // Sets (or, with empty values, clears) the question; clears the answer failures and their lock.
  common::status set_security(std::int64_t id, const std::string& question_id,
                              const std::string& answer_hash, std::int64_t now_ms);
  common::status mark_logged_in(std::int64_t id, std::int64_t now_ms);
  common::status update_profile(std::int64_t id, const std::string& display_name,
                                const std::string& language, std::int64_t now_ms);
  // One wrong security answer: counted within window_ms; the limit-th locks answers for lock_ms.
  // Returns the lock's end (0: not locked).
  common::result<std::int64_t> answer_failure(std::int64_t id, std::int64_t now_ms, int limit,
                                              std::int64_t window_ms, std::int64_t lock_ms);
  // A persisted lock (an account's safety lock), kept until `until_ms`.
  common::status lock(const std::string& key, std::int64_t until_ms);
  common::status create_session(const std::vector<std::uint8_t>& token_hash, const session_row& row,
                                std::int64_t now_ms);
  common::status delete_session(const std::vector<std::uint8_t>& token_hash);
  // A new code voids every earlier one for the e-mail.
  common::status insert_code(const std::string& email, const std::string& code, std::int64_t now_ms,
                             std::int64_t expires_ms);
  // Every try counts, right or wrong.
  common::result<code_check> check_code(const std::string& email, const std::string& code,
                                        std::int64_t now_ms, int max_tries);
  common::status create_request(const std::vector<std::uint8_t>& token_hash,
                                const std::string& email, std::int64_t eservice_id,
                                std::int64_t now_ms, std::int64_t expires_ms);
  common::status save_form(std::int64_t request_id, const std::string& form_json,
                           const std::string& password_hash);
  common::result<int> add_request_answer_failure(std::int64_t request_id);
  common::status delete_request(std::int64_t request_id);
  // The portal account and its sales request; conflict if one exists.
  common::result<std::int64_t> create_portal(const portal_account& account,
                                             const nlohmann::json& form, std::int64_t now_ms);

 private:
  common::sqlite::database& db_;
};

class account_store {
 public:
  static common::result<std::unique_ptr<account_store>> open(
      const std::string& path, write_mode mode = write_mode::immediate,
      std::size_t write_queue = 10000);
  ~account_store();
  account_store(const account_store&) = delete;
  account_store& operator=(const account_store&) = delete;

  // Runs `op` in a transaction and returns once it is durable (see the file comment). If `op`
  // fails its writes are undone and its error returned; unavailable when the queue is full.
  common::status write(const std::function<common::status(write_batch&)>& op);
  // Queues `op` for the next group commit and returns at once (immediate mode: runs it now):
  // for writes no answer depends on (a failure's audit row, a reset's mail), so a serial flood of
  // them still shares commits. `then`, if given, gets op's outcome after the commit, on the
  // writer thread with the connection's mutex held: it must not use the store. `op` must own
  // what it uses. unavailable (nothing queued) when the queue is full.
  common::status write_later(std::function<common::status(write_batch&)> op,
                             std::function<void(const common::status&)> then = {});
  // Returns once every write queued before it is committed or failed (tests; an orderly stop).
  void flush();

  // eService accounts.
  common::result<std::optional<eservice_account>> find_eservice(const std::string& email);
  common::result<std::optional<eservice_account>> find_eservice(std::int64_t id);

  // A persisted lock's end for `key`, 0 if none is in force. An error must refuse the request
  // (fail closed), never let it through.
  common::result<std::int64_t> locked_until(const std::string& key, std::int64_t now_ms);

  // Sessions, by SHA-256 of the token.
  common::result<std::optional<session_row>> find_session(
      const std::vector<std::uint8_t>& token_hash, session_kind kind, std::int64_t now_ms);
  // Access requests (the customer-portal form between the code and the security answer).
  common::result<std::optional<access_request>> find_request(
      const std::vector<std::uint8_t>& token_hash, std::int64_t now_ms);

  // Portal accounts and the sales queue.
  common::result<std::optional<portal_account>> find_portal(const std::string& email);
  common::result<std::optional<portal_account>> find_portal(std::int64_t id);
  common::result<std::vector<sales_request>> sales_requests();

  // Tenancy.
  common::result<std::vector<customer_unit>> customer_units(const std::string& customer_id,
                                                            std::int64_t now_ms);
  // The last stored run state of a unit (the store's unit_status), or nullopt.
  common::result<std::optional<std::pair<std::string, std::int64_t>>> unit_status(
      const std::string& unit_id);
  // Rows of `visits` for the customer's units, or an empty array while no such table exists.
  common::result<nlohmann::json> inspection_reports(const std::string& customer_id);

  // Deletes what retention says has expired, at most batch_rows rows per step (one short
  // transaction each, so writers wait at most one step) and max_steps steps per call: audit rows
  // older than audit_ms or beyond audit_max_rows (oldest first), sent or failed mails older than
  // mail_ms, expired sessions, codes, access requests and locks.
  common::result<prune_report> prune(std::int64_t now_ms, const retention_settings& retention);

 private:
  struct pending_write {
    std::function<common::status(write_batch&)> op;
    std::promise<common::status>* waiter = nullptr;   // a caller of write(), or
    std::function<void(const common::status&)> then;  // what write_later() was given
  };
  account_store(common::sqlite::database db, write_mode mode, std::size_t write_queue);
  common::status enqueue(std::unique_ptr<pending_write> p);
  void run_writer();
  // Runs `batch` in one transaction (each op in a savepoint); needs mutex_.
  void commit_group(std::vector<std::unique_ptr<pending_write>>& batch);

  std::mutex mutex_;  // the connection
  common::sqlite::database db_;
  const write_mode mode_;
  const std::size_t write_queue_;
  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::condition_variable idle_cv_;
  std::deque<std::unique_ptr<pending_write>> queue_;
  bool committing_ = false;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace hoistway::cloud::accounts
