// What the accounts' route sets share: cookies, the screens' CSRF token, sessions (routes.hpp).
#include "routes.hpp"

#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud::accounts {

http_response route_context::screen(const call& c, json body) const {
  const auto it = c.cookies.find(csrf_cookie);
  const bool have = it != c.cookies.end() && it->second.size() == 32;
  const auto value = have ? it->second : common::crypto::to_hex(common::crypto::random_bytes(16));
  body["csrf_token"] = value;
  auto r = reply(200, body);
  if (!have)
    r = with_cookie(std::move(r), cookie(csrf_cookie, value, "/api/v1", std::nullopt, false));
  return r;
}

common::result<std::optional<session_row>> route_context::session_of(const call& c,
                                                                     session_kind kind,
                                                                     const char* name) {
  const auto it = c.cookies.find(name);
  if (it == c.cookies.end() || it->second.size() != 32) return std::optional<session_row>();
  return db().find_session(digest_of(it->second), kind, now());
}

route_context::next_step route_context::make_session(const call& c, session_kind kind,
                                                     std::int64_t account_id, session_stage stage,
                                                     bool remember, const char* name) const {
  next_step s;
  if (const auto it = c.cookies.find(name); it != c.cookies.end()) s.ended = digest_of(it->second);
  s.t = new_token();
  const bool full = stage == session_stage::signed_in;
  const auto lifetime = full ? (remember ? cfg().remember_ms : cfg().session_ms) : cfg().step_ms;
  s.row = {kind, account_id, stage, remember, now() + lifetime};
  s.cookie = cookie(name, s.t.text, session_cookie_path,
                    full && remember ? std::optional(lifetime / 1000) : std::nullopt);
  return s;
}

common::status route_context::write_session(write_batch& w, const next_step& s) const {
  if (s.ended) {
    if (auto st = w.delete_session(*s.ended); !st) return st;
  }
  return w.create_session(s.t.digest, s.row, now());
}

http_response route_context::logout(const call& c, session_kind kind) {
  const bool es = kind == session_kind::eservice;
  const char* name = es ? eservice_cookie : portal_cookie;
  if (const auto it = c.cookies.find(name); it != c.cookies.end()) {
    // A logout that did not reach the store must not look done: the session would live on.
    if (auto s =
            db().write([&](write_batch& w) { return w.delete_session(digest_of(it->second)); });
        !s) {
      return guard_.store_failed(s.error());
    }
  }
  return with_cookie(reply(200, {{"status", "signed_out"}}),
                     clear_cookie(name, session_cookie_path));
}

}  // namespace hoistway::cloud::accounts
