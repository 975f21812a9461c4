// The customer-portal screens as routes (/api/v1/portal/…): the access request (a mailed code,
// the form, the eService security answer), sign-in, the customer's monitored units and their
// last status. Every route that names an account or hashes a secret meets `protection` first.
#include <algorithm>
#include <utility>

#include "hoistway/cloud/accounts/policy.hpp"
#include "hoistway/cloud/portal/api.hpp"
#include "routes.hpp"

namespace hoistway::cloud::accounts {

using common::errc;

std::optional<http_response> portal_routes::handle(const call& c, std::string_view path, bool get) {
  auto is = [&](std::string_view p, bool want_get) { return path == p && get == want_get; };
  if (is("/api/v1/portal/access-request", true)) return request_screen(c);
  if (is("/api/v1/portal/access-request/code", false)) return send_code(c);
  if (is("/api/v1/portal/access-request/verify", false)) return verify_code(c);
  if (is("/api/v1/portal/access-request/form", false)) return submit_form(c);
  if (is("/api/v1/portal/access-request/security-question", true)) return request_question(c);
  if (is("/api/v1/portal/access-request/security-answer", false)) return request_answer(c);
  if (is("/api/v1/portal/login", true)) return ctx_.screen(c, {});
  if (is("/api/v1/portal/login", false)) return login(c);
  if (is("/api/v1/portal/session", true)) return session(c);
  if (is("/api/v1/portal/units", true)) return units(c);
  if (is("/api/v1/portal/logout", false)) return ctx_.logout(c, session_kind::portal);
  static constexpr std::string_view units_prefix = "/api/v1/portal/units/";
  if (get && path.starts_with(units_prefix) && path.ends_with("/status") &&
      path.size() > units_prefix.size() + 7) {
    return unit_status(
        c, std::string(path.substr(units_prefix.size(), path.size() - units_prefix.size() - 7)));
  }
  return std::nullopt;
}

http_response portal_routes::request_screen(const call& c) {
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
  return ctx_.screen(c, std::move(form));
}

// No path hashes; every path makes one write the answer does not wait for. A code, or the "not
// eligible" notice, is mailed only under the resend interval and the daily caps, decided inside
// that write.
http_response portal_routes::send_code(const call& c) {
  auto email = normalize_email(text_of(c.body, "email"));
  if (!email) return single_field("email", email.error().message);
  if (auto r = guard().admit(c)) return std::move(*r);
  if (auto r = guard().daily(c, "codes", cfg().limits.code_requests_per_address_per_day)) {
    return std::move(*r);
  }
  auto found = db().find_eservice(*email);
  if (!found) return guard().store_failed(found.error());
  // Read on every path, so a registered address costs the same reads as an unknown one.
  auto portal = db().find_portal(*email);
  if (!portal) return guard().store_failed(portal.error());
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
      mail =
          compose(mail_kind::portal_code, a.language, cfg(), a.email,
                  {{"code", code}, {"minutes", std::to_string(cfg().rules.code_valid_ms / 60000)}});
    }
  }
  const auto kind = eligible ? mail_kind::portal_code : mail_kind::portal_not_eligible;
  auto op = [this, at = now(), address = c.address, email = *email, mail = std::move(mail),
             code = std::move(code), event = std::string(event),
             kind](write_batch& w) -> common::status {
    if (mail) {
      auto allowed = guard().mail_allowed(w, at, email, kind, address);
      if (!allowed) return std::unexpected(allowed.error());
      if (!*allowed) return w.audit(at, "code_suppressed", email, address, event);
      if (!code.empty()) {
        if (auto r = w.insert_code(email, code, at, at + cfg().rules.code_valid_ms); !r) return r;
      }
      if (auto r = w.enqueue_mail(*mail, address, at); !r) return r;
    }
    return w.audit(at, event, email, address);
  };
  auto then = [log = guard().log_failure("verification code"),
               core = &ctx_.actions()](const common::status& st) {
    log(st);
    if (st) core->mail_queued();
  };
  if (auto s = db().write_later(std::move(op), std::move(then)); !s) {
    return guard().store_failed(s.error());
  }
  return accepted(
      "if the address belongs to an eService account that has signed in, a verification code "
      "has been mailed");
}

