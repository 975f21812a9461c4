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

// What a device's key signs. Up-link frames (wire v1) are signed with the device key itself;
// every other kind of message with a key of its own, derived from the device key as
// HMAC-SHA256(device key, label), the label naming the kind and its direction
// ("hoistway/v1 stored-ack", …). So a signature made for one kind or direction never verifies as
// another's. A derived key cannot be had from a frame's MAC either: the agent MACs only payloads
// it builds (FlatBuffers Batch tables), and no such payload is a label's ASCII text (its first
// four bytes are a root offset far smaller than "hois" read as an integer).
enum class key_purpose : std::uint8_t { stored_ack, presence, command, command_result };
std::string_view label(key_purpose purpose) noexcept;
sha256_digest purpose_key(std::span<const std::uint8_t> device_key, key_purpose purpose);

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
