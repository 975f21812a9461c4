// The [accounts] section of ingest.toml (every key documented in config/accounts.example.toml),
// read strictly: unknown keys and out-of-range values are errors naming file, line and key.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "hoistway/cloud/accounts/policy.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::cloud::accounts {

enum class hash_profile {
  secure,  // Argon2id t >= 2, m >= 19 MiB (OWASP ASVS); the default
  test,    // t = 1, m = 8 KiB: only for fast tests; the server logs a warning
};

struct hashing_settings {
  hash_profile profile = hash_profile::secure;
  std::uint64_t iterations = 2;
  std::size_t memory_bytes = 19U * 1024U * 1024U;
  // At most this many Argon2id computations at once in the process, so a flood of sign-in or
  // reset requests can never take every core (1 on the 2-core reference machine: the other core
  // stays for the ingest and the API). A request waits at most wait_ms for a slot, and at most
  // queue requests wait; the others are refused at once (503, Retry-After).
  int concurrency = 1;
  std::int64_t wait_ms = 250;
  int queue = 8;
};

struct smtp_settings {
  std::string url = "smtp://127.0.0.1:25";  // smtp:// (STARTTLS with require_tls) or smtps://
  std::string from = "eservice@hoistway.example";
  std::string portal_from;  // empty: `from`
  std::string username;
  std::string password;
  bool require_tls = true;  // the demo and the tests turn it off for their local plain sink
  int timeout_s = 30;
  int max_attempts = 8;       // then the mail is marked failed (and audited)
  int backoff_initial_s = 5;  // doubled after every failed attempt
  int backoff_max_s = 3600;
  int poll_interval_ms = 1000;  // how often the sender looks for mails queued by other processes
};

// [accounts.throttle]: checked before any password hashing. The numbers and why they hold are in
// config/accounts.example.toml.
struct throttle_settings {
  // Requests that name an account or hash a secret, per client address (token bucket).
  int address_requests_per_minute = 60;
  // Failures from one address, on any accounts, within window_ms lock that address for lock_ms.
  int address_failures = 20;
  std::int64_t window_ms = 15LL * 60 * 1000;
  std::int64_t lock_ms = 15LL * 60 * 1000;
  // One address on one account: after pair_free_failures failures each further attempt waits
  // pair_delay_initial_ms, doubled per failure up to pair_delay_max_ms; forgotten after
  // pair_forget_ms without a failure, or at once by a correct password from that address.
  int pair_free_failures = 5;
  std::int64_t pair_delay_initial_ms = 1000;
  std::int64_t pair_delay_max_ms = 15LL * 60 * 1000;
  std::int64_t pair_forget_ms = 24LL * 3600 * 1000;
  // The safety net of one account, from every address together: account_failures within
  // account_window_ms lock it for account_lock_ms (persisted, so a restart keeps it).
  int account_failures = 100;
  std::int64_t account_window_ms = 3600LL * 1000;
  std::int64_t account_lock_ms = 15LL * 60 * 1000;
  // Wrong security answers of one account (eService and the portal request together), counted on
  // their own and never cleared by a correct password: answer_failures within answer_window_ms
  // lock the answer step for answer_lock_ms (persisted; the operator's reset clears it).
  int answer_failures = 5;
  std::int64_t answer_window_ms = 24LL * 3600 * 1000;
  std::int64_t answer_lock_ms = 24LL * 3600 * 1000;
  // The in-memory throttle table (least recently used entries go first).
  std::size_t max_entries = 50000;
};

// [accounts.limits]: daily caps on what a customer (or anyone) can make the system send or try.
struct limit_settings {
  // Mails a request can trigger (temporary passwords, codes, "not eligible"): per recipient and per
  // requesting address within 24 hours, besides resend_interval_s.
  int mails_per_recipient_per_day = 10;
  int mails_per_address_per_day = 20;
  // Requests per client address within 24 hours (over: 429).
  int code_requests_per_address_per_day = 20;
  int verifications_per_address_per_day = 50;
  int reset_requests_per_address_per_day = 20;
  // Writes waiting for the next group commit; beyond it requests are refused (503).
  std::size_t write_queue = 10000;
};

// [accounts.retention]: the accounts' tables stay bounded; pruning runs in short steps.
struct retention_settings {
  std::int64_t audit_ms = 90LL * 24 * 3600 * 1000;
  std::int64_t audit_max_rows = 1'000'000;
  std::int64_t mail_ms = 30LL * 24 * 3600 * 1000;  // sent or failed mails (bodies already erased)
  std::int64_t interval_ms = 60LL * 1000;
  std::int64_t batch_rows = 1000;  // rows per step (one short transaction)
  int max_steps = 50;              // steps per run; the rest waits for the next run
};

struct security_question {
  std::string id;
  std::string ja;
  std::string en;
};

struct settings {
  policy rules;
  hashing_settings hashing;
  smtp_settings smtp;
  std::string eservice_url = "http://127.0.0.1:8080/api/v1/eservice/login";
  std::string portal_url = "http://127.0.0.1:8080/api/v1/portal/access-request";
  std::string brand_ja = "Hoistway";
  std::string brand_en = "Hoistway";
  std::string portal_name = "HoistwayCustomerPortal";
  std::string sales_email;  // empty: requests are only queued in the table
  std::string default_language = "ja";
  std::string privacy_policy_version = "2024-04-01";
  std::string terms_of_use_version = "2024-04-01";
  bool cookie_secure = true;  // off only for plain-HTTP development (the demo, the tests)
  // Sessions.
  std::int64_t session_ms = 8LL * 3600 * 1000;
  std::int64_t remember_ms = 30LL * 24 * 3600 * 1000;
  std::int64_t step_ms = 15LL * 60 * 1000;  // between the steps of a login or a request
  throttle_settings throttle;
  limit_settings limits;
  retention_settings retention;
  // "Click once only": a second mail of a kind to the same address within this interval is not
  // sent (the customer sees the same answer).
  std::int64_t resend_interval_ms = 60LL * 1000;
  std::vector<security_question> questions;

  static common::result<settings> load(const toml::table& section, const std::string& source);
};

// How many failures one address can make on one account within window_ms under the throttle's
// pair delay and address lock: the per-account safety limit must stay above it.
int failures_one_address_can_make(const throttle_settings& t, std::int64_t window_ms);

}  // namespace hoistway::cloud::accounts
