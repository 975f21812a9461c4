// The accounts module: the guide's screens as HTTP routes, and the operator's actions.
//
// eService sign-in is a small state machine kept in the session row: a correct temporary password
// gives a change_password session, a correct password gives security_setup (no question yet) or
// security_challenge; only a correct security answer gives a signed_in session. Every step issues
// a fresh token. The customer-portal access request is kept in access_requests between the
// verified code and the eService security answer.
//
// Protection against guessing and floods, in the order a request meets it:
//  1. the throttle, before any hashing: the client address's request bucket and failure lock, the
//     (account, address) pair's progressive delay, the account's persisted safety lock, the
//     security answer's own lock, the per-address daily caps; over any → 429 with Retry-After;
//  2. the hash gate: at most [accounts.hashing] concurrency Argon2id at once → else 503;
//  3. exactly one Argon2id on every path of a route that names an account (a dummy one where
//     there is nothing to compare), so neither the answer nor its time tells whether the account
//     exists; the routes that hash nothing (codes, the forgotten answer) hash nothing on any path;
//  4. one write per request, whatever the path, group-committed (see account_store.hpp); the
//     writes no answer depends on (failures, resets, codes) are queued without waiting, and the
//     mail caps are decided inside them, so a burst cannot pass a cap together.
// A store error in any check refuses the request (503): the throttle fails closed. A write that
// fails after its request was answered is logged and counted (store_failed).
#include "hoistway/cloud/accounts/module.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <variant>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/accounts/account_store.hpp"
#include "hoistway/cloud/accounts/mail.hpp"
#include "hoistway/cloud/accounts/password_hash.hpp"
#include "hoistway/cloud/accounts/policy.hpp"
#include "hoistway/cloud/accounts/settings.hpp"
#include "hoistway/cloud/accounts/throttle.hpp"
#include "hoistway/cloud/portal/api.hpp"
#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud::accounts {

using common::errc;
using common::fail;
using nlohmann::json;

namespace {

constexpr std::string_view eservice_prefix = "/api/v1/eservice/";
constexpr std::string_view portal_prefix = "/api/v1/portal/";
// Both sessions' cookies go to every /api/v1 route: the data routes (units, alerts, the stream)
// take a signed-in session as well as an API key, so the browser never holds a key.
constexpr std::string_view session_cookie_path = "/api/v1";
constexpr const char* csrf_cookie = "hw_csrf";
constexpr const char* eservice_cookie = "hw_eservice";
constexpr const char* portal_cookie = "hw_portal";
constexpr const char* request_cookie = "hw_request";
constexpr std::int64_t day_ms = 24LL * 3600 * 1000;

// ---- the actions shared by the HTTP face and the operator face -------------------------------

class core {
 public:
  core(settings config, std::shared_ptr<common::clock> clock, std::unique_ptr<account_store> store,
       std::shared_ptr<const password_hasher> hasher)
      : config_(std::move(config)),
        clock_(std::move(clock)),
        store_(std::move(store)),
        hasher_(hasher ? std::move(hasher)
                       : std::make_shared<const password_hasher>(config_.hashing)) {}

  const settings& config() const { return config_; }
  account_store& store() { return *store_; }
  const password_hasher& hasher() const { return *hasher_; }
  std::int64_t now() const { return clock_->wall_ms(); }
  std::function<void()> on_mail;  // wakes the sender

  void mail_queued() const {
    if (on_mail) on_mail();
  }

  std::string language_or_default(const std::string& language) const {
    return language.empty() ? config_.default_language : language;
  }

  common::status register_eservice(const std::string& email_raw, const std::string& customer_id,
                                   const std::string& language_raw, const std::string& actor) {
    auto email = normalize_email(email_raw);
    if (!email) return std::unexpected(email.error());
    const auto language = language_or_default(language_raw);
    if (language != "ja" && language != "en")
      return fail(errc::invalid_argument, "language must be ja or en");
    const auto t = now();
    const auto mail = compose(mail_kind::registration_complete, language, config_, *email,
                              {{"url", config_.eservice_url}});
    auto st = store_->write([&](write_batch& w) -> common::status {
      auto id = w.insert_eservice(*email, customer_id, language, t);
      if (!id) return std::unexpected(id.error());
      if (auto a = w.audit(t, "eservice_registered", *email, actor, "customer " + customer_id); !a)
        return a;
      return w.enqueue_mail(mail, "", t);
    });
    if (st) mail_queued();
    return st;
  }

  // The writes of issuing a temporary password (every earlier one stops working): for the
  // operator and for a customer's reset (`requested_by`: the client address, or "").
  struct issued_password {
    std::string hash;
    std::int64_t expires_ms = 0;
    queued_mail mail;
  };
  common::result<issued_password> prepare_password(const eservice_account& account) const {
    const auto password = make_temp_password(config_.rules);
    auto hash = hasher_->hash(password);
    if (!hash) return std::unexpected(hash.error());
    const auto expires = now() + config_.rules.temp_password_valid_ms;
    return issued_password{
        *hash, expires,
        compose(mail_kind::temporary_password, account.language, config_, account.email,
                {{"password", password},
                 {"url", config_.eservice_url},
                 {"expires", common::format_rfc3339(expires)}})};
  }
  static common::status write_password(write_batch& w, const eservice_account& account,
                                       const issued_password& p, std::int64_t now_ms,
                                       const std::string& actor, std::string_view event,
                                       std::string_view requested_by) {
    if (auto st = w.set_temp_password(account.id, p.hash, now_ms, p.expires_ms); !st) return st;
    if (auto st = w.audit(now_ms, event, account.email, actor); !st) return st;
    return w.enqueue_mail(p.mail, requested_by, now_ms);
  }

  common::result<eservice_account> find(const std::string& email_raw) {
    auto email = normalize_email(email_raw);
    if (!email) return std::unexpected(email.error());
    auto account = store_->find_eservice(*email);
    if (!account) return std::unexpected(account.error());
    if (!*account) return fail(errc::not_found, "no eService account for " + *email);
    return **account;
  }

