// The accounts' throttling, hash gate, mail caps and refusal counters (protection.hpp).
#include "protection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "hoistway/cloud/portal/api.hpp"

namespace hoistway::cloud::accounts {

using common::errc;

namespace {

constexpr std::array<const char*, static_cast<std::size_t>(refusal::count_)> refusal_names{
    "address_rate", "address_locked", "pair_delayed", "account_locked", "answer_locked",
    "daily_cap",    "hash_busy",      "store_failed", "mail_suppressed"};

std::string seconds_after(std::int64_t ms) {
  return std::to_string(std::max<std::int64_t>(1, (ms + 999) / 1000));
}

}  // namespace

protection::protection(core& c)
    : core_(c),
      gate_(cfg().hashing.concurrency, std::chrono::milliseconds(cfg().hashing.wait_ms),
            cfg().hashing.queue),
      throttle_(cfg().throttle.max_entries) {}

http_response protection::too_many(refusal why, std::int64_t retry_ms, std::string_view detail) {
  count(why);
  auto r = problem(429, "Too Many Requests", detail);
  r.headers.emplace_back("Retry-After", seconds_after(retry_ms));
  return r;
}

http_response protection::hash_busy() {
  count(refusal::hash_busy);
  auto r = problem(503, "Service Unavailable",
                   "too many sign-in requests at once; try again in a moment");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

http_response protection::store_failed(const common::error& e) {
  count(refusal::store_failed);
  spdlog::error("accounts: store: {}", e.message);
  auto r = problem(503, "Service Unavailable",
                   "the service cannot check this request now; try again later");
  r.headers.emplace_back("Retry-After", "5");
  return r;
}

http_response protection::internal(const common::error& e) {
  if (e.code == errc::io || e.code == errc::unavailable) return store_failed(e);
  spdlog::error("accounts: {}", e.message);
  return problem(500, "Internal Server Error");
}

std::optional<http_response> protection::admit(const call& c) {
  const auto& t = cfg().throttle;
  if (const auto wait = throttle_.take(rate_key(c), t.address_requests_per_minute, now());
      wait > 0) {
    return too_many(refusal::address_rate, wait,
                    "too many requests from this address; try again later");
  }
  if (const auto wait = throttle_.blocked_for(address_key(c), now()); wait > 0) {
    return too_many(refusal::address_locked, wait,
                    "too many failed attempts from this address; try again later");
  }
  return std::nullopt;
}

std::optional<http_response> protection::daily(const call& c, std::string_view what, int limit) {
  if (const auto wait = throttle_.count(std::string(what) + ":" + c.address, limit, day_ms, now());
      wait > 0) {
    return too_many(refusal::daily_cap, wait,
                    "the daily limit of these requests from this address is reached");
  }
  return std::nullopt;
}

std::optional<http_response> protection::sign_in_allowed(const call& c,
                                                         const std::string& account_key) {
  if (auto r = admit(c)) return r;
  if (const auto wait = throttle_.blocked_for(pair_key(account_key, c), now()); wait > 0) {
    return too_many(refusal::pair_delayed, wait,
                    "too many failed attempts; wait before trying again");
  }
  // The persisted lock (set by this process or another, kept across restarts), and its mirror
  // in memory, which holds even if persisting it failed.
  auto until = db().locked_until(account_key, now());
  if (!until) return store_failed(until.error());
  const auto wait = std::max(*until > 0 ? *until - now() : 0,
                             throttle_.blocked_for("failures:" + account_key, now()));
  if (wait > 0) {
    return too_many(refusal::account_locked, wait, "too many failed attempts; try again later");
  }
  return std::nullopt;
}

std::optional<http_response> protection::answer_allowed(const call& c, const eservice_account& a) {
  if (auto r = admit(c)) return r;
  if (a.answer_locked_until_ms > now()) {
    return too_many(
        refusal::answer_locked, a.answer_locked_until_ms - now(),
        "too many wrong answers to the security question; try again later or ask for a reset");
  }
  return std::nullopt;
}

std::optional<http_response> protection::verify_sign_in(
    const call& c, const std::string& account_key, const std::string* stored,
    const std::string& typed, std::string_view failure_event, const std::string& email,
    std::string_view message) {
  bool ok = false;
  {
    auto slot = hash_slot();
    if (!slot) return hash_busy();
    if (stored != nullptr) {
      ok = core_.hasher().verify(*stored, typed);
    } else {
      core_.hasher().verify_nothing(typed);
    }
  }
  if (!ok) return sign_in_failed(c, account_key, failure_event, email, message);
  // A correct password from this address ends this address's delay on the account, nothing
  // else: the security answer's failures and the account's safety count stay.
  throttle_.clear(pair_key(account_key, c));
  return std::nullopt;
}

protection::failure_effects protection::fail_in_memory(const call& c,
                                                       const std::string& account_key) {
  const auto& t = cfg().throttle;
  const auto n = now();
  failure_effects f;
  f.address_locked = throttle_.fail(address_key(c), t.address_failures, t.window_ms, t.lock_ms, n);
  if (account_key.empty()) return f;  // a failure that names no account (a wrong code)
  f.pair_delay_ms =
      throttle_.fail_progressive(pair_key(account_key, c), t.pair_free_failures,
                                 t.pair_delay_initial_ms, t.pair_delay_max_ms, t.pair_forget_ms, n);
  f.account_locked = throttle_.fail("failures:" + account_key, t.account_failures,
                                    t.account_window_ms, t.account_lock_ms, n);
  return f;
}

common::status protection::write_failure(write_batch& w, std::int64_t at,
                                         const std::string& address, const std::string& account_key,
                                         const failure_effects& f, std::string_view event,
                                         const std::string& email, std::string_view detail) const {
  if (auto st = w.audit(at, event, email, address, detail); !st) return st;
  if (f.pair_delay_ms > 0) {
    if (auto st =
            w.audit(at, "sign_in_delayed", email, address, std::to_string(f.pair_delay_ms) + " ms");
        !st) {
      return st;
    }
  }
  if (f.address_locked) {
    if (auto st = w.audit(at, "address_locked", email, address); !st) return st;
  }
  if (f.account_locked) {
    // Persisted, so a restart and other processes keep the safety lock.
    if (auto st = w.lock(account_key, at + cfg().throttle.account_lock_ms); !st) return st;
    if (auto st = w.audit(at, "account_locked", email, address, account_key); !st) return st;
  }
  return {};
}

std::function<void(const common::status&)> protection::log_failure(std::string what) {
  return [this, what = std::move(what)](const common::status& st) {
    if (st) return;
    count(refusal::store_failed);
    spdlog::error("accounts: {}: {}", what, st.error().message);
  };
}

http_response protection::sign_in_failed(const call& c, const std::string& account_key,
                                         std::string_view event, const std::string& email,
                                         std::string_view message) {
  const auto f = fail_in_memory(c, account_key);
  auto op = [this, at = now(), address = c.address, account_key, f, event = std::string(event),
             email](write_batch& w) {
    return write_failure(w, at, address, account_key, f, event, email);
  };
  if (auto st = db().write_later(std::move(op), log_failure(std::string(event))); !st) {
    return store_failed(st.error());
  }
  return problem(401, "Unauthorized", message);
}

common::status protection::write_answer_failure(
    const call& c, const eservice_account& a, std::string_view event,
    const std::function<common::status(write_batch&)>& extra) {
  const auto& t = cfg().throttle;
  const auto f = fail_in_memory(c, "");
  return db().write([&](write_batch& w) -> common::status {
    auto until =
        w.answer_failure(a.id, now(), t.answer_failures, t.answer_window_ms, t.answer_lock_ms);
    if (!until) return std::unexpected(until.error());
    if (auto st = write_failure(w, now(), c.address, "", f, event, a.email); !st) return st;
    if (*until > 0) {
      if (auto st = w.audit(now(), "security_answer_locked", a.email, c.address); !st) return st;
    }
    return extra ? extra(w) : common::status{};
  });
}

common::result<bool> protection::mail_allowed(write_batch& w, std::int64_t at,
                                              const std::string& recipient, mail_kind kind,
                                              const std::string& address) {
  auto counts = w.count_mails(recipient, to_string(kind), address, at - day_ms);
  if (!counts) return std::unexpected(counts.error());
  const auto& l = cfg().limits;
  const bool allowed = at - counts->last_of_kind_ms >= cfg().resend_interval_ms &&
                       counts->to_recipient < l.mails_per_recipient_per_day &&
                       counts->from_address < l.mails_per_address_per_day;
  if (!allowed) count(refusal::mail_suppressed);
  return allowed;
}

std::vector<std::pair<std::string, std::uint64_t>> protection::counters() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (std::size_t i = 0; i < refusals_.size(); ++i)
    out.emplace_back(refusal_names[i], refusals_[i].load());
  out.emplace_back("throttle_entries", throttle_.size());
  out.emplace_back("throttle_evicted", throttle_.evicted());
  return out;
}

std::string protection::metrics_text() const {
  std::string out =
      "# HELP hoistway_accounts_refused_total Account requests refused, by reason.\n"
      "# TYPE hoistway_accounts_refused_total counter\n";
  for (std::size_t i = 0; i < refusals_.size(); ++i) {
    out += "hoistway_accounts_refused_total{reason=\"" + std::string(refusal_names[i]) + "\"} " +
           std::to_string(refusals_[i].load()) + "\n";
  }
  out +=
      "# HELP hoistway_accounts_throttle_entries Addresses and accounts the throttle holds.\n"
      "# TYPE hoistway_accounts_throttle_entries gauge\n"
      "hoistway_accounts_throttle_entries " +
      std::to_string(throttle_.size()) +
      "\n"
      "# HELP hoistway_accounts_throttle_evicted_total Throttle entries evicted (table full).\n"
      "# TYPE hoistway_accounts_throttle_evicted_total counter\n"
      "hoistway_accounts_throttle_evicted_total " +
      std::to_string(throttle_.evicted()) + "\n";
  return out;
}

}  // namespace hoistway::cloud::accounts