http_response portal_routes::verify_code(const call& c) {
  auto email = normalize_email(text_of(c.body, "email"));
  if (!email) return single_field("email", email.error().message);
  if (auto r = guard().admit(c)) return std::move(*r);
  if (auto r = guard().daily(c, "verifications", cfg().limits.verifications_per_address_per_day))
    return std::move(*r);
  const auto code = text_of(c.body, "code");
  // Looked up on every path (registered or not), before the one write.
  auto found = db().find_eservice(*email);
  if (!found) return guard().store_failed(found.error());
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
          const auto f = guard().fail_in_memory(c, "");
          return guard().write_failure(w, now(), c.address, "", f, "code_rejected", *email,
                                       to_string(outcome));
        }
        const auto& a = **found;
        if (auto r = w.create_request(t.digest, a.email, a.id, now(), now() + cfg().step_ms); !r)
          return r;
        return w.audit(now(), "code_verified", a.email, c.address);
      });
      !s) {
    return guard().store_failed(s.error());
  }
  if (outcome != code_check::ok) {
    // One answer for wrong, expired, used, exhausted and unknown: none tells whether the address
    // is registered.
    return problem(400, "Bad Request",
                   "the code is wrong, expired or already used; send a new code");
  }
  return with_cookie(
      reply(200, {{"next", "form"}, {"email", (*found)->email}}),
      ctx_.cookie(request_cookie, t.text, "/api/v1/portal/access-request", std::nullopt));
}

// The request the cookie names: nullopt inside if none; an error if the store failed.
common::result<std::optional<access_request>> portal_routes::current_request(const call& c) {
  const auto it = c.cookies.find(request_cookie);
  if (it == c.cookies.end() || it->second.size() != 32) return std::optional<access_request>();
  return db().find_request(digest_of(it->second), now());
}

http_response portal_routes::submit_form(const call& c) {
  auto request = current_request(c);
  if (!request) return guard().store_failed(request.error());
  if (!*request) return problem(401, "Unauthorized", "verify the e-mail address with a code first");
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
  if (auto r = guard().admit(c)) return std::move(*r);
  std::string hash;
  {
    auto slot = guard().hash_slot();
    if (!slot) return guard().hash_busy();
    auto h = ctx_.hasher().hash(password);
    if (!h) return guard().internal(h.error());
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
    return guard().store_failed(s.error());
  }
  return request_question(c);
}

http_response portal_routes::request_question(const call& c) {
  auto request = current_request(c);
  if (!request) return guard().store_failed(request.error());
  if (!*request) return problem(401, "Unauthorized", "verify the e-mail address with a code first");
  if (!(*request)->form_done)
    return problem_with(409, "Conflict", "fill in the form first", {{"next", "form"}});
  auto a = db().find_eservice((*request)->eservice_id);
  if (!a) return guard().store_failed(a.error());
  if (!*a) return problem(401, "Unauthorized", "start again");
  if ((*a)->answer_hash.empty()) {
    return problem(409, "Conflict",
                   "the eService security question has been reset: sign in to eService to set it");
  }
  const auto& acc = **a;
  return reply(200, {{"next", "security_question"},
                     {"question",
                      {{"id", acc.question_id},
                       {"text", questions_text(cfg(), acc.question_id, acc.language)}}}});
}

http_response portal_routes::request_answer(const call& c) {
  auto current = current_request(c);
  if (!current) return guard().store_failed(current.error());
  if (!*current) return problem(401, "Unauthorized", "verify the e-mail address with a code first");
  const auto& request = **current;
  if (!request.form_done)
    return problem_with(409, "Conflict", "fill in the form first", {{"next", "form"}});
  auto found = db().find_eservice(request.eservice_id);
  if (!found) return guard().store_failed(found.error());
  if (!*found) return problem(401, "Unauthorized", "start again");
  const auto& a = **found;
  // The eService answer's own counter and lock: the portal's request is another way to guess it.
  if (auto r = guard().answer_allowed(c, a)) return std::move(*r);
  const auto answer = text_of(c.body, "answer");
  bool ok = false;
  {
    auto slot = guard().hash_slot();
    if (!slot) return guard().hash_busy();
    ok = ctx_.hasher().verify(answer.size() <= 256 ? a.answer_hash : std::string(), answer);
  }
  if (!ok) {
    const auto voided = [&](write_batch& w) -> common::status {
      auto failures = w.add_request_answer_failure(request.id);
      if (!failures) return std::unexpected(failures.error());
      if (*failures >= cfg().throttle.answer_failures) return w.delete_request(request.id);
      return {};
    };
    if (auto s = guard().write_answer_failure(c, a, "portal_security_answer_failed", voided); !s) {
      return guard().store_failed(s.error());
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
  std::optional<route_context::next_step> next;
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
        next = ctx_.make_session(c, session_kind::portal, id, session_stage::signed_in, false,
                                 portal_cookie);
        return ctx_.write_session(w, *next);
      });
      !s) {
    if (s.error().code == errc::conflict)
      return problem(409, "Conflict", "a customer portal account already exists");
    return guard().store_failed(s.error());
  }
  if (sales) ctx_.actions().mail_queued();
  p.id = id;
  return with_cookie(
      reply(201, {{"status", "signed_in"},
                  {"account", portal_json(p)},
                  {"sales_contact", "a sales representative will contact you within 24-48 hours"}}),
      next->cookie);
}

