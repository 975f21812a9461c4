// The accounts module: the guide's screens as HTTP routes, and the operator's actions.
//
// eService sign-in is a small state machine kept in the session row: a correct temporary password
// gives a change_password session, a correct password gives security_setup (no question yet) or
// security_challenge; only a correct security answer gives a signed_in session. Every step issues
// a fresh token. The customer-portal access request is kept in access_requests between the
// verified code and the eService security answer.
#include "hoistway/cloud/accounts.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <variant>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/accounts/account_store.hpp"
#include "hoistway/cloud/accounts/mail.hpp"
#include "hoistway/cloud/accounts/password_hash.hpp"
#include "hoistway/cloud/accounts/policy.hpp"
#include "hoistway/cloud/accounts/settings.hpp"
#include "hoistway/cloud/api.hpp"
#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud::accounts {

using common::errc;
using common::fail;
using nlohmann::json;

namespace {

constexpr std::string_view eservice_prefix = "/api/v1/eservice/";
constexpr std::string_view portal_prefix = "/api/v1/portal/";
constexpr const char* csrf_cookie = "hw_csrf";
constexpr const char* eservice_cookie = "hw_eservice";
constexpr const char* portal_cookie = "hw_portal";
constexpr const char* request_cookie = "hw_request";

// ---- the actions shared by the HTTP face and the operator face -------------------------------

class core {
 public:
  core(settings config, std::shared_ptr<common::clock> clock, std::unique_ptr<account_store> store)
      : config_(std::move(config)), clock_(std::move(clock)), store_(std::move(store)), hasher_(config_.hashing) {}

  const settings& config() const { return config_; }
  account_store& store() { return *store_; }
  const password_hasher& hasher() const { return hasher_; }
  std::int64_t now() const { return clock_->wall_ms(); }
  std::function<void()> on_mail;  // wakes the sender

  common::status queue(mail_kind kind, const std::string& language, const std::string& to,
                       const std::map<std::string, std::string>& values) {
    auto st = store_->enqueue_mail(compose(kind, language, config_, to, values), now());
    if (st && on_mail) on_mail();
    return st;
  }

  std::string language_or_default(const std::string& language) const {
    return language.empty() ? config_.default_language : language;
  }

  common::status register_eservice(const std::string& email_raw, const std::string& customer_id,
                                   const std::string& language_raw, const std::string& actor) {
    auto email = normalize_email(email_raw);
    if (!email) return std::unexpected(email.error());
    const auto language = language_or_default(language_raw);
    if (language != "ja" && language != "en") return fail(errc::invalid_argument, "language must be ja or en");
    auto id = store_->insert_eservice(*email, customer_id, language, now());
    if (!id) return std::unexpected(id.error());
    (void)store_->audit(now(), "eservice_registered", *email, actor, "customer " + customer_id);
    return queue(mail_kind::registration_complete, language, *email, {{"url", config_.eservice_url}});
  }

