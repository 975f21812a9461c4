// The customer guide's rules (policy.hpp), each with inputs that must pass and
// inputs that must fail; and the [accounts] settings.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "hoistway/cloud/accounts/policy.hpp"
#include "hoistway/cloud/accounts/settings.hpp"
#include "hoistway/common/config.hpp"

using namespace hoistway::cloud::accounts;

namespace {
const policy japan{};

bool eservice_ok(std::string_view p) { return check_eservice_password(japan, p).has_value(); }
bool answer_ok(std::string_view a) { return check_security_answer(japan, a).has_value(); }
bool portal_ok(std::string_view p) { return check_portal_password(japan, p).has_value(); }

settings load(std::string_view text) {
  auto table = hoistway::common::config::parse_text(text, "t.toml");
  REQUIRE(table);
  auto s = settings::load(*table, "t.toml");
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  return *s;
}

std::string load_error(std::string_view text) {
  auto table = hoistway::common::config::parse_text(text, "t.toml");
  REQUIRE(table);
  auto s = settings::load(*table, "t.toml");
  REQUIRE_FALSE(s);
  return s.error().message;
}
}  // namespace

TEST_CASE("eService password: 8-20 half-width letters and digits, no symbols") {
  CHECK(eservice_ok("abcd1234"));              // 8
  CHECK(eservice_ok("ABCDefgh12345678ijkl"));  // 20
  CHECK(eservice_ok("onlyletters"));
  CHECK(eservice_ok("12345678"));
  CHECK_FALSE(eservice_ok("abc1234"));                // 7
  CHECK_FALSE(eservice_ok("ABCDefgh12345678ijklm"));  // 21
  CHECK_FALSE(eservice_ok("abcd123!"));               // a symbol
  CHECK_FALSE(eservice_ok("abcd_1234"));
  CHECK_FALSE(eservice_ok("abcd 1234"));     // a space
  CHECK_FALSE(eservice_ok("ａｂｃｄ1234"));  // full-width letters
  CHECK_FALSE(eservice_ok(""));
  CHECK(check_eservice_password(japan, "abcd123!").error().message.find("letters and digits") !=
        std::string::npos);
}

TEST_CASE("security answer: 3-20 of letters, digits, - + , ' * . _ and space") {
  CHECK(answer_ok("abc"));
  CHECK(answer_ok("Pochi"));
  CHECK(answer_ok("a-+,'*._ z"));
  CHECK(answer_ok("12345678901234567890"));         // 20
  CHECK_FALSE(answer_ok("ab"));                     // 2
  CHECK_FALSE(answer_ok("123456789012345678901"));  // 21
  CHECK_FALSE(answer_ok("abc!"));
  CHECK_FALSE(answer_ok("abc@x"));
  CHECK_FALSE(answer_ok("ポチ"));  // not half-width
  CHECK_FALSE(answer_ok("a\tb c"));
}

TEST_CASE("portal password: 8-16 and at least 3 of lower, upper, digit, the guide's symbols") {
  CHECK(portal_ok("abcdEF12"));                 // lower upper digit
  CHECK(portal_ok("abcd12#$"));                 // lower digit symbol
  CHECK(portal_ok("ABCD12@@"));                 // upper digit symbol
  CHECK(portal_ok("Abc\\1234"));                // the backslash the guide prints as ¥
  CHECK(portal_ok("Abcdefgh12345678"));         // 16
  CHECK_FALSE(portal_ok("abcdefgh"));           // 1 class
  CHECK_FALSE(portal_ok("abcdEFGH"));           // 2 of 4
  CHECK_FALSE(portal_ok("abcd1234"));           // 2 of 4
  CHECK_FALSE(portal_ok("1234#$%^"));           // 2 of 4
  CHECK_FALSE(portal_ok("Abc1234"));            // 7
  CHECK_FALSE(portal_ok("Abcdefgh123456789"));  // 17
  CHECK_FALSE(portal_ok("Abcd 1234"));          // a space is no symbol of the guide
  CHECK_FALSE(portal_ok("Abcd<1234"));          // nor is <
  CHECK_FALSE(portal_ok("Abc¥1234"));           // the yen sign itself (U+00A5) is not the key
  CHECK(check_portal_password(japan, "abcdEFGH").error().message.find("at least 3") !=
        std::string::npos);
  for (const char symbol : std::string("@#$%^&*-_+=[]{}|\\:',?/`~\"();.")) {
    CHECK_MESSAGE(portal_ok(std::string("abcdefg1") + symbol), symbol);
  }
}

