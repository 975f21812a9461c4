// Hashing, message authentication and randomness: the only module that uses mbedTLS.
// Thread-safety: every function is safe to call from any thread (random_bytes keeps one
// CTR-DRBG per thread).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hoistway/common/result.hpp"

namespace hoistway::common::crypto {

using sha256_digest = std::array<std::uint8_t, 32>;

sha256_digest sha256(std::span<const std::uint8_t> data);
sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);

// Compares in time that depends only on the lengths, never on the contents.
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

// Fills `out` from mbedTLS's CTR-DRBG seeded by the OS entropy source.
void random_bytes(std::span<std::uint8_t> out);
std::vector<std::uint8_t> random_bytes(std::size_t n);
// A random RFC 4122 version-4 UUID in its text form.
std::string random_uuid();

// PBKDF2-HMAC-SHA512 (for the broker's password file format).
std::vector<std::uint8_t> pbkdf2_sha512(std::string_view password,
                                        std::span<const std::uint8_t> salt, unsigned iterations,
                                        std::size_t length);

std::string to_hex(std::span<const std::uint8_t> bytes);
std::string to_base64(std::span<const std::uint8_t> bytes);
result<std::vector<std::uint8_t>> from_hex(std::string_view hex);

// Overwrites key material so it does not linger in freed memory.
void secure_zero(std::span<std::uint8_t> bytes) noexcept;

inline std::span<const std::uint8_t> as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace hoistway::common::crypto
