// Who may see what: API keys → customer, unit → customer and monitoring contract. A snapshot
// read from the store and refreshed when older than `max_age`, so registry changes made by
// hoistway-admin reach a running server within a second without a query per request.
//
// Thread-safety: every method is safe from any thread. cached() never touches the store and
// never waits for a load, so it may be called on an I/O thread (the event stream's re-checks);
// the others may read the store (at most one load at a time; the others meanwhile use the
// previous snapshot).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud {

struct unit_entry {
  std::string unit_id;
  std::string customer_id;  // empty: not placed in a customer's building
  std::string building_id;
  std::string name;
  bool monitored = false;
};

// How a caller proved who it is: an API key, or a browser's signed-in session (the accounts
// module resolves the cookie). A portal session sees what an API key sees; an eService session
// sees its customer's units without real-time data, and the visits and inspection reports.
enum class caller_kind { api_key, portal_session, eservice_session };
std::string_view to_string(caller_kind kind) noexcept;

struct caller {
  std::string customer_id;
  // An API key's id; for a session "session:" and the first 16 hex digits of its token's
  // SHA-256 (what the stream caps count under; never the token).
  std::string key_id;
  caller_kind kind = caller_kind::api_key;
  // A session's account: its name and e-mail (who acknowledged an alert) and language.
  std::string name;
  std::string email;
  std::string language;
  // A session's token digest (hex), for the accounts module to watch it; empty for a key.
  std::string session_digest;
  std::int64_t session_expires_ms = 0;

  bool is_session() const { return kind != caller_kind::api_key; }
};

enum class auth_failure { missing, malformed, unknown_or_revoked };

class directory {
 public:
  // What the store said at one moment. Immutable once published.
  struct snapshot {
    struct key_entry {
      std::string customer_id;
      std::vector<std::uint8_t> secret_sha256;
    };
    std::map<std::string, key_entry> keys;  // active keys only
    std::map<std::string, unit_entry> units;
    std::int64_t loaded_mono_ms = 0;

    // The key exists, is not revoked, and still belongs to the caller's customer.
    bool key_active(const caller& who) const;
    // The unit belongs to the customer and has a monitoring contract now (at the load).
    bool monitored_for(const std::string& customer_id, const std::string& unit_id) const;
  };

  static common::result<std::shared_ptr<directory>> open(
      const std::string& store_path, std::shared_ptr<common::clock> clock,
      std::chrono::milliseconds max_age = std::chrono::milliseconds(1000));

  // Checks "Authorization: Bearer hwk_…" (or X-API-Key); constant-time on the secret.
  std::expected<caller, auth_failure> authenticate(const std::string& authorization,
                                                   const std::string& x_api_key);
  // The unit if it belongs to `customer_id`; nullopt otherwise (callers answer 404 either way).
  std::optional<unit_entry> unit_of(const std::string& customer_id, const std::string& unit_id);
  std::vector<unit_entry> units_of(const std::string& customer_id);
  // The snapshot as it is, however old: no store access, no wait for a load in progress.
  std::shared_ptr<const snapshot> cached() const;
  // Loads a fresh snapshot if the one held is older than `max_age` (waits for a load in
  // progress). A failed load keeps the previous snapshot and is returned.
  common::status refresh();

 private:
  directory(common::sqlite::database db, std::shared_ptr<common::clock> clock,
            std::chrono::milliseconds max_age)
      : db_(std::move(db)), clock_(std::move(clock)), max_age_(max_age) {}
  std::shared_ptr<const snapshot> current();
  bool stale(const snapshot& s) const;
  // With load_mutex_ held.
  common::status reload();
  common::result<std::shared_ptr<const snapshot>> load();

  std::mutex load_mutex_;  // guards db_: one load at a time
  common::sqlite::database db_;
  std::shared_ptr<common::clock> clock_;
  std::chrono::milliseconds max_age_;
  // Guards snapshot_ only, held just to copy or swap the pointer (never during a load), so a
  // reader never waits for the store.
  mutable std::mutex snapshot_mutex_;
  std::shared_ptr<const snapshot> snapshot_;
};

}  // namespace hoistway::cloud