  // Issues a temporary password; every earlier one stops working.
  common::status issue_password(const eservice_account& account, const std::string& actor,
                                std::string_view event) {
    const auto password = make_temp_password(config_.rules);
    auto hash = hasher_.hash(password);
    if (!hash) return std::unexpected(hash.error());
    const auto expires = now() + config_.rules.temp_password_valid_ms;
    if (auto st = store_->set_temp_password(account.id, *hash, now(), expires); !st) return st;
    (void)store_->audit(now(), event, account.email, actor);
    return queue(mail_kind::temporary_password, account.language, account.email,
                 {{"password", password}, {"url", config_.eservice_url}, {"expires", common::format_rfc3339(expires)}});
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
  password_hasher hasher_;
};

common::result<std::unique_ptr<core>> make_core(const toml::table& section, const std::string& source,
                                                const std::string& store_path,
                                                std::shared_ptr<common::clock> clock) {
  auto config = settings::load(section, source);
  if (!config) return std::unexpected(config.error());
  if (config->hashing.profile == hash_profile::test) {
    spdlog::warn("accounts: [accounts.hashing] profile = \"test\": password hashing is weak; tests only");
  }
  auto store = account_store::open(store_path);
  if (!store) return std::unexpected(store.error());
  return std::make_unique<core>(std::move(*config), std::move(clock), std::move(*store));
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

http_response problem_with(unsigned status, std::string_view title, std::string_view detail, const json& extra) {
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
    return problem_with(422, "Unprocessable Content", "some fields need correcting", {{"errors", list}});
  }
};

http_response single_field(std::string_view field, std::string_view message) {
  field_errors e;
  e.add(field, message);
  return e.response();
}

struct token {
  std::string text;                   // what the cookie holds (hex)
  std::vector<std::uint8_t> digest;   // what the database holds
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

std::string questions_text(const settings& config, const std::string& id, const std::string& language) {
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

class module_impl final : public module {
 public:
  module_impl(std::unique_ptr<core> c, std::unique_ptr<mail_sender> sender)
      : core_(std::move(c)), sender_(std::move(sender)) {
    auto* s = sender_.get();
    core_->on_mail = [s] {
      if (s != nullptr) s->wake();
    };
  }
  ~module_impl() override { stop(); }

  void start() override {
    if (sender_) sender_->start();
  }
  void stop() override {
    if (sender_) sender_->stop();
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

 private:
  struct call {
    const http_request& request;
    std::map<std::string, std::string> cookies;
    json body;
    std::string address;
  };

  const settings& cfg() const { return core_->config(); }
  account_store& db() { return core_->store(); }
  std::int64_t now() const { return core_->now(); }

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
    call c{request, cookies_of(request), json::object(), request.remote_address};
    const auto& m = request.method;
    const bool get = m == "GET" || m == "HEAD";
    if (!get) {
      if (m != "POST") return method_not_allowed("GET, HEAD, POST");
      // Double-submit: the header must repeat the csrf cookie (a cross-site form can set neither).
      const auto header = request.header("x-csrf-token");
      const auto it = c.cookies.find(csrf_cookie);
      if (header.empty() || it == c.cookies.end() ||
          !common::crypto::constant_time_equal(common::crypto::as_bytes(header), common::crypto::as_bytes(it->second))) {
        return problem(403, "Forbidden",
                       "missing or wrong CSRF token: GET the screen first and send its csrf_token in X-CSRF-Token");
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
        return portal_unit_status(c, std::string(path.substr(units_prefix.size(), path.size() - units_prefix.size() - 7)));
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
    if (!have) r = with_cookie(std::move(r), cookie(csrf_cookie, value, "/api/v1", std::nullopt, false));
    return r;
  }

  // ---- throttling --------------------------------------------------------------------------
  std::optional<http_response> locked(const std::vector<std::string>& keys) {
    std::int64_t until = 0;
    for (const auto& k : keys) until = std::max(until, db().locked_until(k, now()));
    if (until == 0) return std::nullopt;
    auto r = problem(429, "Too Many Requests", "too many failed attempts; try again later");
    r.headers.emplace_back("Retry-After", std::to_string((until - now() + 999) / 1000));
    return r;
  }

  void failed(const std::string& account_key, const call& c, std::string_view event, const std::string& email) {
    const auto& s = cfg();
    const bool account_locked = db().record_failure(account_key, now(), s.account_failures, s.throttle_window_ms, s.lock_ms);
    const bool address_locked =
        db().record_failure("address:" + c.address, now(), s.address_failures, s.throttle_window_ms, s.lock_ms);
    (void)db().audit(now(), event, email, c.address);
    if (account_locked) (void)db().audit(now(), "account_locked", email, c.address, account_key);
    if (address_locked) (void)db().audit(now(), "address_locked", email, c.address);
  }

  // ---- sessions ----------------------------------------------------------------------------
  std::optional<session_row> session_of(const call& c, session_kind kind, const char* name,
                                        std::vector<std::uint8_t>* digest_out = nullptr) {
    const auto it = c.cookies.find(name);
    if (it == c.cookies.end() || it->second.size() != 32) return std::nullopt;
    auto digest = digest_of(it->second);
    auto s = db().find_session(digest, kind, now());
    if (s && digest_out != nullptr) *digest_out = std::move(digest);
    return s;
  }

  // Ends the step's session (if any) and starts the next one; the cookie carries its token.
  common::result<std::string> next_session(const call& c, session_kind kind, std::int64_t account_id,
                                           session_stage stage, bool remember, const char* name) {
    if (const auto it = c.cookies.find(name); it != c.cookies.end()) db().delete_session(digest_of(it->second));
    auto t = new_token();
    const bool full = stage == session_stage::signed_in;
    const auto lifetime = full ? (remember ? cfg().remember_ms : cfg().session_ms) : cfg().step_ms;
    if (auto st = db().create_session(t.digest, {kind, account_id, stage, remember, now() + lifetime}, now()); !st) {
      return std::unexpected(st.error());
    }
    const auto path = kind == session_kind::eservice ? "/api/v1/eservice" : "/api/v1/portal";
    return cookie(name, t.text, path, full && remember ? std::optional(lifetime / 1000) : std::nullopt);
  }

  std::string clear_cookie(const char* name, std::string_view path) const { return cookie(name, "", path, 0); }

  http_response no_session(std::string_view what) {
    return problem(401, "Unauthorized", std::string("sign in first") + (what.empty() ? "" : ": ") + std::string(what));
  }

  http_response internal(const common::error& e) {
    spdlog::error("accounts: {}", e.message);
    return problem(500, "Internal Server Error");
  }

  // ---- eService ----------------------------------------------------------------------------
  // `screen_language`: the language chosen on the login screen ("ja", "en"), else the account's.
  json step_body(session_stage stage, const eservice_account& a, const std::string& screen_language = {}) {
    const auto& language = screen_language == "ja" || screen_language == "en" ? screen_language : a.language;
    json body = {{"next", to_string(stage)}};
    if (stage == session_stage::security_setup) body["questions"] = questions_json(cfg(), language);
    if (stage == session_stage::security_challenge) {
      body["question"] = {{"id", a.question_id}, {"text", questions_text(cfg(), a.question_id, language)}};
    }
    return body;
  }

  http_response login(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    const auto password = text_of(c.body, "password");
    const bool remember = flag_of(c.body, "remember");
    const auto key = "account:" + *email;
    if (auto r = locked({key, "address:" + c.address})) return std::move(*r);
    auto found = db().find_eservice(*email);
    if (!found) return internal(found.error());
    const auto wrong = [&] {
      failed(key, c, "login_failed", *email);
      return problem(401, "Unauthorized", "the e-mail address or the password is wrong");
    };
    if (!*found || password.empty() || password.size() > 256) {
      core_->hasher().verify_nothing(password);
      return wrong();
    }
    const auto& a = **found;
    const bool permanent = !a.password_hash.empty() && core_->hasher().verify(a.password_hash, password);
    const bool temporary = !permanent && !a.temp_hash.empty() && a.temp_expires_ms > now() &&
                           core_->hasher().verify(a.temp_hash, password);
    // An account with nothing to compare takes as long as an unknown address.
    if (a.password_hash.empty() && (a.temp_hash.empty() || a.temp_expires_ms <= now())) {
      core_->hasher().verify_nothing(password);
    }
    if (!permanent && !temporary) return wrong();
    db().clear_failures(key);
    const auto stage = temporary            ? session_stage::change_password
                       : a.answer_hash.empty() ? session_stage::security_setup
                                               : session_stage::security_challenge;
    auto set = next_session(c, session_kind::eservice, a.id, stage, remember, eservice_cookie);
    if (!set) return internal(set.error());
    (void)db().audit(now(), temporary ? "login_temporary_password" : "login_password_ok", a.email, c.address);
    return with_cookie(reply(200, step_body(stage, a, text_of(c.body, "language"))), *set);
  }

  // The step's session and its account, or the response to give instead.
  std::variant<std::pair<session_row, eservice_account>, http_response> step(const call& c, session_stage want) {
    auto s = session_of(c, session_kind::eservice, eservice_cookie);
    if (!s) return no_session("the session has ended; sign in again");
    if (s->stage != want) {
      return problem_with(409, "Conflict", "this step is not the current one", {{"next", to_string(s->stage)}});
    }
    auto a = db().find_eservice(s->account_id);
    if (!a) return internal(a.error());
    if (!*a) return no_session("");
    return std::pair{*s, **a};
  }

  http_response change_password(const call& c) {
    auto st = step(c, session_stage::change_password);
    if (auto* r = std::get_if<http_response>(&st)) return std::move(*r);
    auto& [session, a] = std::get<0>(st);
    field_errors errors;
    const auto email = normalize_email(text_of(c.body, "email"));
    if (!email || *email != a.email) errors.add("email", "enter the e-mail address you signed in with");
    const auto current = text_of(c.body, "current_password");
    const auto next = text_of(c.body, "new_password");
    const auto again = text_of(c.body, "new_password_confirm");
    const bool current_ok = !a.temp_hash.empty() && a.temp_expires_ms > now() && current.size() <= 256 &&
                            core_->hasher().verify(a.temp_hash, current);
    if (!current_ok) errors.add("current_password", "the current (temporary) password is wrong");
    if (auto rule = check_eservice_password(cfg().rules, next); !rule) {
      errors.add("new_password", rule.error().message);
    } else if (next == current) {
      errors.add("new_password", "the new password must differ from the temporary password");
    }
    if (next != again) errors.add("new_password_confirm", "the two new passwords differ");
    if (!errors.empty()) {
      if (!current_ok) failed("account:" + a.email, c, "password_change_failed", a.email);
      return errors.response();
    }
    auto hash = core_->hasher().hash(next);
    if (!hash) return internal(hash.error());
    if (auto s = db().set_password(a.id, *hash, now()); !s) return internal(s.error());
    (void)db().audit(now(), "password_changed", a.email, c.address);
    if (a.answer_hash.empty()) {
      auto set = next_session(c, session_kind::eservice, a.id, session_stage::security_setup, session.remember,
                              eservice_cookie);
      if (!set) return internal(set.error());
      return with_cookie(reply(200, step_body(session_stage::security_setup, a)), *set);
    }
    return with_cookie(reply(200, {{"next", "login"}}), clear_cookie(eservice_cookie, "/api/v1/eservice"));
  }

  http_response questions(const call& c) {
    std::string language = cfg().default_language;
    if (auto s = session_of(c, session_kind::eservice, eservice_cookie)) {
      if (auto a = db().find_eservice(s->account_id); a && *a) language = (*a)->language;
    }
    if (const auto it = c.request.query.find("language"); it != c.request.query.end() &&
                                                         (it->second == "ja" || it->second == "en")) {
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
    if (auto rule = check_security_answer(cfg().rules, answer); !rule) errors.add("answer", rule.error().message);
    if (!errors.empty()) return errors.response();
    auto hash = core_->hasher().hash(answer);
    if (!hash) return internal(hash.error());
    if (auto s = db().set_security(a.id, id, *hash, now()); !s) return internal(s.error());
    if (const auto it = c.cookies.find(eservice_cookie); it != c.cookies.end()) db().delete_session(digest_of(it->second));
    (void)db().audit(now(), "security_question_set", a.email, c.address, id);
    // As on the guide's screens: back to the login page, where the question is now asked.
    return with_cookie(reply(200, {{"next", "login"}}), clear_cookie(eservice_cookie, "/api/v1/eservice"));
  }

  http_response answer_question(const call& c) {
    auto st = step(c, session_stage::security_challenge);
    if (auto* r = std::get_if<http_response>(&st)) return std::move(*r);
    auto& [session, a] = std::get<0>(st);
    const auto key = "account:" + a.email;
    if (auto r = locked({key, "address:" + c.address})) return std::move(*r);
    const auto answer = text_of(c.body, "answer");
    if (answer.size() > 256 || !core_->hasher().verify(a.answer_hash, answer)) {
      failed(key, c, "security_answer_failed", a.email);
      return problem(401, "Unauthorized", "the answer to the security question is wrong");
    }
    db().clear_failures(key);
    const bool first = a.first_login_ms == 0;
    if (auto s = db().mark_logged_in(a.id, now()); !s) return internal(s.error());
    auto set = next_session(c, session_kind::eservice, a.id, session_stage::signed_in, session.remember, eservice_cookie);
    if (!set) return internal(set.error());
    (void)db().audit(now(), first ? "first_login" : "login", a.email, c.address);
    a.first_login_ms = first ? now() : a.first_login_ms;
    return with_cookie(reply(200, {{"next", "top"}, {"account", account_json(a)}}), *set);
  }

  json account_json(const eservice_account& a) {
    return {{"email", a.email},
            {"customer_id", a.customer_id},
            {"language", a.language},
            {"display_name", a.display_name},
            {"has_logged_in", a.first_login_ms != 0},
            {"first_login_at", a.first_login_ms != 0 ? json(common::format_rfc3339(a.first_login_ms)) : json()}};
  }

  http_response accepted(std::string_view detail) { return reply(202, {{"status", "accepted"}, {"detail", detail}}); }

  http_response forgot_password(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    const auto answer = accepted("if the address is registered, a new temporary password has been mailed to it");
    auto found = db().find_eservice(*email);
    if (!found) return internal(found.error());
    if (!*found) {
      core_->hasher().verify_nothing(*email);  // as long as issuing one takes
      (void)db().audit(now(), "password_reset_unknown", *email, c.address);
      return answer;
    }
    const auto& a = **found;
    if (a.temp_issued_ms != 0 && now() - a.temp_issued_ms < cfg().resend_interval_ms) {
      (void)db().audit(now(), "password_reset_suppressed", a.email, c.address);
      return answer;
    }
    if (auto s = core_->issue_password(a, c.address, "password_reset_mailed"); !s) return internal(s.error());
    return answer;
  }

  http_response forgot_answer(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    (void)db().audit(now(), "security_answer_reset_requested", *email, c.address);
    return accepted(
        "the security answer is reset by the operator: contact your sales representative; you will set a "
        "new question at your next sign-in");
  }

  std::variant<eservice_account, http_response> signed_in(const call& c) {
    auto s = session_of(c, session_kind::eservice, eservice_cookie);
    if (!s || s->stage != session_stage::signed_in) return no_session("");
    auto a = db().find_eservice(s->account_id);
    if (!a) return internal(a.error());
    if (!*a) return no_session("");
    return **a;
  }

  http_response eservice_session(const call& c) {
    auto s = session_of(c, session_kind::eservice, eservice_cookie);
    if (!s) return no_session("");
    auto a = db().find_eservice(s->account_id);
    if (!a) return internal(a.error());
    if (!*a) return no_session("");
    json body = {{"stage", to_string(s->stage)}, {"expires_at", common::format_rfc3339(s->expires_ms)}};
    if (s->stage == session_stage::signed_in) body["account"] = account_json(**a);
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
    if (auto s = db().update_profile(a.id, a.display_name, a.language, now()); !s) return internal(s.error());
    (void)db().audit(now(), "profile_updated", a.email, c.address);
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
    if (!units) return internal(units.error());
    return reply(200, {{"units", units_json(*units, false)}});
  }

  http_response inspection_reports(const call& c) {
    auto a = signed_in(c);
    if (auto* r = std::get_if<http_response>(&a)) return std::move(*r);
    auto reports = db().inspection_reports(std::get<0>(a).customer_id);
    if (!reports) return internal(reports.error());
    return reply(200, {{"reports", *reports}});
  }

  http_response logout(const call& c, session_kind kind) {
    const bool es = kind == session_kind::eservice;
    const char* name = es ? eservice_cookie : portal_cookie;
    if (const auto it = c.cookies.find(name); it != c.cookies.end()) db().delete_session(digest_of(it->second));
    return with_cookie(reply(200, {{"status", "signed_out"}}),
                       clear_cookie(name, es ? "/api/v1/eservice" : "/api/v1/portal"));
  }

  // ---- customer portal ---------------------------------------------------------------------
  http_response request_screen(const call& c) {
    json form = {
        {"notice_ja", "連絡先を入力すると弊社・営業担当者が24～48時間以内にお客様に連絡致します"},
        {"notice_en", "A sales representative will contact you within 24-48 hours."},
        {"countries", json::array({{{"code", "JP"}, {"label_ja", "日本"}, {"label_en", "Japan"}}})},
        {"privacy_policy_version", cfg().privacy_policy_version},
        {"terms_of_use_version", cfg().terms_of_use_version},
        {"password_rule", "8-16 characters with at least 3 of: lower case, upper case, digits, symbols " +
                              cfg().rules.portal_password_symbols},
        {"mobile_phone_rule", "the national number without the leading 0 and without hyphens: 090-1111-2222 "
                              "is entered as 9011112222"},
        {"code_digits", cfg().rules.code_digits},
    };
    return screen(c, std::move(form));
  }

  http_response send_code(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    const auto answer = accepted(
        "if the address belongs to an eService account that has signed in, a verification code has been mailed");
    if (now() - db().last_code_ms(*email) < cfg().resend_interval_ms) {
      (void)db().audit(now(), "code_suppressed", *email, c.address);
      return answer;
    }
    auto found = db().find_eservice(*email);
    if (!found) return internal(found.error());
    if (!*found) {
      (void)db().audit(now(), "code_unknown_address", *email, c.address);
      return answer;
    }
    const auto& a = **found;
    if (a.first_login_ms == 0) {
      (void)db().audit(now(), "code_not_eligible", a.email, c.address);
      (void)core_->queue(mail_kind::portal_not_eligible, a.language, a.email, {{"url", cfg().eservice_url}});
      return answer;
    }
    if (auto p = db().find_portal(a.email); p && *p) {
      (void)db().audit(now(), "code_portal_exists", a.email, c.address);
      return answer;
    }
    const auto code = make_code(cfg().rules);
    if (auto s = db().insert_code(a.email, code, now(), now() + cfg().rules.code_valid_ms); !s) {
      return internal(s.error());
    }
    (void)db().audit(now(), "code_sent", a.email, c.address);
    if (auto s = core_->queue(mail_kind::portal_code, a.language, a.email,
                              {{"code", code}, {"minutes", std::to_string(cfg().rules.code_valid_ms / 60000)}});
        !s) {
      return internal(s.error());
    }
    return answer;
  }

  http_response verify_code(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    const auto address_key = "address:" + c.address;
    if (auto r = locked({address_key})) return std::move(*r);
    const auto code = text_of(c.body, "code");
    auto outcome = code.size() == cfg().rules.code_digits ? db().check_code(*email, code, now(), cfg().rules.code_max_tries)
                                                          : code_check::wrong;
    std::optional<eservice_account> account;
    if (outcome == code_check::ok) {
      auto found = db().find_eservice(*email);
      if (!found) return internal(found.error());
      if (*found && (*found)->first_login_ms != 0) account = **found;
      if (!account) outcome = code_check::none;
    }
    if (outcome != code_check::ok) {
      const auto& s = cfg();
      (void)db().record_failure(address_key, now(), s.address_failures, s.throttle_window_ms, s.lock_ms);
      (void)db().audit(now(), "code_rejected", *email, c.address, to_string(outcome));
      // One answer for wrong, expired, used, exhausted and unknown: none tells whether the
      // address is registered.
      return problem(400, "Bad Request", "the code is wrong, expired or already used; send a new code");
    }
    auto t = new_token();
    if (auto s = db().create_request(t.digest, account->email, account->id, now(), now() + cfg().step_ms); !s) {
      return internal(s.error());
    }
    (void)db().audit(now(), "code_verified", account->email, c.address);
    return with_cookie(reply(200, {{"next", "form"}, {"email", account->email}}),
                       cookie(request_cookie, t.text, "/api/v1/portal/access-request", std::nullopt));
  }

  std::optional<access_request> current_request(const call& c) {
    const auto it = c.cookies.find(request_cookie);
    if (it == c.cookies.end() || it->second.size() != 32) return std::nullopt;
    return db().find_request(digest_of(it->second), now());
  }

  http_response submit_form(const call& c) {
    auto request = current_request(c);
    if (!request) return problem(401, "Unauthorized", "verify the e-mail address with a code first");
    const auto& rules = cfg().rules;
    field_errors errors;
    const auto password = text_of(c.body, "password");
    if (auto r = check_portal_password(rules, password); !r) errors.add("password", r.error().message);
    if (text_of(c.body, "password_confirm") != password) errors.add("password_confirm", "the two passwords differ");
    auto text = [&](const char* field, std::size_t max) {
      auto v = text_of(c.body, field);
      if (v.empty() || v.size() > max) errors.add(field, "required, at most " + std::to_string(max) + " bytes");
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
      errors.add("privacy_policy_accepted", "read the Privacy Policy (it includes the use of cookies) and tick the box");
    } else if (text_of(c.body, "privacy_policy_version") != cfg().privacy_policy_version) {
      errors.add("privacy_policy_version", "accept the current Privacy Policy, version " + cfg().privacy_policy_version);
    }
    if (!flag_of(c.body, "terms_of_use_accepted")) {
      errors.add("terms_of_use_accepted", "read the Terms of Use and tick the box");
    } else if (text_of(c.body, "terms_of_use_version") != cfg().terms_of_use_version) {
      errors.add("terms_of_use_version", "accept the current Terms of Use, version " + cfg().terms_of_use_version);
    }
    if (!errors.empty()) return errors.response();
    auto hash = core_->hasher().hash(password);
    if (!hash) return internal(hash.error());
    const json form = {{"company", company},
                       {"last_name", last},
                       {"first_name", first},
                       {"country", country},
                       {"mobile_e164", *mobile},
                       {"privacy_policy_version", cfg().privacy_policy_version},
                       {"privacy_policy_accepted_ms", now()},
                       {"terms_of_use_version", cfg().terms_of_use_version},
                       {"terms_of_use_accepted_ms", now()}};
    if (auto s = db().save_form(request->id, form.dump(), *hash); !s) return internal(s.error());
    return request_question(c);
  }

  http_response request_question(const call& c) {
    auto request = current_request(c);
    if (!request) return problem(401, "Unauthorized", "verify the e-mail address with a code first");
    if (!request->form_done) return problem_with(409, "Conflict", "fill in the form first", {{"next", "form"}});
    auto a = db().find_eservice(request->eservice_id);
    if (!a) return internal(a.error());
    if (!*a) return problem(401, "Unauthorized", "start again");
    if ((*a)->answer_hash.empty()) {
      return problem(409, "Conflict", "the eService security question has been reset: sign in to eService to set it");
    }
    const auto& acc = **a;
    return reply(200, {{"next", "security_question"},
                       {"question", {{"id", acc.question_id}, {"text", questions_text(cfg(), acc.question_id, acc.language)}}}});
  }

  http_response request_answer(const call& c) {
    auto request = current_request(c);
    if (!request) return problem(401, "Unauthorized", "verify the e-mail address with a code first");
    if (!request->form_done) return problem_with(409, "Conflict", "fill in the form first", {{"next", "form"}});
    auto found = db().find_eservice(request->eservice_id);
    if (!found) return internal(found.error());
    if (!*found) return problem(401, "Unauthorized", "start again");
    const auto& a = **found;
    const auto key = "account:" + a.email;
    if (auto r = locked({key, "address:" + c.address})) return std::move(*r);
    const auto answer = text_of(c.body, "answer");
    if (a.answer_hash.empty() || answer.size() > 256 || !core_->hasher().verify(a.answer_hash, answer)) {
      failed(key, c, "portal_security_answer_failed", a.email);
      if (db().add_answer_failure(request->id) >= cfg().account_failures) db().delete_request(request->id);
      return problem(401, "Unauthorized", "the answer to the eService security question is wrong");
    }
    db().clear_failures(key);
    const auto form = json::parse(request->form_json, nullptr, false);
    portal_account p;
    p.eservice_id = a.id;
    p.email = a.email;
    p.password_hash = request->password_hash;
    p.customer_id = a.customer_id;
    p.company = form.value("company", "");
    p.last_name = form.value("last_name", "");
    p.first_name = form.value("first_name", "");
    p.country = form.value("country", "");
    p.mobile_e164 = form.value("mobile_e164", "");
    p.language = a.language;
    auto id = db().create_portal(p, form, now());
    if (!id) {
      if (id.error().code == errc::conflict) return problem(409, "Conflict", "a customer portal account already exists");
      return internal(id.error());
    }
    db().delete_request(request->id);
    (void)db().audit(now(), "portal_account_created", a.email, c.address, "customer " + a.customer_id);
    if (!cfg().sales_email.empty()) {
      (void)core_->queue(mail_kind::sales_request, cfg().default_language, cfg().sales_email,
                         {{"company", p.company},
                          {"email", p.email},
                          {"name", p.last_name + " " + p.first_name},
                          {"mobile", p.mobile_e164},
                          {"customer", p.customer_id}});
    }
    auto set = next_session(c, session_kind::portal, *id, session_stage::signed_in, false, portal_cookie);
    if (!set) return internal(set.error());
    p.id = *id;
    return with_cookie(reply(201, {{"status", "signed_in"},
                                   {"account", portal_json(p)},
                                   {"sales_contact", "a sales representative will contact you within 24-48 hours"}}),
                       *set);
  }

  json portal_json(const portal_account& p) {
    return {{"email", p.email},         {"customer_id", p.customer_id}, {"company", p.company},
            {"last_name", p.last_name}, {"first_name", p.first_name},   {"country", p.country},
            {"mobile_phone", p.mobile_e164}};
  }

  http_response portal_login(const call& c) {
    auto email = normalize_email(text_of(c.body, "email"));
    if (!email) return single_field("email", email.error().message);
    const auto password = text_of(c.body, "password");
    const auto key = "portal:" + *email;
    if (auto r = locked({key, "address:" + c.address})) return std::move(*r);
    auto found = db().find_portal(*email);
    if (!found) return internal(found.error());
    bool ok = false;
    if (*found && password.size() <= 256) {
      ok = core_->hasher().verify((*found)->password_hash, password);
    } else {
      core_->hasher().verify_nothing(password);
    }
    if (!ok) {
      failed(key, c, "portal_login_failed", *email);
      return problem(401, "Unauthorized", "the e-mail address or the password is wrong");
    }
    db().clear_failures(key);
    auto set = next_session(c, session_kind::portal, (*found)->id, session_stage::signed_in,
                            flag_of(c.body, "remember"), portal_cookie);
    if (!set) return internal(set.error());
    (void)db().audit(now(), "portal_login", *email, c.address);
    return with_cookie(reply(200, {{"status", "signed_in"}, {"account", portal_json(**found)}}), *set);
  }

  std::variant<portal_account, http_response> portal_signed_in(const call& c) {
    auto s = session_of(c, session_kind::portal, portal_cookie);
    if (!s) return no_session("");
    auto p = db().find_portal(s->account_id);
    if (!p) return internal(p.error());
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
    if (!units) return internal(units.error());
    return reply(200, {{"units", units_json(*units, true)}});
  }

  // Real-time data only for the signed-in customer's units under a monitoring contract: the last
  // run state the ingest stored (the core API serves the same to API-key clients).
  http_response portal_unit_status(const call& c, const std::string& unit_id) {
    auto p = portal_signed_in(c);
    if (auto* r = std::get_if<http_response>(&p)) return std::move(*r);
    auto units = db().customer_units(std::get<0>(p).customer_id, now());
    if (!units) return internal(units.error());
    const bool monitored = std::any_of(units->begin(), units->end(), [&](const customer_unit& u) {
      return u.unit_id == unit_id && u.monitored;
    });
    if (!monitored) return problem(404, "Not Found", "no monitored unit " + unit_id);
    auto status = db().unit_status(unit_id);
    if (!status) return internal(status.error());
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
};

// ---- the operator face ---------------------------------------------------------------------------

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
    return core_->issue_password(*a, "operator", "temp_password_issued");
  }

  common::status reset_security_answer(const std::string& email) override {
    auto a = core_->find(email);
    if (!a) return std::unexpected(a.error());
    if (auto st = core_->store().set_security(a->id, "", "", core_->now()); !st) return st;
    return core_->store().audit(core_->now(), "security_answer_reset", a->email, "operator");
  }

  common::result<std::size_t> send_pending() override { return sender_->send_due(); }

  common::result<std::vector<sales_request>> sales_requests() override { return core_->store().sales_requests(); }

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

common::result<std::unique_ptr<module>> module::create(const toml::table& section, const std::string& source,
                                                       const std::string& store_path,
                                                       std::shared_ptr<common::clock> clock) {
  auto c = make_core(section, source, store_path, clock);
  if (!c) return std::unexpected(c.error());
  auto sender = mail_sender::open(store_path, (*c)->config().smtp, clock, nullptr);
  if (!sender) return std::unexpected(sender.error());
  return std::unique_ptr<module>(new module_impl(std::move(*c), std::move(*sender)));
}

common::result<std::unique_ptr<operator_actions>> operator_actions::open(const toml::table& section,
                                                                         const std::string& source,
                                                                         const std::string& store_path,
                                                                         std::shared_ptr<common::clock> clock) {
  auto c = make_core(section, source, store_path, clock);
  if (!c) return std::unexpected(c.error());
  auto sender = mail_sender::open(store_path, (*c)->config().smtp, clock, nullptr);
  if (!sender) return std::unexpected(sender.error());
  return std::unique_ptr<operator_actions>(new operator_impl(std::move(*c), std::move(*sender)));
}

}  // namespace hoistway::cloud::accounts