json portal_routes::portal_json(const portal_account& p) {
  return {{"email", p.email},
          {"customer_id", p.customer_id},
          {"company", p.company},
          {"last_name", p.last_name},
          {"first_name", p.first_name},
          {"country", p.country},
          {"mobile_phone", p.mobile_e164}};
}

http_response portal_routes::login(const call& c) {
  auto email = normalize_email(text_of(c.body, "email"));
  if (!email) return single_field("email", email.error().message);
  const auto password = text_of(c.body, "password");
  const auto key = "portal:" + *email;
  if (auto r = guard().sign_in_allowed(c, key)) return std::move(*r);
  auto found = db().find_portal(*email);
  if (!found) return guard().store_failed(found.error());
  const auto* stored =
      *found && !password.empty() && password.size() <= 256 ? &(*found)->password_hash : nullptr;
  if (auto r = guard().verify_sign_in(c, key, stored, password, "portal_login_failed", *email,
                                      "the e-mail address or the password is wrong")) {
    return std::move(*r);
  }
  const auto next =
      ctx_.make_session(c, session_kind::portal, (*found)->id, session_stage::signed_in,
                        flag_of(c.body, "remember"), portal_cookie);
  if (auto s = db().write([&](write_batch& w) -> common::status {
        if (auto r = ctx_.write_session(w, next); !r) return r;
        return w.audit(now(), "portal_login", *email, c.address);
      });
      !s) {
    return guard().store_failed(s.error());
  }
  return with_cookie(reply(200, {{"status", "signed_in"}, {"account", portal_json(**found)}}),
                     next.cookie);
}

std::variant<portal_account, http_response> portal_routes::signed_in(const call& c) {
  auto s = ctx_.session_of(c, session_kind::portal, portal_cookie);
  if (!s) return guard().store_failed(s.error());
  if (!*s) return no_session("");
  auto p = db().find_portal((*s)->account_id);
  if (!p) return guard().store_failed(p.error());
  if (!*p) return no_session("");
  return **p;
}

http_response portal_routes::session(const call& c) {
  auto p = signed_in(c);
  if (auto* r = std::get_if<http_response>(&p)) return std::move(*r);
  return reply(200, {{"stage", "signed_in"}, {"account", portal_json(std::get<0>(p))}});
}

http_response portal_routes::units(const call& c) {
  auto p = signed_in(c);
  if (auto* r = std::get_if<http_response>(&p)) return std::move(*r);
  auto units = db().customer_units(std::get<0>(p).customer_id, now());
  if (!units) return guard().store_failed(units.error());
  return reply(200, {{"units", units_json(*units, true)}});
}

// Real-time data only for the signed-in customer's units under a monitoring contract: the last
// run state the ingest stored (the core API serves the same to API-key clients).
http_response portal_routes::unit_status(const call& c, const std::string& unit_id) {
  auto p = signed_in(c);
  if (auto* r = std::get_if<http_response>(&p)) return std::move(*r);
  auto units = db().customer_units(std::get<0>(p).customer_id, now());
  if (!units) return guard().store_failed(units.error());
  const bool monitored = std::any_of(units->begin(), units->end(), [&](const customer_unit& u) {
    return u.unit_id == unit_id && u.monitored;
  });
  if (!monitored) return problem(404, "Not Found", "no monitored unit " + unit_id);
  auto status = db().unit_status(unit_id);
  if (!status) return guard().store_failed(status.error());
  json body = {{"unit_id", unit_id}, {"status", nullptr}, {"updated_at", nullptr}};
  if (*status) {
    auto parsed = json::parse((*status)->first, nullptr, false);
    if (!parsed.is_discarded()) body["status"] = std::move(parsed);
    body["updated_at"] = common::format_rfc3339((*status)->second);
  }
  return reply(200, body);
}

}  // namespace hoistway::cloud::accounts
