// Reading [accounts].
#include "hoistway/cloud/accounts/settings.hpp"

#include <algorithm>

#include "hoistway/common/config.hpp"

namespace hoistway::cloud::accounts {

namespace {

std::vector<security_question> default_questions() {
  return {
      {"pet_name", "ペットの名前は?", "What is your pet's name?"},
      {"birth_city", "生まれた市区町村は?", "In which city were you born?"},
      {"first_school", "最初に通った学校の名前は?", "What was the name of your first school?"},
      {"mother_maiden_name", "母親の旧姓は?", "What is your mother's maiden name?"},
      {"favourite_food", "好きな食べ物は?", "What is your favourite food?"},
  };
}

std::size_t size_key(common::config::reader& r, std::string_view key, std::size_t fallback,
                     std::int64_t min, std::int64_t max) {
  return static_cast<std::size_t>(r.integer(key, static_cast<std::int64_t>(fallback), min, max));
}

}  // namespace

int failures_one_address_can_make(const throttle_settings& t, std::int64_t window_ms) {
  // Walks the fastest schedule one address can keep: each failure as soon as the pair delay and
  // the address lock allow.
  std::int64_t at = 0;
  int failures = 0;
  int address_count = 0;
  std::int64_t address_window_start = 0;
  while (at <= window_ms && failures < 1'000'000) {
    ++failures;
    if (address_count == 0 || at - address_window_start >= t.window_ms) {
      address_window_start = at;
      address_count = 0;
    }
    std::int64_t next = at;
    if (++address_count >= t.address_failures) {
      next = at + t.lock_ms;
      address_count = 0;
    }
    if (failures >= t.pair_free_failures) {
      std::int64_t delay = t.pair_delay_initial_ms;
      for (int i = t.pair_free_failures; i < failures && delay < t.pair_delay_max_ms; ++i)
        delay *= 2;
      next = std::max(next, at + std::min(delay, t.pair_delay_max_ms));
    }
    at = next;
  }
  return failures;
}

common::result<settings> settings::load(const toml::table& section, const std::string& source) {
  common::config::reader root(section, source, "accounts");
  root.only({"eservice_url", "portal_url", "brand_ja", "brand_en", "portal_name", "sales_email",
             "default_language", "privacy_policy_version", "terms_of_use_version", "cookie_secure",
             "resend_interval_s", "policy", "hashing", "smtp", "sessions", "throttle", "limits",
             "retention", "questions"});
  settings s;
  s.eservice_url = root.text("eservice_url", s.eservice_url);
  s.portal_url = root.text("portal_url", s.portal_url);
  s.brand_ja = root.text("brand_ja", s.brand_ja);
  s.brand_en = root.text("brand_en", s.brand_en);
  s.portal_name = root.text("portal_name", s.portal_name);
  s.sales_email = root.text("sales_email", "");
  s.default_language = root.text("default_language", s.default_language);
  if (s.default_language != "ja" && s.default_language != "en") {
    root.add_error("default_language", "must be \"ja\" or \"en\"");
  }
  s.privacy_policy_version = root.text("privacy_policy_version", s.privacy_policy_version);
  s.terms_of_use_version = root.text("terms_of_use_version", s.terms_of_use_version);
  s.cookie_secure = root.boolean("cookie_secure", true);
  s.resend_interval_ms = root.integer("resend_interval_s", 60, 0, 3600) * 1000;

  auto p = root.child("policy");
  p.only({"temp_password_length", "temp_password_valid_days", "eservice_password_min",
          "eservice_password_max", "answer_min", "answer_max", "answer_symbols",
          "portal_password_min", "portal_password_max", "portal_password_classes",
          "portal_password_symbols", "code_digits", "code_valid_minutes", "code_max_tries",
          "mobile_country_code", "mobile_digits", "mobile_prefixes"});
  auto& r = s.rules;
  r.temp_password_length = size_key(p, "temp_password_length", r.temp_password_length, 4, 64);
  r.temp_password_valid_ms = p.integer("temp_password_valid_days", 14, 1, 365) * 24 * 3600 * 1000;
  r.eservice_password_min = size_key(p, "eservice_password_min", r.eservice_password_min, 6, 128);
  r.eservice_password_max = size_key(p, "eservice_password_max", r.eservice_password_max, 6, 128);
  r.answer_min = size_key(p, "answer_min", r.answer_min, 1, 128);
  r.answer_max = size_key(p, "answer_max", r.answer_max, 1, 128);
  r.answer_symbols = p.text("answer_symbols", r.answer_symbols);
  r.portal_password_min = size_key(p, "portal_password_min", r.portal_password_min, 6, 128);
  r.portal_password_max = size_key(p, "portal_password_max", r.portal_password_max, 6, 128);
  r.portal_password_classes = static_cast<int>(p.integer("portal_password_classes", 3, 1, 4));
  r.portal_password_symbols = p.text("portal_password_symbols", r.portal_password_symbols);
  r.code_digits = size_key(p, "code_digits", r.code_digits, 4, 10);
  r.code_valid_ms = p.integer("code_valid_minutes", 10, 1, 1440) * 60 * 1000;
  r.code_max_tries = static_cast<int>(p.integer("code_max_tries", 5, 1, 100));
  r.mobile_country_code = p.text("mobile_country_code", r.mobile_country_code);
  r.mobile_digits = size_key(p, "mobile_digits", r.mobile_digits, 4, 15);
  if (const auto* prefixes = section.at_path("policy.mobile_prefixes").as_array()) {
    r.mobile_prefixes.clear();
    for (const auto& e : *prefixes) {
      if (const auto* str = e.as_string()) {
        r.mobile_prefixes.push_back(str->get());
      } else {
        p.add_error("mobile_prefixes", "expected an array of strings");
      }
    }
  } else if (section.at_path("policy.mobile_prefixes")) {
    p.add_error("mobile_prefixes", "expected an array of strings");
  }
  if (r.eservice_password_min > r.eservice_password_max) {
    p.add_error("eservice_password_min", "must not exceed eservice_password_max");
  }
  if (r.portal_password_min > r.portal_password_max) {
    p.add_error("portal_password_min", "must not exceed portal_password_max");
  }
  if (r.answer_min > r.answer_max) p.add_error("answer_min", "must not exceed answer_max");
  // A sign-in checks exactly one secret (one Argon2id): a temporary password is told from a
  // permanent one by its length, which needs the two ranges apart.
  if (r.temp_password_length >= r.eservice_password_min) {
    p.add_error("temp_password_length",
                "must be shorter than eservice_password_min, so a sign-in can tell a temporary "
                "password from a "
                "permanent one without hashing both");
  }

  auto h = root.child("hashing");
  h.only({"profile", "iterations", "memory_kib", "concurrency", "wait_ms", "queue"});
  s.hashing.concurrency = static_cast<int>(h.integer("concurrency", 1, 1, 256));
  s.hashing.wait_ms = h.integer("wait_ms", 250, 0, 10000);
  s.hashing.queue = static_cast<int>(h.integer("queue", 8, 0, 10000));
  const auto profile = h.text("profile", "secure");
  if (profile == "secure") {
    s.hashing.profile = hash_profile::secure;
    s.hashing.iterations = static_cast<std::uint64_t>(h.integer("iterations", 2, 2, 10));
    s.hashing.memory_bytes =
        static_cast<std::size_t>(h.integer("memory_kib", 19 * 1024, 19 * 1024, 4 * 1024 * 1024)) *
        1024U;
  } else if (profile == "test") {
    s.hashing.profile = hash_profile::test;
    s.hashing.iterations = 1;
    s.hashing.memory_bytes = 8U * 1024U;
    if (section.at_path("hashing.iterations") || section.at_path("hashing.memory_kib")) {
      h.add_error("profile", "the test profile has fixed costs; remove iterations and memory_kib");
    }
  } else {
    h.add_error("profile", "must be \"secure\" or \"test\"");
  }

  auto m = root.child("smtp");
  m.only({"url", "from", "portal_from", "username", "password", "require_tls", "timeout_s",
          "max_attempts", "backoff_initial_s", "backoff_max_s", "poll_interval_ms"});
  s.smtp.url = m.text("url", s.smtp.url);
  if (!s.smtp.url.starts_with("smtp://") && !s.smtp.url.starts_with("smtps://")) {
    m.add_error("url", "must start with smtp:// or smtps://");
  }
  s.smtp.from = m.text("from", s.smtp.from);
  s.smtp.portal_from = m.text("portal_from", "");
  s.smtp.username = m.text("username", "");
  s.smtp.password = m.text("password", "");
  s.smtp.require_tls = m.boolean("require_tls", true);
  s.smtp.timeout_s = static_cast<int>(m.integer("timeout_s", 30, 1, 600));
  s.smtp.max_attempts = static_cast<int>(m.integer("max_attempts", 8, 1, 100));
  s.smtp.backoff_initial_s = static_cast<int>(m.integer("backoff_initial_s", 5, 0, 3600));
  s.smtp.backoff_max_s = static_cast<int>(m.integer("backoff_max_s", 3600, 0, 86400));
  s.smtp.poll_interval_ms = static_cast<int>(m.integer("poll_interval_ms", 1000, 10, 60000));

  auto se = root.child("sessions");
  se.only({"hours", "remember_days", "step_minutes"});
  s.session_ms = se.integer("hours", 8, 1, 24 * 7) * 3600 * 1000;
  s.remember_ms = se.integer("remember_days", 30, 1, 365) * 24 * 3600 * 1000;
  s.step_ms = se.integer("step_minutes", 15, 1, 120) * 60 * 1000;

  auto t = root.child("throttle");
  t.only({"address_requests_per_minute", "address_failures", "window_s", "lock_s",
          "pair_free_failures", "pair_delay_initial_s", "pair_delay_max_s", "pair_forget_s",
          "account_failures", "account_window_s", "account_lock_s", "answer_failures",
          "answer_window_s", "answer_lock_s", "max_entries"});
  auto& th = s.throttle;
  th.address_requests_per_minute =
      static_cast<int>(t.integer("address_requests_per_minute", 60, 1, 100000));
  th.address_failures = static_cast<int>(t.integer("address_failures", 20, 1, 100000));
  th.window_ms = t.integer("window_s", 900, 1, 86400) * 1000;
  th.lock_ms = t.integer("lock_s", 900, 1, 86400) * 1000;
  th.pair_free_failures = static_cast<int>(t.integer("pair_free_failures", 5, 1, 100));
  th.pair_delay_initial_ms = t.integer("pair_delay_initial_s", 1, 1, 3600) * 1000;
  th.pair_delay_max_ms = t.integer("pair_delay_max_s", 900, 1, 86400) * 1000;
  th.pair_forget_ms = t.integer("pair_forget_s", 86400, 60, 30LL * 86400) * 1000;
  th.account_failures = static_cast<int>(t.integer("account_failures", 100, 1, 1000000));
  th.account_window_ms = t.integer("account_window_s", 3600, 60, 7LL * 86400) * 1000;
  th.account_lock_ms = t.integer("account_lock_s", 900, 1, 86400) * 1000;
  th.answer_failures = static_cast<int>(t.integer("answer_failures", 5, 1, 100));
  th.answer_window_ms = t.integer("answer_window_s", 86400, 60, 30LL * 86400) * 1000;
  th.answer_lock_ms = t.integer("answer_lock_s", 86400, 1, 30LL * 86400) * 1000;
  th.max_entries = static_cast<std::size_t>(t.integer("max_entries", 50000, 100, 10'000'000));
  if (th.pair_delay_initial_ms > th.pair_delay_max_ms) {
    t.add_error("pair_delay_initial_s", "must not exceed pair_delay_max_s");
  }
  // The per-account lock must be out of one stranger's reach, or one address could lock the owner
  // out again: refuse a limit that one address can reach alone within the window.
  if (const auto alone = failures_one_address_can_make(th, th.account_window_ms);
      th.account_failures <= alone) {
    t.add_error("account_failures",
                "one address alone can make " + std::to_string(alone) +
                    " failures within account_window_s under the delays above; set it higher, "
                    "so a stranger cannot lock the owner out");
  }

  auto l = root.child("limits");
  l.only({"mails_per_recipient_per_day", "mails_per_address_per_day",
          "code_requests_per_address_per_day", "verifications_per_address_per_day",
          "reset_requests_per_address_per_day", "write_queue"});
  auto& li = s.limits;
  li.mails_per_recipient_per_day =
      static_cast<int>(l.integer("mails_per_recipient_per_day", 10, 1, 1000));
  li.mails_per_address_per_day =
      static_cast<int>(l.integer("mails_per_address_per_day", 20, 1, 100000));
  li.code_requests_per_address_per_day =
      static_cast<int>(l.integer("code_requests_per_address_per_day", 20, 1, 100000));
  li.verifications_per_address_per_day =
      static_cast<int>(l.integer("verifications_per_address_per_day", 50, 1, 100000));
  li.reset_requests_per_address_per_day =
      static_cast<int>(l.integer("reset_requests_per_address_per_day", 20, 1, 100000));
  li.write_queue = static_cast<std::size_t>(l.integer("write_queue", 10000, 10, 1'000'000));

  auto re = root.child("retention");
  re.only({"audit_days", "audit_max_rows", "mail_days", "prune_interval_s", "prune_batch_rows",
           "prune_max_steps"});
  auto& rt = s.retention;
  rt.audit_ms = re.integer("audit_days", 90, 1, 3650) * 24 * 3600 * 1000;
  rt.audit_max_rows = re.integer("audit_max_rows", 1'000'000, 100, 1'000'000'000);
  // At least a day: the daily mail caps count the mails of the last 24 hours.
  rt.mail_ms = re.integer("mail_days", 30, 1, 3650) * 24 * 3600 * 1000;
  rt.interval_ms = re.integer("prune_interval_s", 60, 1, 86400) * 1000;
  rt.batch_rows = re.integer("prune_batch_rows", 1000, 10, 100000);
  rt.max_steps = static_cast<int>(re.integer("prune_max_steps", 50, 1, 10000));

  for (const auto* q : root.tables("questions")) {
    auto qr = root.child(*q, "accounts.questions[" + std::to_string(s.questions.size()) + "]");
    qr.only({"id", "ja", "en"});
    s.questions.push_back({qr.required_text("id"), qr.required_text("ja"), qr.required_text("en")});
  }
  if (s.questions.empty()) s.questions = default_questions();

  if (auto st = root.finish(); !st) return std::unexpected(st.error());
  return s;
}

}  // namespace hoistway::cloud::accounts
