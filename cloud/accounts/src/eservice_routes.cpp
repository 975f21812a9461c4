// The eService screens as routes (/api/v1/eservice/…): sign-in step by step as session_flow
// says, the forgotten password and answer, the profile, the customer's units and inspection
// reports. Every route that names an account or hashes a secret meets `protection` first.
#include <algorithm>
#include <utility>

#include "hoistway/cloud/accounts/policy.hpp"
#include "hoistway/cloud/portal/api.hpp"
#include "routes.hpp"

namespace hoistway::cloud::accounts {

std::optional<http_response> eservice_routes::handle(const call& c, std::string_view path,
                                                     bool get) {
  auto is = [&](std::string_view p, bool want_get) { return path == p && get == want_get; };
  if (is("/api/v1/eservice/login", true)) return ctx_.screen(c, {{"countries", countries_json()}});
  if (is("/api/v1/eservice/login", false)) return login(c);
  if (is("/api/v1/eservice/password", false)) return change_password(c);
  if (is("/api/v1/eservice/security-questions", true)) return questions(c);
  if (is("/api/v1/eservice/security-question", false)) return setup_question(c);
  if (is("/api/v1/eservice/security-answer", false)) return answer_question(c);
  if (is("/api/v1/eservice/forgot-password", false)) return forgot_password(c);
  if (is("/api/v1/eservice/forgot-security-answer", false)) return forgot_answer(c);
  if (is("/api/v1/eservice/session", true)) return session(c);
  if (is("/api/v1/eservice/profile", true)) return profile(c);
  if (is("/api/v1/eservice/profile", false)) return update_profile(c);
  if (is("/api/v1/eservice/units", true)) return units(c);
  if (is("/api/v1/eservice/inspection-reports", true)) return inspection_reports(c);
  if (is("/api/v1/eservice/logout", false)) return ctx_.logout(c, session_kind::eservice);
  return std::nullopt;
}

// `screen_language`: the language chosen on the login screen ("ja", "en"), else the account's.
json eservice_routes::step_body(session_stage stage, const eservice_account& a,
                                const std::string& screen_language) const {
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
const std::string* eservice_routes::eservice_target(const std::optional<eservice_account>& a,
                                                    const std::string& password,
                                                    bool& temporary) const {
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

http_response eservice_routes::login(const call& c) {
  auto email = normalize_email(text_of(c.body, "email"));
  if (!email) return single_field("email", email.error().message);
  const auto password = text_of(c.body, "password");
  const bool remember = flag_of(c.body, "remember");
  const auto key = "account:" + *email;
  if (auto r = guard().sign_in_allowed(c, key)) return std::move(*r);
  auto found = db().find_eservice(*email);
  if (!found) return guard().store_failed(found.error());
  bool temporary = false;
  const auto* target = eservice_target(*found, password, temporary);
  if (auto r = guard().verify_sign_in(c, key, target, password, "login_failed", *email,
                                      "the e-mail address or the password is wrong")) {
    return std::move(*r);
  }
  const auto& a = **found;
  // A password sign-in starts anew whatever the cookie's session was at.
  const auto stage =
      *advance(std::nullopt,
               temporary ? session_event::temporary_password_ok : session_event::password_ok,
               !a.answer_hash.empty())
           .next;
  const auto next =
      ctx_.make_session(c, session_kind::eservice, a.id, stage, remember, eservice_cookie);
  if (auto st = db().write([&](write_batch& w) -> common::status {
        if (auto s = ctx_.write_session(w, next); !s) return s;
        return w.audit(now(), temporary ? "login_temporary_password" : "login_password_ok", a.email,
                       c.address);
      });
      !st) {
    return guard().store_failed(st.error());
  }
  return with_cookie(reply(200, step_body(stage, a, text_of(c.body, "language"))), next.cookie);
}

// The step's session and its account, or the response to give instead: 401 without a session,
// 409 (naming the current step) when `event` is not what the session's stage waits for. Whether
// a step is accepted depends on the stage alone, so it is asked before the account is read.
std::variant<eservice_routes::step_state, http_response> eservice_routes::step(
    const call& c, session_event event) {
  auto s = ctx_.session_of(c, session_kind::eservice, eservice_cookie);
  if (!s) return guard().store_failed(s.error());
  if (!*s) return no_session("the session has ended; sign in again");
  if (!advance((*s)->stage, event, false).accepted()) {
    return problem_with(409, "Conflict", "this step is not the current one",
                        {{"next", to_string((*s)->stage)}});
  }
  auto a = db().find_eservice((*s)->account_id);
  if (!a) return guard().store_failed(a.error());
  if (!*a) return no_session("");
  return std::pair{**s, **a};
}

http_response eservice_routes::change_password(const call& c) {
  auto st = step(c, session_event::password_changed);
  if (auto* r = std::get_if<http_response>(&st)) return std::move(*r);
  auto& [session, a] = std::get<0>(st);
  const auto key = "account:" + a.email;
  if (auto r = guard().sign_in_allowed(c, key)) return std::move(*r);
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
    auto slot = guard().hash_slot();
    if (!slot) return guard().hash_busy();
    const bool temp_valid =
        !a.temp_hash.empty() && a.temp_expires_ms > now() && current.size() <= 256;
    current_ok = ctx_.hasher().verify(temp_valid ? a.temp_hash : std::string(), current);
    // The new password is hashed only once everything else is right.
    if (current_ok && rule && next != current && next == again && email && *email == a.email) {
      auto h = ctx_.hasher().hash(next);
      if (!h) return guard().internal(h.error());
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
    const auto f = guard().fail_in_memory(c, key);
    if (auto s = db().write([&](write_batch& w) {
          return guard().write_failure(w, now(), c.address, key, f, "password_change_failed",
                                       a.email);
        });
        !s) {
      return guard().store_failed(s.error());
    }
    return errors.response();
  }
  // Without a question the next step sets one; with one, back to the login screen.
  const auto outcome =
      advance(session.stage, session_event::password_changed, !a.answer_hash.empty());
  std::optional<route_context::next_step> setup;
  if (outcome.outcome == session_step::kind::next_stage) {
    setup = ctx_.make_session(c, session_kind::eservice, a.id, *outcome.next, session.remember,
                              eservice_cookie);
  }
  if (auto s = db().write([&](write_batch& w) -> common::status {
        // set_password ends every session of the account, the step's included.
        if (auto r = w.set_password(a.id, hash, now()); !r) return r;
        if (auto r = w.audit(now(), "password_changed", a.email, c.address); !r) return r;
        return setup ? w.create_session(setup->t.digest, setup->row, now()) : common::status{};
      });
      !s) {
    return guard().store_failed(s.error());
  }
  if (setup) return with_cookie(reply(200, step_body(setup->row.stage, a)), setup->cookie);
  return with_cookie(reply(200, {{"next", "login"}}),
                     ctx_.clear_cookie(eservice_cookie, session_cookie_path));
}

http_response eservice_routes::questions(const call& c) {
  std::string language = cfg().default_language;
  // The list is public; a store error here only loses the account's language preference, so it
  // falls back to the default rather than refusing the screen.
  if (auto s = ctx_.session_of(c, session_kind::eservice, eservice_cookie); s && *s) {
    if (auto a = db().find_eservice((*s)->account_id); a && *a) language = (*a)->language;
  }
  if (const auto it = c.request.query.find("language");
      it != c.request.query.end() && (it->second == "ja" || it->second == "en")) {
    language = it->second;
  }
  return reply(200, {{"questions", questions_json(cfg(), language)}});
}

http_response eservice_routes::setup_question(const call& c) {
  auto st = step(c, session_event::question_set);
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
  if (auto r = guard().admit(c)) return std::move(*r);
  std::string hash;
  {
    auto slot = guard().hash_slot();
    if (!slot) return guard().hash_busy();
    auto h = ctx_.hasher().hash(answer);
    if (!h) return guard().internal(h.error());
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
    return guard().store_failed(s.error());
  }
  // As on the guide's screens: back to the login page, where the question is now asked.
  return with_cookie(reply(200, {{"next", "login"}}),
                     ctx_.clear_cookie(eservice_cookie, session_cookie_path));
}

http_response eservice_routes::answer_question(const call& c) {
  auto st = step(c, session_event::answer_ok);
  if (auto* r = std::get_if<http_response>(&st)) return std::move(*r);
  auto& [session, a] = std::get<0>(st);
  if (auto r = guard().answer_allowed(c, a)) return std::move(*r);
  const auto answer = text_of(c.body, "answer");
  bool ok = false;
  {
    auto slot = guard().hash_slot();
    if (!slot) return guard().hash_busy();
    ok = ctx_.hasher().verify(answer.size() <= 256 ? a.answer_hash : std::string(), answer);
  }
  if (!ok) {
    if (auto s = guard().write_answer_failure(c, a, "security_answer_failed"); !s)
      return guard().store_failed(s.error());
    return problem(401, "Unauthorized", "the answer to the security question is wrong");
  }
  const bool first = a.first_login_ms == 0;
  const auto stage = *advance(session.stage, session_event::answer_ok, true).next;
  const auto next =
      ctx_.make_session(c, session_kind::eservice, a.id, stage, session.remember, eservice_cookie);
  if (auto s = db().write([&](write_batch& w) -> common::status {
        if (auto r = w.mark_logged_in(a.id, now()); !r) return r;
        if (auto r = ctx_.write_session(w, next); !r) return r;
        return w.audit(now(), first ? "first_login" : "login", a.email, c.address);
      });
      !s) {
    return guard().store_failed(s.error());
  }
  a.first_login_ms = first ? now() : a.first_login_ms;
  return with_cookie(reply(200, {{"next", "top"}, {"account", account_json(a)}}), next.cookie);
}

json eservice_routes::account_json(const eservice_account& a) const {
  return {{"email", a.email},
          {"customer_id", a.customer_id},
          {"language", a.language},
          {"display_name", a.display_name},
          {"has_logged_in", a.first_login_ms != 0},
          {"first_login_at",
           a.first_login_ms != 0 ? json(common::format_rfc3339(a.first_login_ms)) : json()}};
}

// Every path costs one Argon2id (a new temporary password for a registered address, whether or
// not the caps let it be mailed; a dummy for an unknown one) and one write that the answer does
// not wait for, so neither the answer nor its time tells whether the address is registered.
http_response eservice_routes::forgot_password(const call& c) {
  auto email = normalize_email(text_of(c.body, "email"));
  if (!email) return single_field("email", email.error().message);
  if (auto r = guard().admit(c)) return std::move(*r);
  if (auto r = guard().daily(c, "resets", cfg().limits.reset_requests_per_address_per_day)) {
    return std::move(*r);
  }
  auto found = db().find_eservice(*email);
  if (!found) return guard().store_failed(found.error());
  std::optional<core::issued_password> issued;
  {
    auto slot = guard().hash_slot();
    if (!slot) return guard().hash_busy();
    if (*found) {
      auto p = ctx_.actions().prepare_password(**found);
      if (!p) return guard().internal(p.error());
      issued = std::move(*p);
    } else {
      ctx_.hasher().verify_nothing(*email);
    }
  }
  auto op = [this, at = now(), address = c.address, email = *email, account = *found,
             issued = std::move(issued)](write_batch& w) -> common::status {
    if (!account) return w.audit(at, "password_reset_unknown", email, address);
    auto allowed = guard().mail_allowed(w, at, email, mail_kind::temporary_password, address);
    if (!allowed) return std::unexpected(allowed.error());
    if (!*allowed) return w.audit(at, "password_reset_suppressed", email, address);
    return core::write_password(w, *account, *issued, at, address, "password_reset_mailed",
                                address);
  };
  auto then = [log = guard().log_failure("password reset"),
               core = &ctx_.actions()](const common::status& st) {
    log(st);
    if (st) core->mail_queued();
  };
  if (auto s = db().write_later(std::move(op), std::move(then)); !s) {
    return guard().store_failed(s.error());
  }
  return accepted("if the address is registered, a new temporary password has been mailed to it");
}

http_response eservice_routes::forgot_answer(const call& c) {
  auto email = normalize_email(text_of(c.body, "email"));
  if (!email) return single_field("email", email.error().message);
  if (auto r = guard().admit(c)) return std::move(*r);
  if (auto r = guard().daily(c, "resets", cfg().limits.reset_requests_per_address_per_day)) {
    return std::move(*r);
  }
  auto op = [at = now(), address = c.address, email = *email](write_batch& w) {
    return w.audit(at, "security_answer_reset_requested", email, address);
  };
  if (auto s =
          db().write_later(std::move(op), guard().log_failure("security answer reset request"));
      !s) {
    return guard().store_failed(s.error());
  }
  return accepted(
      "the security answer is reset by the operator: contact your sales representative; you "
      "will set a new question at your next sign-in");
}

std::variant<eservice_account, http_response> eservice_routes::signed_in(const call& c) {
  auto s = ctx_.session_of(c, session_kind::eservice, eservice_cookie);
  if (!s) return guard().store_failed(s.error());
  if (!*s || (*s)->stage != session_stage::signed_in) return no_session("");
  auto a = db().find_eservice((*s)->account_id);
  if (!a) return guard().store_failed(a.error());
  if (!*a) return no_session("");
  return **a;
}

http_response eservice_routes::session(const call& c) {
  auto s = ctx_.session_of(c, session_kind::eservice, eservice_cookie);
  if (!s) return guard().store_failed(s.error());
  if (!*s) return no_session("");
  auto a = db().find_eservice((*s)->account_id);
  if (!a) return guard().store_failed(a.error());
  if (!*a) return no_session("");
  json body = {{"stage", to_string((*s)->stage)},
               {"expires_at", common::format_rfc3339((*s)->expires_ms)}};
  if ((*s)->stage == session_stage::signed_in) body["account"] = account_json(**a);
  return reply(200, body);
}

http_response eservice_routes::profile(const call& c) {
  auto a = signed_in(c);
  if (auto* r = std::get_if<http_response>(&a)) return std::move(*r);
  return reply(200, account_json(std::get<0>(a)));
}

http_response eservice_routes::update_profile(const call& c) {
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
    return guard().store_failed(s.error());
  }
  return reply(200, account_json(a));
}

http_response eservice_routes::units(const call& c) {
  auto a = signed_in(c);
  if (auto* r = std::get_if<http_response>(&a)) return std::move(*r);
  auto units = db().customer_units(std::get<0>(a).customer_id, now());
  if (!units) return guard().store_failed(units.error());
  return reply(200, {{"units", units_json(*units, false)}});
}

http_response eservice_routes::inspection_reports(const call& c) {
  auto a = signed_in(c);
  if (auto* r = std::get_if<http_response>(&a)) return std::move(*r);
  auto reports = db().inspection_reports(std::get<0>(a).customer_id);
  if (!reports) return guard().store_failed(reports.error());
  return reply(200, {{"reports", *reports}});
}

}  // namespace hoistway::cloud::accounts
