// The result type of every fallible Hoistway call: a value or an error with a code and a message.
// Thread-safety: plain values; safe to move between threads.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace hoistway::common {

enum class errc {
  invalid_argument,  // the caller's input is malformed or out of range
  not_found,
  io,               // a file, socket or database call failed
  corrupt,          // bytes from outside failed validation
  unauthenticated,  // a MAC or credential did not verify
  unavailable,      // a peer (broker, controller) cannot be reached now
  conflict,         // the operation clashes with the current state
  internal,
};

const char* to_string(errc code) noexcept;

struct error {
  errc code = errc::internal;
  std::string message;
};

template <typename T>
using result = std::expected<T, error>;

using status = std::expected<void, error>;

inline std::unexpected<error> fail(errc code, std::string message) {
  return std::unexpected<error>(error{code, std::move(message)});
}

}  // namespace hoistway::common
