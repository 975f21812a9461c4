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
};

struct smtp_settings {
  std::string url = "smtp://127.0.0.1:25";  // smtp:// (STARTTLS with require_tls) or smtps://
  std::string from = "eservice@hoistway.example";
  std::string portal_from;  // empty: `from`
  std::string username;
  std::string password;
  bool require_tls = false;
  int timeout_s = 30;
  int max_attempts = 8;         // then the mail is marked failed (and audited)
  int backoff_initial_s = 5;    // doubled after every failed attempt
  int backoff_max_s = 3600;
  int poll_interval_ms = 1000;  // how often the sender looks for mails queued by other processes
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
  bool cookie_secure = false;  // set under TLS (or behind a TLS proxy)
  // Sessions.
  std::int64_t session_ms = 8LL * 3600 * 1000;
  std::int64_t remember_ms = 30LL * 24 * 3600 * 1000;
  std::int64_t step_ms = 15LL * 60 * 1000;  // between the steps of a login or a request
  // Throttling: failures within window_ms lock the account (or the address) for lock_ms.
  int account_failures = 5;
  int address_failures = 20;
  std::int64_t throttle_window_ms = 15LL * 60 * 1000;
  std::int64_t lock_ms = 15LL * 60 * 1000;
  // "Click once only": a second reset mail or code within this interval is not sent.
  std::int64_t resend_interval_ms = 60LL * 1000;
  std::vector<security_question> questions;

  static common::result<settings> load(const toml::table& section, const std::string& source);
};

}  // namespace hoistway::cloud::accounts
