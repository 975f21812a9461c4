// The accounts' tables in the cloud store's SQLite file (schema component "accounts"), on the
// module's own connection: eService and portal accounts, sessions, verification codes, access
// requests, the sales queue, throttling counters, the mail outbox and the audit log. It also reads
// the store's tenancy tables (customers, buildings, units, contracts) and, if it exists, `visits`.
//
// Secrets never reach this class in clear: passwords and answers arrive as Argon2id strings,
// codes as salted SHA-256, session tokens as SHA-256.
//
// Thread-safety: every member may be called from any thread; one mutex serialises the connection
// (callers do their Argon2id work outside it).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

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
  std::string password_hash;       // empty until the first password change
  std::string temp_hash;           // the one valid temporary password, or empty
  std::int64_t temp_issued_ms = 0;
  std::int64_t temp_expires_ms = 0;
  std::string question_id;         // empty: the question is (re)set at the next login
  std::string answer_hash;
  std::int64_t first_login_ms = 0;  // 0: never completed a login
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
  std::string form_json;       // the validated form, without the password
  std::string password_hash;   // the portal password, hashed at once
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

class account_store {
 public:
  static common::result<std::unique_ptr<account_store>> open(const std::string& path);

  // eService accounts.
  common::result<std::optional<eservice_account>> find_eservice(const std::string& email);
  common::result<std::optional<eservice_account>> find_eservice(std::int64_t id);
  // not_found if the customer does not exist; conflict if the e-mail is registered.
  common::result<std::int64_t> insert_eservice(const std::string& email, const std::string& customer_id,
                                               const std::string& language, std::int64_t now_ms);
  common::status set_temp_password(std::int64_t id, const std::string& hash, std::int64_t now_ms,
                                   std::int64_t expires_ms);
  // Sets the password, spends the temporary one and ends every session of the account.
  common::status set_password(std::int64_t id, const std::string& hash, std::int64_t now_ms);
  common::status set_security(std::int64_t id, const std::string& question_id,
                              const std::string& answer_hash, std::int64_t now_ms);
  common::status mark_logged_in(std::int64_t id, std::int64_t now_ms);
  common::status update_profile(std::int64_t id, const std::string& display_name,
                                const std::string& language, std::int64_t now_ms);

  // Throttling by key ("account:<email>", "address:<ip>"): failures within window lock the key.
  std::int64_t locked_until(const std::string& key, std::int64_t now_ms);
  // Returns true if this failure locked the key.
  bool record_failure(const std::string& key, std::int64_t now_ms, int max_failures,
                      std::int64_t window_ms, std::int64_t lock_ms);
  void clear_failures(const std::string& key);

  // Sessions, by SHA-256 of the token.
  common::status create_session(const std::vector<std::uint8_t>& token_hash, const session_row& row,
                                std::int64_t now_ms);
  std::optional<session_row> find_session(const std::vector<std::uint8_t>& token_hash,
                                          session_kind kind, std::int64_t now_ms);
  void delete_session(const std::vector<std::uint8_t>& token_hash);

  // Verification codes: a new code voids every earlier one for the e-mail.
  std::int64_t last_code_ms(const std::string& email);
  common::status insert_code(const std::string& email, const std::string& code, std::int64_t now_ms,
                             std::int64_t expires_ms);
  code_check check_code(const std::string& email, const std::string& code, std::int64_t now_ms,
                        int max_tries);

  // Access requests (the customer-portal form between the code and the security answer).
  common::status create_request(const std::vector<std::uint8_t>& token_hash, const std::string& email,
                                std::int64_t eservice_id, std::int64_t now_ms, std::int64_t expires_ms);
  std::optional<access_request> find_request(const std::vector<std::uint8_t>& token_hash,
                                             std::int64_t now_ms);
  common::status save_form(std::int64_t request_id, const std::string& form_json,
                           const std::string& password_hash);
  int add_answer_failure(std::int64_t request_id);
  void delete_request(std::int64_t request_id);

  // Portal accounts and the sales queue; create_portal does both in one transaction.
  common::result<std::optional<portal_account>> find_portal(const std::string& email);
  common::result<std::optional<portal_account>> find_portal(std::int64_t id);
  common::result<std::int64_t> create_portal(const portal_account& account, const nlohmann::json& form,
                                             std::int64_t now_ms);
  common::result<std::vector<sales_request>> sales_requests();

  // Tenancy.
  common::result<std::vector<customer_unit>> customer_units(const std::string& customer_id,
                                                            std::int64_t now_ms);
  // The last stored run state of a unit (the store's unit_status), or nullopt.
  common::result<std::optional<std::pair<std::string, std::int64_t>>> unit_status(const std::string& unit_id);
  // Rows of `visits` for the customer's units, or an empty array while no such table exists.
  common::result<nlohmann::json> inspection_reports(const std::string& customer_id);

  common::status enqueue_mail(const queued_mail& mail, std::int64_t now_ms);
  common::status audit(std::int64_t now_ms, std::string_view event, std::string_view email,
                       std::string_view address, std::string_view detail = {});

 private:
  explicit account_store(common::sqlite::database db) : db_(std::move(db)) {}
  std::mutex mutex_;
  common::sqlite::database db_;
};

}  // namespace hoistway::cloud::accounts
