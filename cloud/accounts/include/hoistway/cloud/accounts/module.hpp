// eService and customer-portal accounts (the rules are the customer guide's, policy.hpp): the
// module's two faces. The HTTP face serves the registration and login flows; the operator face is
// what `hoistway-admin eservice …` calls.
//
// The module keeps its tables in the cloud store's SQLite file, on its own connections, under
// schema component "accounts"; it reads customers, buildings and units from the store's tenancy
// tables. Its configuration is the [accounts] section of ingest.toml (policy profile, SMTP,
// URLs), read strictly.
//
// The routes (/api/v1/eservice/…, /api/v1/portal/…) are described in cloud/openapi.yaml; the
// pieces live in accounts/: policy (the guide's rules), settings ([accounts]), password_hash
// (Argon2id), account_store (SQL), mail (templates, outbox, SMTP).
//
// Protection against guessing and floods: every route that names an account or hashes a secret is
// throttled before any hashing (429 with Retry-After), Argon2id runs under a process-wide bound
// ([accounts.hashing] concurrency; 503 when no slot frees in time), every path of such a route
// costs the same work, and a store error in a check refuses the request (503). handle() blocks
// (SQLite, Argon2id, the group commit): the HTTP server must call it off its I/O thread.
//
// Thread-safety: handle() and counters() may be called from any number of threads at once;
// start()/stop() from the owner's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "hoistway/cloud/accounts/account_store.hpp"
#include "hoistway/cloud/portal/api.hpp"
#include "hoistway/cloud/portal/http.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud::accounts {

class password_hasher;

class module {
 public:
  // `source` names the config file for error messages. `hasher`: null for Argon2id with the
  // configured cost; tests pass one that counts its calls.
  static common::result<std::unique_ptr<module>> create(
      const toml::table& section, const std::string& source, const std::string& store_path,
      std::shared_ptr<common::clock> clock, std::shared_ptr<const password_hasher> hasher = {});
  virtual ~module() = default;
  // Answers the accounts routes; nullopt for any other request.
  virtual std::optional<http_response> handle(const http_request& request) = 0;
  // Every route handle() serves, as (method, OpenAPI path); cloud/openapi.yaml is held to it.
  static std::vector<std::pair<std::string_view, std::string_view>> routes();
  // Starts / stops the mail sender (durable mail outbox, retries) and the pruning of the
  // accounts' tables ([accounts.retention]).
  virtual void start() = 0;
  virtual void stop() = 0;
  // Returns once every write queued so far is committed (writes of failed sign-ins, resets and
  // codes are not waited for by their requests): for tests, and before reading the store.
  virtual void flush() = 0;
  // Requests refused by reason (address_rate, pair_delayed, hash_busy, store_failed, …) and the
  // throttle table's size, for metrics.
  virtual std::vector<std::pair<std::string, std::uint64_t>> counters() const = 0;
  // The same as metric families in Prometheus' text format, for /metrics:
  // hoistway_accounts_refused_total{reason}, hoistway_accounts_throttle_entries and
  // hoistway_accounts_throttle_evicted_total.
  virtual std::string metrics_text() const = 0;
};

// What an operator does (hoistway-admin eservice …). Each call commits before it returns; mails
// are queued in the durable mail outbox and sent by the running server (or by send_pending()).
class operator_actions {
 public:
  static common::result<std::unique_ptr<operator_actions>> open(
      const toml::table& section, const std::string& source, const std::string& store_path,
      std::shared_ptr<common::clock> clock);
  virtual ~operator_actions() = default;
  // Registers an eService account for an existing customer; queues mail ①. `language` is "ja",
  // "en" or "" (the configured default). invalid_argument, not_found (customer), conflict.
  virtual common::status register_eservice(const std::string& email, const std::string& customer_id,
                                           const std::string& language) = 0;
  // Issues a fresh 5-character temporary password; queues mail ② (password and URL).
  virtual common::status issue_password(const std::string& email) = 0;
  // Clears the security question so the customer sets a new one at the next login.
  virtual common::status reset_security_answer(const std::string& email) = 0;
  // Sends queued mails now (for the CLI when no server runs); returns how many were sent.
  virtual common::result<std::size_t> send_pending() = 0;
  // The customer-portal access requests waiting for the sales contact (oldest first).
  virtual common::result<std::vector<sales_request>> sales_requests() = 0;
};

// Browser sessions on the /api/v1 data routes (session_auth.cpp): the portal's api_context
// gets resolve() and watch() as functions, so the portal room never links this one.
// resolve() takes the hw_portal cookie first, then hw_eservice, and answers signed_in only for a
// fully signed-in (past the security answer), unexpired session: one indexed read on a
// connection of its own, no password hashing (it runs on the fast lane). A portal session's
// caller is its customer's with the account's name and e-mail; an eService session's the same
// with caller_kind::eservice_session. watch() gives an event stream a memory-only check; the
// server calls recheck() every second, which reads each watched session again (at most
// max_watched at once: the streams' caps bound them), so a signed-out or expired session ends
// its stream within about a second.
//
// Thread-safety: every member may be called from any thread at once; the check watch() returns
// only reads memory (for the I/O strand).
class session_auth {
 public:
  static common::result<std::shared_ptr<session_auth>> open(const std::string& store_path,
                                                            std::shared_ptr<common::clock> clock,
                                                            std::size_t max_watched = 4096);
  virtual ~session_auth() = default;
  virtual session_lookup resolve(const http_request& request) = 0;
  virtual std::function<bool()> watch(const caller& who) = 0;
  virtual void recheck() = 0;
  // Sessions resolved and refused by reason, for /metrics (Prometheus text):
  // hoistway_sessions_resolved_total{kind}, hoistway_sessions_refused_total{reason},
  // hoistway_sessions_watched.
  virtual std::string metrics_text() const = 0;
};

}  // namespace hoistway::cloud::accounts