TEST_CASE("mobile phone: the national number without 0 and hyphens becomes E.164") {
  CHECK(mobile_to_e164(japan, "9011112222").value() == "+819011112222");
  CHECK(mobile_to_e164(japan, "8012345678").value() == "+818012345678");
  CHECK(mobile_to_e164(japan, "7012345678").value() == "+817012345678");
  auto hyphens_and_zero = mobile_to_e164(japan, "090-1111-2222");
  REQUIRE_FALSE(hyphens_and_zero);
  CHECK(hyphens_and_zero.error().message.find("without the leading 0 and without hyphens") !=
        std::string::npos);
  CHECK(hyphens_and_zero.error().message.find("9011112222") != std::string::npos);
  CHECK(mobile_to_e164(japan, "09011112222").error().message.find("leading 0") !=
        std::string::npos);
  CHECK(mobile_to_e164(japan, "90-1111-2222").error().message.find("hyphens") != std::string::npos);
  CHECK_FALSE(mobile_to_e164(japan, "90 1111 2222"));
  CHECK_FALSE(mobile_to_e164(japan, "+819011112222"));
  CHECK_FALSE(mobile_to_e164(japan, "901111222"));    // 9 digits
  CHECK_FALSE(mobile_to_e164(japan, "90111122223"));  // 11 digits
  CHECK_FALSE(mobile_to_e164(japan, "3111122223"));   // a Tokyo landline, not a mobile
  CHECK_FALSE(mobile_to_e164(japan, "9O11112222"));   // letter O
  CHECK_FALSE(mobile_to_e164(japan, ""));
}

TEST_CASE("e-mail addresses are trimmed and lower-cased, malformed ones are refused") {
  CHECK(normalize_email("  Taro.Yamada@Example.CO.JP ").value() == "taro.yamada@example.co.jp");
  CHECK_FALSE(normalize_email("taro"));
  CHECK_FALSE(normalize_email("taro@localhost"));
  CHECK_FALSE(normalize_email("a@@example.jp"));
  CHECK_FALSE(normalize_email("a b@example.jp"));
  CHECK_FALSE(normalize_email("a@example.jp, b@example.jp"));
  CHECK_FALSE(normalize_email("a@example.jp\r\nBcc: x@example.jp"));
}

TEST_CASE("temporary passwords have 5 unambiguous characters, codes 6 digits") {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto p = make_temp_password(japan);
    CHECK(p.size() == 5);
    CHECK(p.find_first_of("0O1lI") == std::string::npos);
    seen.insert(p);
    const auto code = make_code(japan);
    CHECK(code.size() == 6);
    CHECK(code.find_first_not_of("0123456789") == std::string::npos);
  }
  CHECK(seen.size() > 190);
}

TEST_CASE("settings: the Japanese guide's numbers are the defaults, the profile is configurable") {
  const auto s = load("");
  CHECK(s.rules.temp_password_length == 5);
  CHECK(s.rules.eservice_password_min == 8);
  CHECK(s.rules.eservice_password_max == 20);
  CHECK(s.rules.portal_password_min == 8);
  CHECK(s.rules.portal_password_max == 16);
  CHECK(s.rules.portal_password_classes == 3);
  CHECK(s.rules.code_digits == 6);
  CHECK(s.rules.code_valid_ms == 10 * 60 * 1000);
  CHECK(s.rules.code_max_tries == 5);
  CHECK(s.hashing.profile == hash_profile::secure);
  CHECK(s.hashing.iterations == 2);
  CHECK(s.hashing.memory_bytes >= 19U * 1024U * 1024U);
  CHECK_FALSE(s.questions.empty());

  const auto other = load(
      "[policy]\neservice_password_min = 10\nmobile_country_code = \"44\"\nmobile_digits = 10\n"
      "mobile_prefixes = [\"7\"]\n[hashing]\nprofile = \"test\"\n");
  CHECK(other.rules.eservice_password_min == 10);
  CHECK_FALSE(check_eservice_password(other.rules, "abcd12345"));
  CHECK(mobile_to_e164(other.rules, "7911123456").value() == "+447911123456");
  CHECK(other.hashing.profile == hash_profile::test);

  CHECK(load_error("[policy]\nnope = 1\n").find("accounts.policy.nope: unknown key") !=
        std::string::npos);
  CHECK(load_error("[hashing]\nmemory_kib = 1024\n").find("memory_kib") != std::string::npos);
  CHECK(load_error("[hashing]\niterations = 1\n").find("iterations") != std::string::npos);
  CHECK(load_error("[smtp]\nurl = \"http://x\"\n").find("smtp.url") != std::string::npos);
  CHECK(load_error("[policy]\nportal_password_min = 20\nportal_password_max = 10\n")
            .find("portal_password_min") != std::string::npos);
}

