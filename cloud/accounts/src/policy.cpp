// The guide's rules as pure checks.
#include "hoistway/cloud/accounts/policy.hpp"

#include <algorithm>

#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud::accounts {

using common::errc;
using common::fail;

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_alnum(char c) { return is_digit(c) || is_lower(c) || is_upper(c); }

std::string range_text(std::size_t min, std::size_t max) {
  return std::to_string(min) + " to " + std::to_string(max) + " characters";
}

// Uniform choice from `alphabet` by rejection sampling of random bytes.
std::string random_from(std::string_view alphabet, std::size_t length) {
  std::string out;
  const auto n = alphabet.size();
  const auto limit = 256 - 256 % n;
  while (out.size() < length) {
    std::uint8_t bytes[32];
    common::crypto::random_bytes(bytes);
    for (const auto b : bytes) {
      if (b < limit && out.size() < length) out.push_back(alphabet[b % n]);
    }
  }
  return out;
}

}  // namespace

common::status check_eservice_password(const policy& p, std::string_view password) {
  if (password.size() < p.eservice_password_min || password.size() > p.eservice_password_max) {
    return fail(
        errc::invalid_argument,
        "the password must be " + range_text(p.eservice_password_min, p.eservice_password_max));
  }
  if (!std::all_of(password.begin(), password.end(), is_alnum)) {
    return fail(
        errc::invalid_argument,
        "the password may contain only half-width letters and digits (no symbols, no spaces)");
  }
  return {};
}

common::status check_security_answer(const policy& p, std::string_view answer) {
  if (answer.size() < p.answer_min || answer.size() > p.answer_max) {
    return fail(errc::invalid_argument,
                "the answer must be " + range_text(p.answer_min, p.answer_max));
  }
  for (const char c : answer) {
    if (!is_alnum(c) && p.answer_symbols.find(c) == std::string::npos) {
      return fail(errc::invalid_argument,
                  "the answer may contain only half-width letters, digits, space and " +
                      std::string("the symbols - + , ' * . _"));
    }
  }
  return {};
}

common::status check_portal_password(const policy& p, std::string_view password) {
  if (password.size() < p.portal_password_min || password.size() > p.portal_password_max) {
    return fail(errc::invalid_argument,
                "the password must be " + range_text(p.portal_password_min, p.portal_password_max));
  }
  bool lower = false, upper = false, digit = false, symbol = false;
  for (const char c : password) {
    if (is_lower(c)) {
      lower = true;
    } else if (is_upper(c)) {
      upper = true;
    } else if (is_digit(c)) {
      digit = true;
    } else if (p.portal_password_symbols.find(c) != std::string::npos) {
      symbol = true;
    } else {
      return fail(errc::invalid_argument,
                  "the password may contain only letters, digits and the symbols " +
                      p.portal_password_symbols);
    }
  }
  const int classes = int{lower} + int{upper} + int{digit} + int{symbol};
  if (classes < p.portal_password_classes) {
    return fail(errc::invalid_argument, "the password must contain at least " +
                                            std::to_string(p.portal_password_classes) +
                                            " of: lower case, upper case, digits 0-9, symbols");
  }
  return {};
}

common::result<std::string> mobile_to_e164(const policy& p, std::string_view national) {
  const std::string example = "e.g. 090-1111-2222 is entered as 9011112222";
  if (national.empty()) return fail(errc::invalid_argument, "the mobile phone number is required");
  const bool separators = national.find_first_of("- ()") != std::string_view::npos;
  const bool plus = national.front() == '+';
  std::string digits;
  for (const char c : national) {
    if (is_digit(c)) {
      digits.push_back(c);
    } else if (c != '-' && c != ' ' && c != '(' && c != ')' &&
               !(c == '+' && plus && digits.empty())) {
      return fail(errc::invalid_argument,
                  "the mobile phone number may contain only digits (" + example + ")");
    }
  }
  if (plus) {
    return fail(
        errc::invalid_argument,
        "enter the national number without the country code and without hyphens (" + example + ")");
  }
  const bool trunk = !digits.empty() && digits.front() == '0';
  if (separators || trunk) {
    std::string what = separators && trunk ? "without the leading 0 and without hyphens"
                       : trunk             ? "without the leading 0"
                                           : "without hyphens or spaces";
    return fail(errc::invalid_argument,
                "enter the mobile phone number " + what + " (" + example + ")");
  }
  if (digits.size() != p.mobile_digits) {
    return fail(errc::invalid_argument, "the mobile phone number must have " +
                                            std::to_string(p.mobile_digits) + " digits (" +
                                            example + ")");
  }
  const bool known =
      p.mobile_prefixes.empty() ||
      std::any_of(p.mobile_prefixes.begin(), p.mobile_prefixes.end(),
                  [&](const std::string& prefix) { return digits.starts_with(prefix); });
  if (!known) {
    std::string list;
    for (const auto& prefix : p.mobile_prefixes) list += (list.empty() ? "" : ", ") + prefix;
    return fail(errc::invalid_argument,
                "a mobile phone number starts with " + list + " (" + example + ")");
  }
  return "+" + p.mobile_country_code + digits;
}

common::result<std::string> normalize_email(std::string_view email) {
  while (!email.empty() && (email.front() == ' ' || email.front() == '\t')) email.remove_prefix(1);
  while (!email.empty() && (email.back() == ' ' || email.back() == '\t')) email.remove_suffix(1);
  std::string out(email);
  for (auto& c : out) {
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  const auto at = out.find('@');
  const bool ok =
      out.size() <= 254 && at != std::string::npos && at > 0 && at <= 64 &&
      out.find('@', at + 1) == std::string::npos && out.find('.', at + 2) != std::string::npos &&
      out.back() != '.' && std::all_of(out.begin(), out.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7f &&
               c != '<' && c != '>' && c != ',' && c != ';' && c != '"' && c != '\\';
      });
  if (!ok) return fail(errc::invalid_argument, "enter one e-mail address, e.g. name@example.co.jp");
  return out;
}

std::string make_temp_password(const policy& p) {
  return random_from("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789",
                     p.temp_password_length);
}

std::string make_code(const policy& p) { return random_from("0123456789", p.code_digits); }

}  // namespace hoistway::cloud::accounts
