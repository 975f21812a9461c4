// REQUIRE_OK / CHECK_OK: a result, expected or optional value holds a value, and when it does not,
// the failure prints its error (the message, or the reason and detail) instead of "false".
//   auto db = sqlite::database::open(path);
//   REQUIRE_OK(db);
// Thread-safety: doctest assertions, on a test's thread.
#pragma once

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <type_traits>

namespace hoistway::testing {

// What a failed result says: error{code, message} (common::result), {reason, detail}
// (the wire, down-link and CLI rejections), {kind, message} (the CLI client), or an enum with a
// to_string (ack_rejection).
template <typename E>
std::string describe_error(const E& e) {
  std::ostringstream out;
  if constexpr (requires {
                  e.code;
                  e.message;
                }) {
    out << to_string(e.code) << ": " << e.message;
  } else if constexpr (requires {
                         e.reason;
                         e.detail;
                       }) {
    out << to_string(e.reason) << ": " << e.detail;
  } else if constexpr (requires { e.message; }) {
    out << e.message;
  } else if constexpr (requires { to_string(e); }) {
    out << to_string(e);
  } else if constexpr (std::is_enum_v<E>) {
    out << "error " << static_cast<long long>(e);
  } else {
    out << doctest::toString(e);
  }
  return out.str();
}

// What an empty result, expected or optional says.
template <typename R>
std::string failure_of(const R& r) {
  if constexpr (requires { r.error(); }) {
    return describe_error(r.error());
  } else {
    return "empty";
  }
}

}  // namespace hoistway::testing

#define HOISTWAY_OK_IMPL(fail_macro, expr)                                                   \
  do {                                                                                       \
    const auto& hoistway_ok_result_ = (expr);                                                \
    if (!hoistway_ok_result_.has_value()) {                                                  \
      fail_macro(#expr " failed: " << ::hoistway::testing::failure_of(hoistway_ok_result_)); \
    }                                                                                        \
  } while (false)

// Stops the test when `expr` holds an error, printing it.
#define REQUIRE_OK(expr) HOISTWAY_OK_IMPL(FAIL, expr)
// Records a failure and goes on.
#define CHECK_OK(expr) HOISTWAY_OK_IMPL(FAIL_CHECK, expr)