TEST_CASE("settings: TLS on by default, protection limits that hold") {
  const auto s = load("");
  CHECK(s.cookie_secure);
  CHECK(s.smtp.require_tls);
  CHECK(s.hashing.concurrency == 1);
  CHECK(s.hashing.wait_ms == 250);
  // One address can make 17 failures an hour on one account under the default delays (5 free,
  // then 1 s doubling to 15 min); the account's safety lock needs 100: six addresses at least.
  CHECK(failures_one_address_can_make(s.throttle, 3600LL * 1000) == 17);
  CHECK(s.throttle.account_failures == 100);
  CHECK(
      load_error("[throttle]\naccount_failures = 5\n").find("accounts.throttle.account_failures") !=
      std::string::npos);
  // Without delays worth the name the address lock still bounds one address (20 per 15 minutes).
  CHECK(failures_one_address_can_make(
            load("[throttle]\npair_delay_max_s = 1\naccount_failures = 1000\n").throttle,
            3600LL * 1000) <= 80);
  // A temporary password must be told from a permanent one by its length.
  CHECK(load_error("[policy]\ntemp_password_length = 8\n").find("temp_password_length") !=
        std::string::npos);
  CHECK(load_error("[retention]\nmail_days = 0\n").find("mail_days") != std::string::npos);
  CHECK(load_error("[hashing]\nconcurrency = 0\n").find("concurrency") != std::string::npos);
}

TEST_CASE("config/accounts.example.toml loads and states the defaults") {
  const auto source =
      std::filesystem::path(HOISTWAY_SOURCE_DIR) / "config" / "accounts.example.toml";
  auto file = hoistway::common::config::load_file(source.string());
  REQUIRE_MESSAGE(file, (file ? "" : file.error().message));
  const auto* section = file->get("accounts");
  REQUIRE(section != nullptr);
  REQUIRE(section->is_table());
  auto s = settings::load(*section->as_table(), source.string());
  REQUIRE_MESSAGE(s, (s ? "" : s.error().message));
  const auto defaults = load("");
  CHECK(s->rules.portal_password_symbols == defaults.rules.portal_password_symbols);
  CHECK(s->rules.answer_symbols == defaults.rules.answer_symbols);
  CHECK(s->rules.mobile_prefixes == defaults.rules.mobile_prefixes);
  CHECK(s->hashing.memory_bytes == defaults.hashing.memory_bytes);
  CHECK(s->smtp.max_attempts == defaults.smtp.max_attempts);
  CHECK(s->throttle.lock_ms == defaults.throttle.lock_ms);
  CHECK(s->throttle.account_failures == defaults.throttle.account_failures);
  CHECK(s->throttle.pair_delay_max_ms == defaults.throttle.pair_delay_max_ms);
  CHECK(s->throttle.answer_failures == defaults.throttle.answer_failures);
  CHECK(s->limits.mails_per_recipient_per_day == defaults.limits.mails_per_recipient_per_day);
  CHECK(s->limits.verifications_per_address_per_day ==
        defaults.limits.verifications_per_address_per_day);
  CHECK(s->retention.audit_ms == defaults.retention.audit_ms);
  CHECK(s->retention.audit_max_rows == defaults.retention.audit_max_rows);
  CHECK(s->hashing.concurrency == defaults.hashing.concurrency);
  CHECK(s->hashing.wait_ms == defaults.hashing.wait_ms);
  CHECK(s->cookie_secure == defaults.cookie_secure);
  CHECK(s->smtp.require_tls == defaults.smtp.require_tls);
  CHECK(s->questions.size() == defaults.questions.size());
}
