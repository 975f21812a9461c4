// The customer guide's rules (the eService customer guide, Japanese) as a policy profile: the
// numbers and character sets come from [accounts.policy] in the config, the Japanese guide's are
// the defaults. Every check is a pure function, so each rule is tested with inputs that must pass
// and inputs that must fail. Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/result.hpp"

namespace hoistway::cloud::accounts {

struct policy {
  // eService (guide steps 3, 5, 6).
  std::size_t temp_password_length = 5;
  std::int64_t temp_password_valid_ms = 14LL * 24 * 3600 * 1000;
  std::size_t eservice_password_min = 8;
  std::size_t eservice_password_max = 20;
  std::size_t answer_min = 3;
  std::size_t answer_max = 20;
  std::string answer_symbols = "-+,'*._ ";
  // Customer portal (guide steps 3, 4, 6).
  std::size_t portal_password_min = 8;
  std::size_t portal_password_max = 16;
  int portal_password_classes = 3;  // of lower, upper, digit, symbol
  // The guide prints the backslash as the yen sign, as Japanese fonts do.
  std::string portal_password_symbols = "@#$%^&*-_+=[]{}|\\:',?/`~\"();.";
  std::size_t code_digits = 6;
  std::int64_t code_valid_ms = 10 * 60 * 1000;
  int code_max_tries = 5;
  // Mobile phone: the national significant number (no trunk 0, no hyphens) → E.164.
  std::string mobile_country_code = "81";
  std::size_t mobile_digits = 10;
  std::vector<std::string> mobile_prefixes = {"70", "80", "90"};
};

// Each check returns invalid_argument with a message a customer can act on.
common::status check_eservice_password(const policy& p, std::string_view password);
common::status check_security_answer(const policy& p, std::string_view answer);
common::status check_portal_password(const policy& p, std::string_view password);
// The national form (e.g. 9011112222) → E.164 (+819011112222); a clear error for 090-1111-2222.
common::result<std::string> mobile_to_e164(const policy& p, std::string_view national);
// Lower-cases and trims; invalid_argument unless it looks like one address (local@domain.tld).
common::result<std::string> normalize_email(std::string_view email);

// Random secrets (common::crypto::random_bytes, uniform by rejection sampling).
// Letters and digits without the look-alikes 0 O 1 l I, so a customer can type it from a mail.
std::string make_temp_password(const policy& p);
std::string make_code(const policy& p);

}  // namespace hoistway::cloud::accounts
