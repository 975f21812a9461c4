// The accounts' protection against guessing and floods, as a request meets it (module.cpp's
// opening comment has the order): the throttle's buckets, delays and locks (throttle.hpp, in
// memory) with the persisted locks (account_store), the hash gate that bounds Argon2id, the mail
// caps decided inside a write, and the refusal counters behind /metrics. Private to the accounts
// room; the routes (eservice_routes, portal_routes) call it, never the throttle directly.
//
// A check answers nullopt (go on) or the response to give instead (429 with Retry-After, 503).
// A store error in a check refuses the request (503): it fails closed.
//
// Thread-safety: every member may be called from any number of threads at once (the throttle,
// the gate and the counters are thread-safe; account_store is).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core.hpp"
#include "hoistway/cloud/accounts/throttle.hpp"
#include "http_helpers.hpp"

namespace hoistway::cloud::accounts {

// What was refused and why, for counters() (and so for whoever serves metrics).
enum class refusal : std::size_t {
  address_rate,     // the client address's request bucket is empty
  address_locked,   // too many failures from the address
  pair_delayed,     // the (account, address) pair's progressive delay
  account_locked,   // the account's safety lock
  answer_locked,    // the security answer's own lock
  daily_cap,        // a per-address daily cap (codes, verifications, resets)
  hash_busy,        // no Argon2id slot in time
  store_failed,     // a store error: refused, never let through
  mail_suppressed,  // a mail not sent: resend interval or daily cap (the answer is the same)
  count_
};

class protection {
 public:
  explicit protection(core& c);

  // ---- answers ---------------------------------------------------------------------------------
  http_response too_many(refusal why, std::int64_t retry_ms, std::string_view detail);
  http_response hash_busy();
  // Fail closed: a store error refuses, and says to come back, never lets the request through.
  http_response store_failed(const common::error& e);
  // A store error (io, unavailable) as store_failed, anything else as a 500.
  http_response internal(const common::error& e);

  // ---- checks before any hashing ---------------------------------------------------------------
  // Every route that names an account or hashes a secret: the address's bucket and failure lock.
  std::optional<http_response> admit(const call& c);
  // A per-address daily cap (`what`: "codes", "verifications", "resets").
  std::optional<http_response> daily(const call& c, std::string_view what, int limit);
  // A sign-in with a secret for `account_key`: admit(), the pair's delay, then the account's
  // safety lock (a store read: an error refuses).
  std::optional<http_response> sign_in_allowed(const call& c, const std::string& account_key);
  // The security answer's own lock (it needs the password to reach; a correct password never
  // clears it), after admit().
  std::optional<http_response> answer_allowed(const call& c, const eservice_account& a);

  // ---- the one Argon2id of a sign-in -----------------------------------------------------------
  // Compares `typed` with `stored` (null: nothing to compare, a dummy hash of the same cost runs)
  // under the hash gate. Right: the (account, address) pair's delay ends, nothing else (the
  // security answer's failures and the account's safety count stay), and nullopt. Wrong: the
  // failure is counted and written (sign_in_failed) and the 401 `message` is the answer. Both
  // sign-in screens (eService, portal) go through it.
  std::optional<http_response> verify_sign_in(const call& c, const std::string& account_key,
                                              const std::string* stored, const std::string& typed,
                                              std::string_view failure_event,
                                              const std::string& email, std::string_view message);

  // ---- failures --------------------------------------------------------------------------------
  // A wrong secret for `account_key` from c's address: the pair's delay grows, the address and
  // the account count it, and the write records it (with a lock if one was reached).
  struct failure_effects {
    std::int64_t pair_delay_ms = 0;
    bool address_locked = false;
    bool account_locked = false;
  };
  failure_effects fail_in_memory(const call& c, const std::string& account_key);
  // The rows of a failure (its event, and a note of each delay or lock it caused; the account's
  // lock persisted). Takes values only: it may run after the request has been answered.
  common::status write_failure(write_batch& w, std::int64_t at, const std::string& address,
                               const std::string& account_key, const failure_effects& f,
                               std::string_view event, const std::string& email,
                               std::string_view detail = {}) const;
  // The whole of a failed sign-in: counted in memory at once (that is what the next attempt
  // meets), written in the next group commit without waiting for it, then the 401. Every failure
  // path makes exactly this one write, known account or not.
  http_response sign_in_failed(const call& c, const std::string& account_key,
                               std::string_view event, const std::string& email,
                               std::string_view message);
  // Counts a wrong security answer (its own counter, persisted) and the address's failure;
  // `extra` adds the caller's writes to the same transaction.
  common::status write_answer_failure(
      const call& c, const eservice_account& a, std::string_view event,
      const std::function<common::status(write_batch&)>& extra = {});
  // For write_later(): a write that failed after its request was answered is logged and
  // counted (it cannot change the answer any more).
  std::function<void(const common::status&)> log_failure(std::string what);

  // Whether a request-triggered mail of `kind` to `recipient` may go now: the resend interval and
  // the daily caps per recipient and per requesting address. Called inside the write's op, so
  // two requests (a double click, a burst) can never both pass on the same counts.
  common::result<bool> mail_allowed(write_batch& w, std::int64_t at, const std::string& recipient,
                                    mail_kind kind, const std::string& address);

  // Argon2id under the process-wide bound: a slot, or nullopt when none freed in time.
  std::optional<hash_gate::slot> hash_slot() { return gate_.acquire(); }

  // ---- counters --------------------------------------------------------------------------------
  void count(refusal r) { ++refusals_[static_cast<std::size_t>(r)]; }
  std::vector<std::pair<std::string, std::uint64_t>> counters() const;
  std::string metrics_text() const;

 private:
  const settings& cfg() const { return core_.config(); }
  account_store& db() { return core_.store(); }
  std::int64_t now() const { return core_.now(); }
  std::string rate_key(const call& c) const { return "rate:" + c.address; }
  std::string address_key(const call& c) const { return "address:" + c.address; }
  static std::string pair_key(const std::string& account_key, const call& c) {
    return "pair:" + account_key + "|" + c.address;
  }

  core& core_;
  hash_gate gate_;
  throttle throttle_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(refusal::count_)> refusals_{};
};

}  // namespace hoistway::cloud::accounts
