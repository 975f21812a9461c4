// The accounts' routes: what the eService screens (eservice_routes.cpp) and the customer-portal
// screens (portal_routes.cpp) share, in route_context (cookies with the configured Secure flag,
// the screens' CSRF token, sessions), and the two route sets. module.cpp checks CSRF and parses
// the body before it hands a `call` to them. Private to the accounts room.
//
// Thread-safety: every member may be called from any number of threads at once; the state lives
// in core (the store, thread-safe) and protection (thread-safe).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core.hpp"
#include "hoistway/cloud/accounts/session_flow.hpp"
#include "http_helpers.hpp"
#include "protection.hpp"

namespace hoistway::cloud::accounts {

class route_context {
 public:
  route_context(core& c, protection& p) : core_(c), guard_(p) {}

  const settings& cfg() const { return core_.config(); }
  account_store& db() { return core_.store(); }
  const password_hasher& hasher() const { return core_.hasher(); }
  std::int64_t now() const { return core_.now(); }
  core& actions() { return core_; }
  protection& guard() { return guard_; }

  std::string cookie(std::string_view name, std::string_view value, std::string_view path,
                     std::optional<std::int64_t> max_age_s, bool http_only = true) const {
    return set_cookie(name, value, path, max_age_s, cfg().cookie_secure, http_only);
  }
  std::string clear_cookie(const char* name, std::string_view path) const {
    return cookie(name, "", path, 0);
  }

  // A screen: what its form needs, and the CSRF token (set as a cookie if the client has none).
  http_response screen(const call& c, json body) const;

  // The session the cookie names: nullopt inside if none; an error if the store failed.
  common::result<std::optional<session_row>> session_of(const call& c, session_kind kind,
                                                        const char* name);

  // The next step's session: ends the cookie's (if any), and its cookie.
  struct next_step {
    token t;
    session_row row;
    std::optional<std::vector<std::uint8_t>> ended;
    std::string cookie;
  };
  next_step make_session(const call& c, session_kind kind, std::int64_t account_id,
                         session_stage stage, bool remember, const char* name) const;
  common::status write_session(write_batch& w, const next_step& s) const;

  // Ends the cookie's session of `kind` and clears its cookie.
  http_response logout(const call& c, session_kind kind);

 private:
  core& core_;
  protection& guard_;
};

// /api/v1/eservice/…: sign-in (session_flow's steps), profile, units, inspection reports.
class eservice_routes {
 public:
  explicit eservice_routes(route_context& ctx) : ctx_(ctx) {}
  // The response, or nullopt if no eService route matches.
  std::optional<http_response> handle(const call& c, std::string_view path, bool get);

 private:
  const settings& cfg() const { return ctx_.cfg(); }
  account_store& db() { return ctx_.db(); }
  protection& guard() { return ctx_.guard(); }
  std::int64_t now() const { return ctx_.now(); }

  json step_body(session_stage stage, const eservice_account& a,
                 const std::string& screen_language = {}) const;
  const std::string* eservice_target(const std::optional<eservice_account>& a,
                                     const std::string& password, bool& temporary) const;
  using step_state = std::pair<session_row, eservice_account>;
  std::variant<step_state, http_response> step(const call& c, session_event event);
  std::variant<eservice_account, http_response> signed_in(const call& c);
  json account_json(const eservice_account& a) const;

  http_response login(const call& c);
  http_response change_password(const call& c);
  http_response questions(const call& c);
  http_response setup_question(const call& c);
  http_response answer_question(const call& c);
  http_response forgot_password(const call& c);
  http_response forgot_answer(const call& c);
  http_response session(const call& c);
  http_response profile(const call& c);
  http_response update_profile(const call& c);
  http_response units(const call& c);
  http_response inspection_reports(const call& c);

  route_context& ctx_;
};

// /api/v1/portal/…: the access request (code, form, the eService security answer), sign-in,
// the customer's monitored units and their status.
class portal_routes {
 public:
  explicit portal_routes(route_context& ctx) : ctx_(ctx) {}
  // The response, or nullopt if no portal route matches.
  std::optional<http_response> handle(const call& c, std::string_view path, bool get);

 private:
  const settings& cfg() const { return ctx_.cfg(); }
  account_store& db() { return ctx_.db(); }
  protection& guard() { return ctx_.guard(); }
  std::int64_t now() const { return ctx_.now(); }

  common::result<std::optional<access_request>> current_request(const call& c);
  std::variant<portal_account, http_response> signed_in(const call& c);
  static json portal_json(const portal_account& p);

  http_response request_screen(const call& c);
  http_response send_code(const call& c);
  http_response verify_code(const call& c);
  http_response submit_form(const call& c);
  http_response request_question(const call& c);
  http_response request_answer(const call& c);
  http_response login(const call& c);
  http_response session(const call& c);
  http_response units(const call& c);
  http_response unit_status(const call& c, const std::string& unit_id);

  route_context& ctx_;
};

}  // namespace hoistway::cloud::accounts
