// The accounts module's HTTP face: it checks a request's method, CSRF token and body, hands it to
// the eService or the portal routes (eservice_routes.cpp, portal_routes.cpp), counts what was
// refused (protection.cpp) and prunes the accounts' tables. The operator's face is
// operator_actions.cpp; what both share is core.cpp.
//
// eService sign-in is a small state machine kept in the session row: a correct temporary password
// gives a change_password session, a correct password gives security_setup (no question yet) or
// security_challenge; only a correct security answer gives a signed_in session. Every step issues
// a fresh token (session_flow.hpp). The customer-portal access request is kept in access_requests
// between the verified code and the eService security answer.
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

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core.hpp"
#include "hoistway/cloud/accounts/mail.hpp"
#include "hoistway/cloud/accounts/throttle.hpp"
#include "hoistway/cloud/portal/api.hpp"
#include "hoistway/common/crypto.hpp"
#include "http_helpers.hpp"
#include "protection.hpp"
#include "routes.hpp"

namespace hoistway::cloud::accounts {

namespace {

class module_impl final : public module {
 public:
  module_impl(std::unique_ptr<core> c, std::unique_ptr<mail_sender> sender)
      : core_(std::move(c)),
        sender_(std::move(sender)),
        guard_(*core_),
        context_(*core_, guard_),
        eservice_(context_),
        portal_(context_) {
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
    return guard_.counters();
  }

  std::string metrics_text() const override { return guard_.metrics_text(); }

 private:
  const settings& cfg() const { return core_->config(); }
  account_store& db() { return core_->store(); }
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
    auto answer = eservice ? eservice_.handle(c, path, get) : portal_.handle(c, path, get);
    if (answer) return answer;
    return problem(404, "Not Found", "no route for " + request.method + " " + request.path);
  }

  std::unique_ptr<core> core_;
  std::unique_ptr<mail_sender> sender_;
  protection guard_;
  route_context context_;
  eservice_routes eservice_;
  portal_routes portal_;
  std::mutex housekeeping_mutex_;
  std::condition_variable housekeeping_cv_;
  bool stopping_ = false;
  std::thread housekeeper_;
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

}  // namespace hoistway::cloud::accounts