 private:
  settings config_;
  std::shared_ptr<common::clock> clock_;
  std::unique_ptr<account_store> store_;
  std::shared_ptr<const password_hasher> hasher_;
};

common::result<std::unique_ptr<core>> make_core(const toml::table& section,
                                                const std::string& source,
                                                const std::string& store_path,
                                                std::shared_ptr<common::clock> clock,
                                                write_mode mode,
                                                std::shared_ptr<const password_hasher> hasher) {
  auto config = settings::load(section, source);
  if (!config) return std::unexpected(config.error());
  if (config->hashing.profile == hash_profile::test) {
    spdlog::warn(
        "accounts: [accounts.hashing] profile = \"test\": password hashing is weak; tests only");
  }
  auto store = account_store::open(store_path, mode, config->limits.write_queue);
  if (!store) return std::unexpected(store.error());
  return std::make_unique<core>(std::move(*config), std::move(clock), std::move(*store),
                                std::move(hasher));
}

// ---- HTTP helpers ------------------------------------------------------------------------------

std::map<std::string, std::string> cookies_of(const http_request& request) {
  std::map<std::string, std::string> out;
  const auto header = request.header("cookie");
  std::string_view rest(header);
  while (!rest.empty()) {
    const auto end = rest.find(';');
    auto part = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos) continue;
    out.emplace(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
  }
  return out;
}

std::string text_of(const json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag_of(const json& body, const char* key) {
  const auto it = body.find(key);
  return it != body.end() && it->is_boolean() && it->get<bool>();
}

http_response reply(unsigned status, const json& body) {
  http_response r;
  r.status = status;
  r.body = body.dump();
  return r;
}

http_response problem_with(unsigned status, std::string_view title, std::string_view detail,
                           const json& extra) {
  auto r = problem(status, title, detail);
  auto body = json::parse(r.body);
  for (const auto& [k, v] : extra.items()) body[k] = v;
  r.body = body.dump();
  return r;
}

// 422 with one entry per field that failed.
struct field_errors {
  json list = json::array();
  void add(std::string_view field, std::string_view message) {
    list.push_back({{"field", field}, {"message", message}});
  }
  bool empty() const { return list.empty(); }
  http_response response() const {
    return problem_with(422, "Unprocessable Content", "some fields need correcting",
                        {{"errors", list}});
  }
};

http_response single_field(std::string_view field, std::string_view message) {
  field_errors e;
  e.add(field, message);
  return e.response();
}

struct token {
  std::string text;                  // what the cookie holds (hex)
  std::vector<std::uint8_t> digest;  // what the database holds
};

std::vector<std::uint8_t> digest_of(std::string_view text) {
  const auto d = common::crypto::sha256(common::crypto::as_bytes(text));
  return {d.begin(), d.end()};
}

token new_token() {
  auto text = common::crypto::to_hex(common::crypto::random_bytes(16));  // 128 bits
  auto digest = digest_of(text);
  return {std::move(text), std::move(digest)};
}

std::string questions_text(const settings& config, const std::string& id,
                           const std::string& language) {
  for (const auto& q : config.questions) {
    if (q.id == id) return language == "en" ? q.en : q.ja;
  }
  return id;
}

json questions_json(const settings& config, const std::string& language) {
  json list = json::array();
  for (const auto& q : config.questions) {
    list.push_back({{"id", q.id}, {"text", language == "en" ? q.en : q.ja}});
  }
  return list;
}

json countries_json() {
  return json::array({{{"country", "JP"}, {"language", "ja"}, {"label", "Japan/Japanese"}},
                      {{"country", "JP"}, {"language", "en"}, {"label", "Japan/English"}}});
}

// ---- the HTTP face -----------------------------------------------------------------------------

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
constexpr std::array<const char*, static_cast<std::size_t>(refusal::count_)> refusal_names{
    "address_rate", "address_locked", "pair_delayed", "account_locked", "answer_locked",
    "daily_cap",    "hash_busy",      "store_failed", "mail_suppressed"};

class module_impl final : public module {
 public:
  module_impl(std::unique_ptr<core> c, std::unique_ptr<mail_sender> sender)
      : core_(std::move(c)),
        sender_(std::move(sender)),
        gate_(cfg().hashing.concurrency, std::chrono::milliseconds(cfg().hashing.wait_ms),
              cfg().hashing.queue),
        throttle_(cfg().throttle.max_entries) {
    auto* s = sender_.get();
    core_->on_mail = [s] {
      if (s != nullptr) s->wake();
    };
    if (!cfg().cookie_secure)
      spdlog::warn(
          "accounts: cookie_secure = false: cookies go over plain HTTP (development only)");
    if (!cfg().smtp.require_tls && cfg().smtp.url.starts_with("smtp://")) {
      spdlog::warn(
          "accounts: [accounts.smtp] require_tls = false: mails with temporary passwords and codes "
          "may travel "
          "in clear (development only)");
    }
  }
  ~module_impl() override {
    stop();
    // Writes queued without waiting call back into this object: let them finish first.
    db().flush();
  }

  void start() override {
    if (sender_) sender_->start();
    std::lock_guard guard(housekeeping_mutex_);
    if (housekeeper_.joinable()) return;
    stopping_ = false;
    housekeeper_ = std::thread([this] { housekeeping(); });
  }
  void stop() override {
    if (sender_) sender_->stop();
    {
      std::lock_guard guard(housekeeping_mutex_);
      stopping_ = true;
    }
    housekeeping_cv_.notify_all();
    if (housekeeper_.joinable()) housekeeper_.join();
  }

  std::optional<http_response> handle(const http_request& request) override {
    const bool eservice = request.path.starts_with(eservice_prefix);
    const bool portal = request.path.starts_with(portal_prefix);
    if (!eservice && !portal) return std::nullopt;
    try {
      return route(request, eservice);
    } catch (const std::exception& e) {
      spdlog::error("accounts: {} {}: {}", request.method, request.path, e.what());
      return problem(500, "Internal Server Error");
    }
  }

  void flush() override { db().flush(); }

  std::vector<std::pair<std::string, std::uint64_t>> counters() const override {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (std::size_t i = 0; i < refusals_.size(); ++i)
      out.emplace_back(refusal_names[i], refusals_[i].load());
    out.emplace_back("throttle_entries", throttle_.size());
    out.emplace_back("throttle_evicted", throttle_.evicted());
    return out;
  }

  std::string metrics_text() const override {
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

 private:
  struct call {
    const http_request& request;
    std::map<std::string, std::string> cookies;
    json body;
    std::string address;  // the throttled unit: the IPv4 address or the IPv6 /64
  };

  const settings& cfg() const { return core_->config(); }
  account_store& db() { return core_->store(); }
  const password_hasher& hasher() const { return core_->hasher(); }
  std::int64_t now() const { return core_->now(); }

  // ---- housekeeping: pruning in bounded steps ------------------------------------------------
  void housekeeping() {
    std::unique_lock guard(housekeeping_mutex_);
    while (!stopping_) {
      guard.unlock();
      bool more = false;
      try {
        auto report = db().prune(now(), cfg().retention);
        if (!report) {
          spdlog::warn("accounts: pruning: {}", report.error().message);
        } else {
          more = !report->done;
          if (report->deleted > 0)
            spdlog::debug("accounts: pruned {} rows in {} steps", report->deleted, report->steps);
        }
      } catch (const std::exception& e) {
        spdlog::error("accounts: pruning: {}", e.what());
      }
      guard.lock();
      // A run cut short by max_steps goes on a second later, so the backlog drains without ever
      // holding the store for long.
      const auto pause = more ? std::chrono::milliseconds(1000)
                              : std::chrono::milliseconds(cfg().retention.interval_ms);
      housekeeping_cv_.wait_for(guard, pause, [this] { return stopping_; });
    }
  }

  // ---- responses -----------------------------------------------------------------------------
  void count(refusal r) { ++refusals_[static_cast<std::size_t>(r)]; }

  static std::string seconds_after(std::int64_t ms) {
    return std::to_string(std::max<std::int64_t>(1, (ms + 999) / 1000));
  }

  http_response too_many(refusal why, std::int64_t retry_ms, std::string_view detail) {
    count(why);
    auto r = problem(429, "Too Many Requests", detail);
    r.headers.emplace_back("Retry-After", seconds_after(retry_ms));
    return r;
  }

  http_response hash_busy() {
    count(refusal::hash_busy);
    auto r = problem(503, "Service Unavailable",
                     "too many sign-in requests at once; try again in a moment");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  // Fail closed: a store error refuses, and says to come back, never lets the request through.
  http_response store_failed(const common::error& e) {
    count(refusal::store_failed);
    spdlog::error("accounts: store: {}", e.message);
    auto r = problem(503, "Service Unavailable",
                     "the service cannot check this request now; try again later");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }

  http_response internal(const common::error& e) {
    if (e.code == errc::io || e.code == errc::unavailable) return store_failed(e);
    spdlog::error("accounts: {}", e.message);
    return problem(500, "Internal Server Error");
  }

  std::string cookie(std::string_view name, std::string_view value, std::string_view path,
                     std::optional<std::int64_t> max_age_s, bool http_only = true) const {
    std::string c = std::string(name) + "=" + std::string(value) + "; Path=" + std::string(path);
    if (max_age_s) c += "; Max-Age=" + std::to_string(*max_age_s);
    if (http_only) c += "; HttpOnly";
    c += "; SameSite=Lax";
    if (cfg().cookie_secure) c += "; Secure";
    return c;
  }

  static http_response with_cookie(http_response r, std::string value) {
    r.headers.emplace_back("Set-Cookie", std::move(value));
    return r;
  }

  std::optional<http_response> route(const http_request& request, bool eservice) {
    call c{request, cookies_of(request), json::object(), client_key(request.remote_address)};
    const auto& m = request.method;
    const bool get = m == "GET" || m == "HEAD";
    if (!get) {
      if (m != "POST") return method_not_allowed("GET, HEAD, POST");
      // Double-submit: the header must repeat the csrf cookie (a cross-site form can set neither).
      const auto header = request.header("x-csrf-token");
      const auto it = c.cookies.find(csrf_cookie);
      if (header.empty() || it == c.cookies.end() ||
          !common::crypto::constant_time_equal(common::crypto::as_bytes(header),
                                               common::crypto::as_bytes(it->second))) {
        return problem(403, "Forbidden",
                       "missing or wrong CSRF token: GET the screen first and send its csrf_token "
                       "in X-CSRF-Token");
      }
      if (!request.header("content-type").starts_with("application/json")) {
        return problem(415, "Unsupported Media Type", "send the body as application/json");
      }
      c.body = json::parse(request.body, nullptr, false);
      if (c.body.is_discarded() || !c.body.is_object()) {
        return problem(400, "Bad Request", "the body must be one JSON object");
      }
    }
    const std::string_view path(request.path);
    auto is = [&](std::string_view p, bool want_get) { return path == p && get == want_get; };
    if (eservice) {
      if (is("/api/v1/eservice/login", true)) return screen(c, {{"countries", countries_json()}});
      if (is("/api/v1/eservice/login", false)) return login(c);
      if (is("/api/v1/eservice/password", false)) return change_password(c);
      if (is("/api/v1/eservice/security-questions", true)) return questions(c);
      if (is("/api/v1/eservice/security-question", false)) return setup_question(c);
      if (is("/api/v1/eservice/security-answer", false)) return answer_question(c);
      if (is("/api/v1/eservice/forgot-password", false)) return forgot_password(c);
      if (is("/api/v1/eservice/forgot-security-answer", false)) return forgot_answer(c);
      if (is("/api/v1/eservice/session", true)) return eservice_session(c);
      if (is("/api/v1/eservice/profile", true)) return profile(c);
      if (is("/api/v1/eservice/profile", false)) return update_profile(c);
      if (is("/api/v1/eservice/units", true)) return eservice_units(c);
      if (is("/api/v1/eservice/inspection-reports", true)) return inspection_reports(c);
      if (is("/api/v1/eservice/logout", false)) return logout(c, session_kind::eservice);
    } else {
      if (is("/api/v1/portal/access-request", true)) return request_screen(c);
      if (is("/api/v1/portal/access-request/code", false)) return send_code(c);
      if (is("/api/v1/portal/access-request/verify", false)) return verify_code(c);
      if (is("/api/v1/portal/access-request/form", false)) return submit_form(c);
      if (is("/api/v1/portal/access-request/security-question", true)) return request_question(c);
      if (is("/api/v1/portal/access-request/security-answer", false)) return request_answer(c);
      if (is("/api/v1/portal/login", true)) return screen(c, {});
      if (is("/api/v1/portal/login", false)) return portal_login(c);
      if (is("/api/v1/portal/session", true)) return portal_session(c);
      if (is("/api/v1/portal/units", true)) return portal_units(c);
      if (is("/api/v1/portal/logout", false)) return logout(c, session_kind::portal);
      static constexpr std::string_view units_prefix = "/api/v1/portal/units/";
      if (get && path.starts_with(units_prefix) && path.ends_with("/status") &&
          path.size() > units_prefix.size() + 7) {
        return portal_unit_status(
            c,
            std::string(path.substr(units_prefix.size(), path.size() - units_prefix.size() - 7)));
      }
    }
    return problem(404, "Not Found", "no route for " + request.method + " " + request.path);
  }

  // A screen: what its form needs, and the CSRF token (set as a cookie if the client has none).
  http_response screen(const call& c, json body) {
    const auto it = c.cookies.find(csrf_cookie);
    const bool have = it != c.cookies.end() && it->second.size() == 32;
    const auto value = have ? it->second : common::crypto::to_hex(common::crypto::random_bytes(16));
    body["csrf_token"] = value;
    auto r = reply(200, body);
    if (!have)
      r = with_cookie(std::move(r), cookie(csrf_cookie, value, "/api/v1", std::nullopt, false));
    return r;
  }

  // ---- throttling (before any hashing) ---------------------------------------------------------
  std::string rate_key(const call& c) const { return "rate:" + c.address; }
  std::string address_key(const call& c) const { return "address:" + c.address; }
  static std::string pair_key(const std::string& account_key, const call& c) {
    return "pair:" + account_key + "|" + c.address;
  }

  // Every route that names an account or hashes a secret: the address's bucket and failure lock.
  std::optional<http_response> admit(const call& c) {
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

  // A per-address daily cap (`what`: "codes", "verifications", "resets").
  std::optional<http_response> daily(const call& c, std::string_view what, int limit) {
    if (const auto wait =
            throttle_.count(std::string(what) + ":" + c.address, limit, day_ms, now());
        wait > 0) {
      return too_many(refusal::daily_cap, wait,
                      "the daily limit of these requests from this address is reached");
    }
    return std::nullopt;
  }

  // A sign-in with a secret for `account_key`: the pair's delay, then the account's safety lock
  // (a store read: an error refuses).
  std::optional<http_response> sign_in_allowed(const call& c, const std::string& account_key) {
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

  // A wrong secret for `account_key` from c's address: the pair's delay grows, the address and
  // the account count it, and the write records it (with a lock if one was reached).
  struct failure_effects {
    std::int64_t pair_delay_ms = 0;
    bool address_locked = false;
    bool account_locked = false;
  };
  failure_effects fail_in_memory(const call& c, const std::string& account_key) {
    const auto& t = cfg().throttle;
    const auto n = now();
    failure_effects f;
    f.address_locked =
        throttle_.fail(address_key(c), t.address_failures, t.window_ms, t.lock_ms, n);
    if (account_key.empty()) return f;  // a failure that names no account (a wrong code)
    f.pair_delay_ms = throttle_.fail_progressive(pair_key(account_key, c), t.pair_free_failures,
                                                 t.pair_delay_initial_ms, t.pair_delay_max_ms,
                                                 t.pair_forget_ms, n);
    f.account_locked = throttle_.fail("failures:" + account_key, t.account_failures,
                                      t.account_window_ms, t.account_lock_ms, n);
    return f;
  }
  // The rows of a failure (its event, and a note of each delay or lock it caused; the account's
  // lock persisted). Takes values only: it may run after the request has been answered.
  common::status write_failure(write_batch& w, std::int64_t at, const std::string& address,
                               const std::string& account_key, const failure_effects& f,
                               std::string_view event, const std::string& email,
                               std::string_view detail = {}) const {
    if (auto st = w.audit(at, event, email, address, detail); !st) return st;
    if (f.pair_delay_ms > 0) {
      if (auto st = w.audit(at, "sign_in_delayed", email, address,
                            std::to_string(f.pair_delay_ms) + " ms");
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

  // For write_later(): a write that failed after its request was answered is logged and
  // counted (it cannot change the answer any more).
  std::function<void(const common::status&)> log_failure(std::string what) {
    return [this, what = std::move(what)](const common::status& st) {
      if (st) return;
      count(refusal::store_failed);
      spdlog::error("accounts: {}: {}", what, st.error().message);
    };
  }

  // The whole of a failed sign-in: counted in memory at once (that is what the next attempt
  // meets), written in the next group commit without waiting for it, then the 401. Every failure
  // path makes exactly this one write, known account or not.
  http_response sign_in_failed(const call& c, const std::string& account_key,
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

  // ---- sessions ----------------------------------------------------------------------------
  // The session the cookie names: nullopt inside if none; an error if the store failed.
  common::result<std::optional<session_row>> session_of(const call& c, session_kind kind,
                                                        const char* name) {
    const auto it = c.cookies.find(name);
    if (it == c.cookies.end() || it->second.size() != 32) return std::optional<session_row>();
    return db().find_session(digest_of(it->second), kind, now());
  }

  // The next step's session: ends the cookie's (if any), and its cookie.
  struct next_step {
    token t;
    session_row row;
    std::optional<std::vector<std::uint8_t>> ended;
    std::string cookie;
  };
  next_step make_session(const call& c, session_kind kind, std::int64_t account_id,
                         session_stage stage, bool remember, const char* name) const {
    next_step s;
    if (const auto it = c.cookies.find(name); it != c.cookies.end())
      s.ended = digest_of(it->second);
    s.t = new_token();
    const bool full = stage == session_stage::signed_in;
    const auto lifetime = full ? (remember ? cfg().remember_ms : cfg().session_ms) : cfg().step_ms;
    s.row = {kind, account_id, stage, remember, now() + lifetime};
    s.cookie = cookie(name, s.t.text, session_cookie_path,
                      full && remember ? std::optional(lifetime / 1000) : std::nullopt);
    return s;
  }
  common::status write_session(write_batch& w, const next_step& s) const {
    if (s.ended) {
      if (auto st = w.delete_session(*s.ended); !st) return st;
    }
    return w.create_session(s.t.digest, s.row, now());
  }

  std::string clear_cookie(const char* name, std::string_view path) const {
    return cookie(name, "", path, 0);
  }

  http_response no_session(std::string_view what) {
    return problem(401, "Unauthorized",
                   std::string("sign in first") + (what.empty() ? "" : ": ") + std::string(what));
  }

  // ---- eService ----------------------------------------------------------------------------
  // `screen_language`: the language chosen on the login screen ("ja", "en"), else the account's.
  json step_body(session_stage stage, const eservice_account& a,
                 const std::string& screen_language = {}) {
    const auto& language =
        screen_language == "ja" || screen_language == "en" ? screen_language : a.language;
    json body = {{"next", to_string(stage)}};
    if (stage == session_stage::security_setup) body["questions"] = questions_json(cfg(), language);
    if (stage == session_stage::security_challenge) {
      body["question"] = {{"id", a.question_id},
                          {"text", questions_text(cfg(), a.question_id, language)}};
    }
    return body;
  }

  // Which stored secret a typed eService password is compared with: exactly one, so every path
  // costs one Argon2id. A temporary password has its own length (shorter than any permanent one,
  // which settings enforce), so a second valid temporary password never adds a hash.
  const std::string* eservice_target(const std::optional<eservice_account>& a,
                                     const std::string& password, bool& temporary) const {
    temporary = false;
    if (!a || password.empty() || password.size() > 256) return nullptr;
    const bool temp_valid = !a->temp_hash.empty() && a->temp_expires_ms > now();
    if (temp_valid && password.size() == cfg().rules.temp_password_length) {
      temporary = true;
      return &a->temp_hash;
    }
    if (!a->password_hash.empty()) return &a->password_hash;
    return nullptr;
  }

  http_response login(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    const auto password = text_of(c.body, "password");
    const bool remember = flag_of(c.body, "remember");
    const auto key = "account:" + *email;
    if (auto r = sign_in_allowed(c, key)) return std::move(*r);
    auto found = db().find_eservice(*email);
    if (!found) return store_failed(found.error());
    bool temporary = false;
    const auto* target = eservice_target(*found, password, temporary);
    bool ok = false;
    {
      auto slot = gate_.acquire();
      if (!slot) return hash_busy();
      if (target != nullptr) {
        ok = hasher().verify(*target, password);
      } else {
        hasher().verify_nothing(password);
      }
    }
    if (!ok)
      return sign_in_failed(c, key, "login_failed", *email,
                            "the e-mail address or the password is wrong");
    // A correct password from this address ends this address's delay on the account, nothing
    // else: the security answer's failures and the account's safety count stay.
    throttle_.clear(pair_key(key, c));
    const auto& a = **found;
    const auto stage = temporary               ? session_stage::change_password
                       : a.answer_hash.empty() ? session_stage::security_setup
                                               : session_stage::security_challenge;
    const auto next =
        make_session(c, session_kind::eservice, a.id, stage, remember, eservice_cookie);
    if (auto st = db().write([&](write_batch& w) -> common::status {
          if (auto s = write_session(w, next); !s) return s;
          return w.audit(now(), temporary ? "login_temporary_password" : "login_password_ok",
                         a.email, c.address);
        });
        !st) {
      return store_failed(st.error());
    }
    return with_cookie(reply(200, step_body(stage, a, text_of(c.body, "language"))), next.cookie);
  }

  // The step's session and its account, or the response to give instead.
  std::variant<std::pair<session_row, eservice_account>, http_response> step(const call& c,
                                                                             session_stage want) {
    auto s = session_of(c, session_kind::eservice, eservice_cookie);
    if (!s) return store_failed(s.error());
    if (!*s) return no_session("the session has ended; sign in again");
    if ((*s)->stage != want) {
      return problem_with(409, "Conflict", "this step is not the current one",
                          {{"next", to_string((*s)->stage)}});
    }
    auto a = db().find_eservice((*s)->account_id);
    if (!a) return store_failed(a.error());
    if (!*a) return no_session("");
    return std::pair{**s, **a};
  }

  http_response change_password(const call& c) {
    auto st = step(c, session_stage::change_password);
    if (auto* r = std::get_if<http_response>(&st)) return std::move(*r);
    auto& [session, a] = std::get<0>(st);
    const auto key = "account:" + a.email;
    if (auto r = sign_in_allowed(c, key)) return std::move(*r);
    field_errors errors;
    const auto email = normalize_email(text_of(c.body, "email"));
    if (!email || *email != a.email)
      errors.add("email", "enter the e-mail address you signed in with");
    const auto current = text_of(c.body, "current_password");
    const auto next = text_of(c.body, "new_password");
    const auto again = text_of(c.body, "new_password_confirm");
    const auto rule = check_eservice_password(cfg().rules, next);
    bool current_ok = false;
    std::string hash;
    {
      auto slot = gate_.acquire();
      if (!slot) return hash_busy();
      const bool temp_valid =
          !a.temp_hash.empty() && a.temp_expires_ms > now() && current.size() <= 256;
      current_ok = hasher().verify(temp_valid ? a.temp_hash : std::string(), current);
      // The new password is hashed only once everything else is right.
      if (current_ok && rule && next != current && next == again && email && *email == a.email) {
        auto h = hasher().hash(next);
        if (!h) return internal(h.error());
        hash = std::move(*h);
      }
    }
    if (!current_ok) errors.add("current_password", "the current (temporary) password is wrong");
    if (!rule) {
      errors.add("new_password", rule.error().message);
    } else if (next == current) {
      errors.add("new_password", "the new password must differ from the temporary password");
    }
    if (next != again) errors.add("new_password_confirm", "the two new passwords differ");
    if (!errors.empty()) {
      if (current_ok) return errors.response();
      const auto f = fail_in_memory(c, key);
      if (auto s = db().write([&](write_batch& w) {
            return write_failure(w, now(), c.address, key, f, "password_change_failed", a.email);
          });
          !s) {
        return store_failed(s.error());
      }
      return errors.response();
    }
    std::optional<next_step> setup;
    if (a.answer_hash.empty()) {
      setup = make_session(c, session_kind::eservice, a.id, session_stage::security_setup,
                           session.remember, eservice_cookie);
    }
    if (auto s = db().write([&](write_batch& w) -> common::status {
          // set_password ends every session of the account, the step's included.
          if (auto r = w.set_password(a.id, hash, now()); !r) return r;
          if (auto r = w.audit(now(), "password_changed", a.email, c.address); !r) return r;
          return setup ? w.create_session(setup->t.digest, setup->row, now()) : common::status{};
        });
        !s) {
      return store_failed(s.error());
    }
    if (setup)
      return with_cookie(reply(200, step_body(session_stage::security_setup, a)), setup->cookie);
    return with_cookie(reply(200, {{"next", "login"}}),
                       clear_cookie(eservice_cookie, session_cookie_path));
  }

  http_response questions(const call& c) {
    std::string language = cfg().default_language;
    // The list is public; a store error here only loses the account's language preference, so it
    // falls back to the default rather than refusing the screen.
    if (auto s = session_of(c, session_kind::eservice, eservice_cookie); s && *s) {
      if (auto a = db().find_eservice((*s)->account_id); a && *a) language = (*a)->language;
    }
    if (const auto it = c.request.query.find("language");
        it != c.request.query.end() && (it->second == "ja" || it->second == "en")) {
      language = it->second;
    }
    return reply(200, {{"questions", questions_json(cfg(), language)}});
  }

  http_response setup_question(const call& c) {
    auto st = step(c, session_stage::security_setup);
    if (auto* r = std::get_if<http_response>(&st)) return std::move(*r);
    auto& a = std::get<0>(st).second;
    field_errors errors;
    const auto id = text_of(c.body, "question_id");
    const bool known = std::any_of(cfg().questions.begin(), cfg().questions.end(),
                                   [&](const security_question& q) { return q.id == id; });
    if (!known) errors.add("question_id", "choose one of the listed questions");
    const auto answer = text_of(c.body, "answer");
    if (auto rule = check_security_answer(cfg().rules, answer); !rule)
      errors.add("answer", rule.error().message);
    if (!errors.empty()) return errors.response();
    if (auto r = admit(c)) return std::move(*r);
    std::string hash;
    {
      auto slot = gate_.acquire();
      if (!slot) return hash_busy();
      auto h = hasher().hash(answer);
      if (!h) return internal(h.error());
      hash = std::move(*h);
    }
    const auto it = c.cookies.find(eservice_cookie);
    if (auto s = db().write([&](write_batch& w) -> common::status {
          if (auto r = w.set_security(a.id, id, hash, now()); !r) return r;
          if (it != c.cookies.end()) {
            if (auto r = w.delete_session(digest_of(it->second)); !r) return r;
          }
          return w.audit(now(), "security_question_set", a.email, c.address, id);
        });
        !s) {
      return store_failed(s.error());
    }
    // As on the guide's screens: back to the login page, where the question is now asked.
    return with_cookie(reply(200, {{"next", "login"}}),
                       clear_cookie(eservice_cookie, session_cookie_path));
  }

  // The security answer's own lock (it needs the password to reach; a correct password never
  // clears it).
  std::optional<http_response> answer_allowed(const call& c, const eservice_account& a) {
    if (auto r = admit(c)) return r;
    if (a.answer_locked_until_ms > now()) {
      return too_many(
          refusal::answer_locked, a.answer_locked_until_ms - now(),
          "too many wrong answers to the security question; try again later or ask for a reset");
    }
    return std::nullopt;
  }

  // Counts a wrong answer (its own counter, persisted) and the address's failure; `extra` adds
  // the caller's writes to the same transaction.
  common::status write_answer_failure(
      const call& c, const eservice_account& a, std::string_view event,
      const std::function<common::status(write_batch&)>& extra = {}) {
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

  http_response answer_question(const call& c) {
    auto st = step(c, session_stage::security_challenge);
    if (auto* r = std::get_if<http_response>(&st)) return std::move(*r);
    auto& [session, a] = std::get<0>(st);
    if (auto r = answer_allowed(c, a)) return std::move(*r);
    const auto answer = text_of(c.body, "answer");
    bool ok = false;
    {
      auto slot = gate_.acquire();
      if (!slot) return hash_busy();
      ok = hasher().verify(answer.size() <= 256 ? a.answer_hash : std::string(), answer);
    }
    if (!ok) {
      if (auto s = write_answer_failure(c, a, "security_answer_failed"); !s)
        return store_failed(s.error());
      return problem(401, "Unauthorized", "the answer to the security question is wrong");
    }
    const bool first = a.first_login_ms == 0;
    const auto next = make_session(c, session_kind::eservice, a.id, session_stage::signed_in,
                                   session.remember, eservice_cookie);
    if (auto s = db().write([&](write_batch& w) -> common::status {
          if (auto r = w.mark_logged_in(a.id, now()); !r) return r;
          if (auto r = write_session(w, next); !r) return r;
          return w.audit(now(), first ? "first_login" : "login", a.email, c.address);
        });
        !s) {
      return store_failed(s.error());
    }
    a.first_login_ms = first ? now() : a.first_login_ms;
    return with_cookie(reply(200, {{"next", "top"}, {"account", account_json(a)}}), next.cookie);
  }

  json account_json(const eservice_account& a) {
    return {{"email", a.email},
            {"customer_id", a.customer_id},
            {"language", a.language},
            {"display_name", a.display_name},
            {"has_logged_in", a.first_login_ms != 0},
            {"first_login_at",
             a.first_login_ms != 0 ? json(common::format_rfc3339(a.first_login_ms)) : json()}};
  }

  http_response accepted(std::string_view detail) {
    return reply(202, {{"status", "accepted"}, {"detail", detail}});
  }

  // Whether a request-triggered mail of `kind` to `recipient` may go now: the resend interval and
  // the daily caps per recipient and per requesting address. Called inside the write's op, so
  // two requests (a double click, a burst) can never both pass on the same counts.
  common::result<bool> mail_allowed(write_batch& w, std::int64_t at, const std::string& recipient,
                                    mail_kind kind, const std::string& address) {
    auto counts = w.count_mails(recipient, to_string(kind), address, at - day_ms);
    if (!counts) return std::unexpected(counts.error());
    const auto& l = cfg().limits;
    const bool allowed = at - counts->last_of_kind_ms >= cfg().resend_interval_ms &&
                         counts->to_recipient < l.mails_per_recipient_per_day &&
                         counts->from_address < l.mails_per_address_per_day;
    if (!allowed) count(refusal::mail_suppressed);
    return allowed;
  }

  // Every path costs one Argon2id (a new temporary password for a registered address, whether or
  // not the caps let it be mailed; a dummy for an unknown one) and one write that the answer does
  // not wait for, so neither the answer nor its time tells whether the address is registered.
  http_response forgot_password(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    if (auto r = admit(c)) return std::move(*r);
    if (auto r = daily(c, "resets", cfg().limits.reset_requests_per_address_per_day)) {
      return std::move(*r);
    }
    auto found = db().find_eservice(*email);
    if (!found) return store_failed(found.error());
    std::optional<core::issued_password> issued;
    {
      auto slot = gate_.acquire();
      if (!slot) return hash_busy();
      if (*found) {
        auto p = core_->prepare_password(**found);
        if (!p) return internal(p.error());
        issued = std::move(*p);
      } else {
        hasher().verify_nothing(*email);
      }
    }
    auto op = [this, at = now(), address = c.address, email = *email, account = *found,
               issued = std::move(issued)](write_batch& w) -> common::status {
      if (!account) return w.audit(at, "password_reset_unknown", email, address);
      auto allowed = mail_allowed(w, at, email, mail_kind::temporary_password, address);
      if (!allowed) return std::unexpected(allowed.error());
      if (!*allowed) return w.audit(at, "password_reset_suppressed", email, address);
      return core::write_password(w, *account, *issued, at, address, "password_reset_mailed",
                                  address);
    };
    auto then = [log = log_failure("password reset"),
                 core = core_.get()](const common::status& st) {
      log(st);
      if (st) core->mail_queued();
    };
    if (auto s = db().write_later(std::move(op), std::move(then)); !s) {
      return store_failed(s.error());
    }
    return accepted("if the address is registered, a new temporary password has been mailed to it");
  }

  http_response forgot_answer(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    if (auto r = admit(c)) return std::move(*r);
    if (auto r = daily(c, "resets", cfg().limits.reset_requests_per_address_per_day)) {
      return std::move(*r);
    }
    auto op = [at = now(), address = c.address, email = *email](write_batch& w) {
      return w.audit(at, "security_answer_reset_requested", email, address);
    };
    if (auto s = db().write_later(std::move(op), log_failure("security answer reset request"));
        !s) {
      return store_failed(s.error());
    }
    return accepted(
        "the security answer is reset by the operator: contact your sales representative; you "
        "will set a new question at your next sign-in");
  }

  std::variant<eservice_account, http_response> signed_in(const call& c) {
    auto s = session_of(c, session_kind::eservice, eservice_cookie);
    if (!s) return store_failed(s.error());
    if (!*s || (*s)->stage != session_stage::signed_in) return no_session("");
    auto a = db().find_eservice((*s)->account_id);
    if (!a) return store_failed(a.error());
    if (!*a) return no_session("");
    return **a;
  }

  http_response eservice_session(const call& c) {
    auto s = session_of(c, session_kind::eservice, eservice_cookie);
    if (!s) return store_failed(s.error());
    if (!*s) return no_session("");
    auto a = db().find_eservice((*s)->account_id);
    if (!a) return store_failed(a.error());
    if (!*a) return no_session("");
    json body = {{"stage", to_string((*s)->stage)},
                 {"expires_at", common::format_rfc3339((*s)->expires_ms)}};
    if ((*s)->stage == session_stage::signed_in) body["account"] = account_json(**a);
    return reply(200, body);
  }

  http_response profile(const call& c) {
    auto a = signed_in(c);
    if (auto* r = std::get_if<http_response>(&a)) return std::move(*r);
    return reply(200, account_json(std::get<0>(a)));
  }

  http_response update_profile(const call& c) {
    auto found = signed_in(c);
    if (auto* r = std::get_if<http_response>(&found)) return std::move(*r);
    auto a = std::get<0>(found);
    field_errors errors;
    if (c.body.contains("display_name")) {
      const auto name = text_of(c.body, "display_name");
      if (!c.body["display_name"].is_string() || name.size() > 100) {
        errors.add("display_name", "at most 100 characters");
      } else {
        a.display_name = name;
      }
    }
    if (c.body.contains("language")) {
      const auto language = text_of(c.body, "language");
      if (language != "ja" && language != "en") {
        errors.add("language", "ja or en");
      } else {
        a.language = language;
      }
    }
    if (!errors.empty()) return errors.response();
    if (auto s = db().write([&](write_batch& w) -> common::status {
          if (auto r = w.update_profile(a.id, a.display_name, a.language, now()); !r) return r;
          return w.audit(now(), "profile_updated", a.email, c.address);
        });
        !s) {
      return store_failed(s.error());
    }
    return reply(200, account_json(a));
  }

  json units_json(const std::vector<customer_unit>& units, bool monitored_only) {
    json list = json::array();
    for (const auto& u : units) {
      if (monitored_only && !u.monitored) continue;
      json item = {{"unit_id", u.unit_id},
                   {"name", u.name},
                   {"building_id", u.building_id},
                   {"building_name", u.building_name},
                   {"monitored", u.monitored}};
      if (u.monitored) item["status_url"] = "/api/v1/portal/units/" + u.unit_id + "/status";
      list.push_back(std::move(item));
    }
    return list;
  }

  http_response eservice_units(const call& c) {
    auto a = signed_in(c);
    if (auto* r = std::get_if<http_response>(&a)) return std::move(*r);
    auto units = db().customer_units(std::get<0>(a).customer_id, now());
    if (!units) return store_failed(units.error());
    return reply(200, {{"units", units_json(*units, false)}});
  }

  http_response inspection_reports(const call& c) {
    auto a = signed_in(c);
    if (auto* r = std::get_if<http_response>(&a)) return std::move(*r);
    auto reports = db().inspection_reports(std::get<0>(a).customer_id);
    if (!reports) return store_failed(reports.error());
    return reply(200, {{"reports", *reports}});
  }

  http_response logout(const call& c, session_kind kind) {
    const bool es = kind == session_kind::eservice;
    const char* name = es ? eservice_cookie : portal_cookie;
    if (const auto it = c.cookies.find(name); it != c.cookies.end()) {
      // A logout that did not reach the store must not look done: the session would live on.
      if (auto s =
              db().write([&](write_batch& w) { return w.delete_session(digest_of(it->second)); });
          !s) {
        return store_failed(s.error());
      }
    }
    return with_cookie(reply(200, {{"status", "signed_out"}}),
                       clear_cookie(name, session_cookie_path));
  }

  // ---- customer portal ---------------------------------------------------------------------
  http_response request_screen(const call& c) {
    json form = {
        {"notice_ja", "連絡先を入力すると弊社・営業担当者が24～48時間以内にお客様に連絡致します"},
        {"notice_en", "A sales representative will contact you within 24-48 hours."},
        {"countries", json::array({{{"code", "JP"}, {"label_ja", "日本"}, {"label_en", "Japan"}}})},
        {"privacy_policy_version", cfg().privacy_policy_version},
        {"terms_of_use_version", cfg().terms_of_use_version},
        {"password_rule",
         "8-16 characters with at least 3 of: lower case, upper case, digits, symbols " +
             cfg().rules.portal_password_symbols},
        {"mobile_phone_rule",
         "the national number without the leading 0 and without hyphens: 090-1111-2222 "
         "is entered as 9011112222"},
        {"code_digits", cfg().rules.code_digits},
    };
    return screen(c, std::move(form));
  }

  // No path hashes; every path makes one write the answer does not wait for. A code, or the "not
  // eligible" notice, is mailed only under the resend interval and the daily caps, decided inside
  // that write.
  http_response send_code(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    if (auto r = admit(c)) return std::move(*r);
    if (auto r = daily(c, "codes", cfg().limits.code_requests_per_address_per_day)) {
      return std::move(*r);
    }
    auto found = db().find_eservice(*email);
    if (!found) return store_failed(found.error());
    // Read on every path, so a registered address costs the same reads as an unknown one.
    auto portal = db().find_portal(*email);
    if (!portal) return store_failed(portal.error());
    const bool has_portal = portal->has_value();
    const bool eligible = *found && (*found)->first_login_ms != 0;
    std::optional<queued_mail> mail;
    std::string code;
    std::string_view event = "code_unknown_address";
    if (*found) {
      const auto& a = **found;
      if (!eligible) {
        event = "code_not_eligible";
        mail = compose(mail_kind::portal_not_eligible, a.language, cfg(), a.email,
                       {{"url", cfg().eservice_url}});
      } else if (has_portal) {
        event = "code_portal_exists";
      } else {
        event = "code_sent";
        code = make_code(cfg().rules);
        mail = compose(
            mail_kind::portal_code, a.language, cfg(), a.email,
            {{"code", code}, {"minutes", std::to_string(cfg().rules.code_valid_ms / 60000)}});
      }
    }
    const auto kind = eligible ? mail_kind::portal_code : mail_kind::portal_not_eligible;
    auto op = [this, at = now(), address = c.address, email = *email, mail = std::move(mail),
               code = std::move(code), event = std::string(event),
               kind](write_batch& w) -> common::status {
      if (mail) {
        auto allowed = mail_allowed(w, at, email, kind, address);
        if (!allowed) return std::unexpected(allowed.error());
        if (!*allowed) return w.audit(at, "code_suppressed", email, address, event);
        if (!code.empty()) {
          if (auto r = w.insert_code(email, code, at, at + cfg().rules.code_valid_ms); !r) return r;
        }
        if (auto r = w.enqueue_mail(*mail, address, at); !r) return r;
      }
      return w.audit(at, event, email, address);
    };
    auto then = [log = log_failure("verification code"),
                 core = core_.get()](const common::status& st) {
      log(st);
      if (st) core->mail_queued();
    };
    if (auto s = db().write_later(std::move(op), std::move(then)); !s) {
      return store_failed(s.error());
    }
    return accepted(
        "if the address belongs to an eService account that has signed in, a verification code "
        "has been mailed");
  }

  http_response verify_code(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    if (auto r = admit(c)) return std::move(*r);
    if (auto r = daily(c, "verifications", cfg().limits.verifications_per_address_per_day))
      return std::move(*r);
    const auto code = text_of(c.body, "code");
    // Looked up on every path (registered or not), before the one write.
    auto found = db().find_eservice(*email);
    if (!found) return store_failed(found.error());
    const bool eligible = *found && (*found)->first_login_ms != 0;
    const auto t = new_token();
    auto outcome = code_check::wrong;
    // The check, its record and, if right, the access request, in one write: they never part.
    if (auto s = db().write([&](write_batch& w) -> common::status {
          if (code.size() == cfg().rules.code_digits) {
            auto r = w.check_code(*email, code, now(), cfg().rules.code_max_tries);
            if (!r) return std::unexpected(r.error());
            outcome = *r;
          }
          // A right code of an account that can no longer register fails like any other.
          if (outcome == code_check::ok && !eligible) outcome = code_check::none;
          if (outcome != code_check::ok) {
            const auto f = fail_in_memory(c, "");
            return write_failure(w, now(), c.address, "", f, "code_rejected", *email,
                                 to_string(outcome));
          }
          const auto& a = **found;
          if (auto r = w.create_request(t.digest, a.email, a.id, now(), now() + cfg().step_ms); !r)
            return r;
          return w.audit(now(), "code_verified", a.email, c.address);
        });
        !s) {
      return store_failed(s.error());
    }
    if (outcome != code_check::ok) {
      // One answer for wrong, expired, used, exhausted and unknown: none tells whether the address
      // is registered.
      return problem(400, "Bad Request",
                     "the code is wrong, expired or already used; send a new code");
    }
    return with_cookie(
        reply(200, {{"next", "form"}, {"email", (*found)->email}}),
        cookie(request_cookie, t.text, "/api/v1/portal/access-request", std::nullopt));
  }

  // The request the cookie names: nullopt inside if none; an error if the store failed.
  common::result<std::optional<access_request>> current_request(const call& c) {
    const auto it = c.cookies.find(request_cookie);
    if (it == c.cookies.end() || it->second.size() != 32) return std::optional<access_request>();
    return db().find_request(digest_of(it->second), now());
  }

  http_response submit_form(const call& c) {
    auto request = current_request(c);
    if (!request) return store_failed(request.error());
    if (!*request)
      return problem(401, "Unauthorized", "verify the e-mail address with a code first");
    const auto& rules = cfg().rules;
    field_errors errors;
    const auto password = text_of(c.body, "password");
    if (auto r = check_portal_password(rules, password); !r)
      errors.add("password", r.error().message);
    if (text_of(c.body, "password_confirm") != password)
      errors.add("password_confirm", "the two passwords differ");
    auto text = [&](const char* field, std::size_t max) {
      auto v = text_of(c.body, field);
      if (v.empty() || v.size() > max)
        errors.add(field, "required, at most " + std::to_string(max) + " bytes");
      return v;
    };
    const auto company = text("company", 200);
    const auto last = text("last_name", 100);
    const auto first = text("first_name", 100);
    const auto country = text_of(c.body, "country");
    if (country != "JP") errors.add("country", "choose Japan (JP)");
    auto mobile = mobile_to_e164(rules, text_of(c.body, "mobile_phone"));
    if (!mobile) errors.add("mobile_phone", mobile.error().message);
    if (!flag_of(c.body, "privacy_policy_accepted")) {
      errors.add("privacy_policy_accepted",
                 "read the Privacy Policy (it includes the use of cookies) and tick the box");
    } else if (text_of(c.body, "privacy_policy_version") != cfg().privacy_policy_version) {
      errors.add("privacy_policy_version",
                 "accept the current Privacy Policy, version " + cfg().privacy_policy_version);
    }
    if (!flag_of(c.body, "terms_of_use_accepted")) {
      errors.add("terms_of_use_accepted", "read the Terms of Use and tick the box");
    } else if (text_of(c.body, "terms_of_use_version") != cfg().terms_of_use_version) {
      errors.add("terms_of_use_version",
                 "accept the current Terms of Use, version " + cfg().terms_of_use_version);
    }
    if (!errors.empty()) return errors.response();
    if (auto r = admit(c)) return std::move(*r);
    std::string hash;
    {
      auto slot = gate_.acquire();
      if (!slot) return hash_busy();
      auto h = hasher().hash(password);
      if (!h) return internal(h.error());
      hash = std::move(*h);
    }
    const json form = {{"company", company},
                       {"last_name", last},
                       {"first_name", first},
                       {"country", country},
                       {"mobile_e164", *mobile},
                       {"privacy_policy_version", cfg().privacy_policy_version},
                       {"privacy_policy_accepted_ms", now()},
                       {"terms_of_use_version", cfg().terms_of_use_version},
                       {"terms_of_use_accepted_ms", now()}};
    if (auto s = db().write(
            [&](write_batch& w) { return w.save_form((*request)->id, form.dump(), hash); });
        !s) {
      return store_failed(s.error());
    }
    return request_question(c);
  }

  http_response request_question(const call& c) {
    auto request = current_request(c);
    if (!request) return store_failed(request.error());
    if (!*request)
      return problem(401, "Unauthorized", "verify the e-mail address with a code first");
    if (!(*request)->form_done)
      return problem_with(409, "Conflict", "fill in the form first", {{"next", "form"}});
    auto a = db().find_eservice((*request)->eservice_id);
    if (!a) return store_failed(a.error());
    if (!*a) return problem(401, "Unauthorized", "start again");
    if ((*a)->answer_hash.empty()) {
      return problem(
          409, "Conflict",
          "the eService security question has been reset: sign in to eService to set it");
    }
    const auto& acc = **a;
    return reply(200, {{"next", "security_question"},
                       {"question",
                        {{"id", acc.question_id},
                         {"text", questions_text(cfg(), acc.question_id, acc.language)}}}});
  }

  http_response request_answer(const call& c) {
    auto current = current_request(c);
    if (!current) return store_failed(current.error());
    if (!*current)
      return problem(401, "Unauthorized", "verify the e-mail address with a code first");
    const auto& request = **current;
    if (!request.form_done)
      return problem_with(409, "Conflict", "fill in the form first", {{"next", "form"}});
    auto found = db().find_eservice(request.eservice_id);
    if (!found) return store_failed(found.error());
    if (!*found) return problem(401, "Unauthorized", "start again");
    const auto& a = **found;
    // The eService answer's own counter and lock: the portal's request is another way to guess it.
    if (auto r = answer_allowed(c, a)) return std::move(*r);
    const auto answer = text_of(c.body, "answer");
    bool ok = false;
    {
      auto slot = gate_.acquire();
      if (!slot) return hash_busy();
      ok = hasher().verify(answer.size() <= 256 ? a.answer_hash : std::string(), answer);
    }
    if (!ok) {
      const auto voided = [&](write_batch& w) -> common::status {
        auto failures = w.add_request_answer_failure(request.id);
        if (!failures) return std::unexpected(failures.error());
        if (*failures >= cfg().throttle.answer_failures) return w.delete_request(request.id);
        return {};
      };
      if (auto s = write_answer_failure(c, a, "portal_security_answer_failed", voided); !s) {
        return store_failed(s.error());
      }
      return problem(401, "Unauthorized", "the answer to the eService security question is wrong");
    }
    const auto form = json::parse(request.form_json, nullptr, false);
    portal_account p;
    p.eservice_id = a.id;
    p.email = a.email;
    p.password_hash = request.password_hash;
    p.customer_id = a.customer_id;
    p.company = form.value("company", "");
    p.last_name = form.value("last_name", "");
    p.first_name = form.value("first_name", "");
    p.country = form.value("country", "");
    p.mobile_e164 = form.value("mobile_e164", "");
    p.language = a.language;
    std::optional<queued_mail> sales;
    if (!cfg().sales_email.empty()) {
      sales = compose(mail_kind::sales_request, cfg().default_language, cfg(), cfg().sales_email,
                      {{"company", p.company},
                       {"email", p.email},
                       {"name", p.last_name + " " + p.first_name},
                       {"mobile", p.mobile_e164},
                       {"customer", p.customer_id}});
    }
    std::int64_t id = 0;
    std::optional<next_step> next;
    if (auto s = db().write([&](write_batch& w) -> common::status {
          auto created = w.create_portal(p, form, now());
          if (!created) return std::unexpected(created.error());
          id = *created;
          if (auto r = w.delete_request(request.id); !r) return r;
          if (auto r = w.audit(now(), "portal_account_created", a.email, c.address,
                               "customer " + a.customer_id);
              !r) {
            return r;
          }
          if (sales) {
            // To the company's own sales contact: no cap (requested_by ""), one per new account.
            if (auto r = w.enqueue_mail(*sales, "", now()); !r) return r;
          }
          next = make_session(c, session_kind::portal, id, session_stage::signed_in, false,
                              portal_cookie);
          return write_session(w, *next);
        });
        !s) {
      if (s.error().code == errc::conflict)
        return problem(409, "Conflict", "a customer portal account already exists");
      return store_failed(s.error());
    }
    if (sales) core_->mail_queued();
    p.id = id;
    return with_cookie(reply(201, {{"status", "signed_in"},
                                   {"account", portal_json(p)},
                                   {"sales_contact",
                                    "a sales representative will contact you within 24-48 hours"}}),
                       next->cookie);
  }

  json portal_json(const portal_account& p) {
    return {{"email", p.email},
            {"customer_id", p.customer_id},
            {"company", p.company},
            {"last_name", p.last_name},
            {"first_name", p.first_name},
            {"country", p.country},
            {"mobile_phone", p.mobile_e164}};
  }

  http_response portal_login(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    const auto password = text_of(c.body, "password");
    const auto key = "portal:" + *email;
    if (auto r = sign_in_allowed(c, key)) return std::move(*r);
    auto found = db().find_portal(*email);
    if (!found) return store_failed(found.error());
    bool ok = false;
    {
      auto slot = gate_.acquire();
      if (!slot) return hash_busy();
      if (*found && !password.empty() && password.size() <= 256) {
        ok = hasher().verify((*found)->password_hash, password);
      } else {
        hasher().verify_nothing(password);
      }
    }
    if (!ok)
      return sign_in_failed(c, key, "portal_login_failed", *email,
                            "the e-mail address or the password is wrong");
    throttle_.clear(pair_key(key, c));
    const auto next = make_session(c, session_kind::portal, (*found)->id, session_stage::signed_in,
                                   flag_of(c.body, "remember"), portal_cookie);
    if (auto s = db().write([&](write_batch& w) -> common::status {
          if (auto r = write_session(w, next); !r) return r;
          return w.audit(now(), "portal_login", *email, c.address);
        });
        !s) {
      return store_failed(s.error());
    }
    return with_cookie(reply(200, {{"status", "signed_in"}, {"account", portal_json(**found)}}),
                       next.cookie);
  }

  std::variant<portal_account, http_response> portal_signed_in(const call& c) {
    auto s = session_of(c, session_kind::portal, portal_cookie);
    if (!s) return store_failed(s.error());
    if (!*s) return no_session("");
    auto p = db().find_portal((*s)->account_id);
    if (!p) return store_failed(p.error());
    if (!*p) return no_session("");
    return **p;
  }

  http_response portal_session(const call& c) {
    auto p = portal_signed_in(c);
    if (auto* r = std::get_if<http_response>(&p)) return std::move(*r);
    return reply(200, {{"stage", "signed_in"}, {"account", portal_json(std::get<0>(p))}});
  }

  http_response portal_units(const call& c) {
    auto p = portal_signed_in(c);
    if (auto* r = std::get_if<http_response>(&p)) return std::move(*r);
    auto units = db().customer_units(std::get<0>(p).customer_id, now());
    if (!units) return store_failed(units.error());
    return reply(200, {{"units", units_json(*units, true)}});
  }

  // Real-time data only for the signed-in customer's units under a monitoring contract: the last
  // run state the ingest stored (the core API serves the same to API-key clients).
  http_response portal_unit_status(const call& c, const std::string& unit_id) {
    auto p = portal_signed_in(c);
    if (auto* r = std::get_if<http_response>(&p)) return std::move(*r);
    auto units = db().customer_units(std::get<0>(p).customer_id, now());
    if (!units) return store_failed(units.error());
    const bool monitored = std::any_of(units->begin(), units->end(), [&](const customer_unit& u) {
      return u.unit_id == unit_id && u.monitored;
    });
    if (!monitored) return problem(404, "Not Found", "no monitored unit " + unit_id);
    auto status = db().unit_status(unit_id);
    if (!status) return store_failed(status.error());
    json body = {{"unit_id", unit_id}, {"status", nullptr}, {"updated_at", nullptr}};
    if (*status) {
      auto parsed = json::parse((*status)->first, nullptr, false);
      if (!parsed.is_discarded()) body["status"] = std::move(parsed);
      body["updated_at"] = common::format_rfc3339((*status)->second);
    }
    return reply(200, body);
  }

  std::unique_ptr<core> core_;
  std::unique_ptr<mail_sender> sender_;
  hash_gate gate_;
  throttle throttle_;
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(refusal::count_)> refusals_{};
  std::mutex housekeeping_mutex_;
  std::condition_variable housekeeping_cv_;
  bool stopping_ = false;
  std::thread housekeeper_;
};

// ---- the operator face
// ---------------------------------------------------------------------------

class operator_impl final : public operator_actions {
 public:
  operator_impl(std::unique_ptr<core> c, std::unique_ptr<mail_sender> sender)
      : core_(std::move(c)), sender_(std::move(sender)) {}

  common::status register_eservice(const std::string& email, const std::string& customer_id,
                                   const std::string& language) override {
    return core_->register_eservice(email, customer_id, language, "operator");
  }

  common::status issue_password(const std::string& email) override {
    auto a = core_->find(email);
    if (!a) return std::unexpected(a.error());
    auto p = core_->prepare_password(*a);
    if (!p) return std::unexpected(p.error());
    const auto now = core_->now();
    auto st = core_->store().write([&](write_batch& w) {
      return core::write_password(w, *a, *p, now, "operator", "temp_password_issued", "");
    });
    if (st) core_->mail_queued();
    return st;
  }

  common::status reset_security_answer(const std::string& email) override {
    auto a = core_->find(email);
    if (!a) return std::unexpected(a.error());
    const auto now = core_->now();
    // Clearing the question also clears the answer's failures and lock.
    return core_->store().write([&](write_batch& w) -> common::status {
      if (auto st = w.set_security(a->id, "", "", now); !st) return st;
      return w.audit(now, "security_answer_reset", a->email, "operator");
    });
  }

  common::result<std::size_t> send_pending() override { return sender_->send_due(); }

  common::result<std::vector<sales_request>> sales_requests() override {
    return core_->store().sales_requests();
  }

 private:
  std::unique_ptr<core> core_;
  std::unique_ptr<mail_sender> sender_;
};

}  // namespace

std::vector<std::pair<std::string_view, std::string_view>> module::routes() {
  return {{"GET", "/api/v1/eservice/login"},
          {"POST", "/api/v1/eservice/login"},
          {"POST", "/api/v1/eservice/password"},
          {"GET", "/api/v1/eservice/security-questions"},
          {"POST", "/api/v1/eservice/security-question"},
          {"POST", "/api/v1/eservice/security-answer"},
          {"POST", "/api/v1/eservice/forgot-password"},
          {"POST", "/api/v1/eservice/forgot-security-answer"},
          {"GET", "/api/v1/eservice/session"},
          {"GET", "/api/v1/eservice/profile"},
          {"POST", "/api/v1/eservice/profile"},
          {"GET", "/api/v1/eservice/units"},
          {"GET", "/api/v1/eservice/inspection-reports"},
          {"POST", "/api/v1/eservice/logout"},
          {"GET", "/api/v1/portal/access-request"},
          {"POST", "/api/v1/portal/access-request/code"},
          {"POST", "/api/v1/portal/access-request/verify"},
          {"POST", "/api/v1/portal/access-request/form"},
          {"GET", "/api/v1/portal/access-request/security-question"},
          {"POST", "/api/v1/portal/access-request/security-answer"},
          {"GET", "/api/v1/portal/login"},
          {"POST", "/api/v1/portal/login"},
          {"GET", "/api/v1/portal/session"},
          {"GET", "/api/v1/portal/units"},
          {"GET", "/api/v1/portal/units/{unit_id}/status"},
          {"POST", "/api/v1/portal/logout"}};
}

common::result<std::unique_ptr<module>> module::create(
    const toml::table& section, const std::string& source, const std::string& store_path,
    std::shared_ptr<common::clock> clock, std::shared_ptr<const password_hasher> hasher) {
  auto c = make_core(section, source, store_path, clock, write_mode::grouped, std::move(hasher));
  if (!c) return std::unexpected(c.error());
  auto sender = mail_sender::open(store_path, (*c)->config().smtp, clock, nullptr);
  if (!sender) return std::unexpected(sender.error());
  return std::unique_ptr<module>(new module_impl(std::move(*c), std::move(*sender)));
}

common::result<std::unique_ptr<operator_actions>> operator_actions::open(
    const toml::table& section, const std::string& source, const std::string& store_path,
    std::shared_ptr<common::clock> clock) {
  auto c = make_core(section, source, store_path, clock, write_mode::immediate, nullptr);
  if (!c) return std::unexpected(c.error());
  auto sender = mail_sender::open(store_path, (*c)->config().smtp, clock, nullptr);
  if (!sender) return std::unexpected(sender.error());
  return std::unique_ptr<operator_actions>(new operator_impl(std::move(*c), std::move(*sender)));
}

}  // namespace hoistway::cloud::accounts
