// mbedTLS behind hoistway::common::crypto.
#include "hoistway/common/crypto.hpp"

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha256.h>

#include <stdexcept>

namespace hoistway::common::crypto {
namespace {

// One DRBG per thread: mbedTLS contexts are not thread-safe and a lock would serialise callers.
class drbg {
 public:
  drbg() {
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&ctr_);
    static constexpr std::string_view personalisation = "hoistway";
    if (mbedtls_ctr_drbg_seed(&ctr_, mbedtls_entropy_func, &entropy_,
                              as_bytes(personalisation).data(), personalisation.size()) != 0) {
      throw std::runtime_error("mbedtls_ctr_drbg_seed failed: no entropy source");
    }
  }
  drbg(const drbg&) = delete;
  drbg& operator=(const drbg&) = delete;
  ~drbg() {
    mbedtls_ctr_drbg_free(&ctr_);
    mbedtls_entropy_free(&entropy_);
  }

  void fill(std::span<std::uint8_t> out) {
    // mbedTLS caps one request at MBEDTLS_CTR_DRBG_MAX_REQUEST bytes.
    while (!out.empty()) {
      const std::size_t n = std::min<std::size_t>(out.size(), MBEDTLS_CTR_DRBG_MAX_REQUEST);
      if (mbedtls_ctr_drbg_random(&ctr_, out.data(), n) != 0) {
        throw std::runtime_error("mbedtls_ctr_drbg_random failed");
      }
      out = out.subspan(n);
    }
  }

 private:
  mbedtls_entropy_context entropy_;
  mbedtls_ctr_drbg_context ctr_;
};

}  // namespace

sha256_digest sha256(std::span<const std::uint8_t> data) {
  sha256_digest out{};
  mbedtls_sha256_ret(data.data(), data.size(), out.data(), 0);
  return out;
}

sha256_digest hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  sha256_digest out{};
  const mbedtls_md_info_t* info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
  mbedtls_md_hmac(info, key.data(), key.size(), data.data(), data.size(), out.data());
  return out;
}

std::string_view label(key_purpose purpose) noexcept {
  switch (purpose) {
    case key_purpose::stored_ack:
      return "hoistway/v1 stored-ack";
    case key_purpose::presence:
      return "hoistway/v1 presence";
    case key_purpose::command:
      return "hoistway/v1 command";
    case key_purpose::command_result:
      return "hoistway/v1 command-result";
  }
  return "hoistway/v1 unknown";
}

sha256_digest purpose_key(std::span<const std::uint8_t> device_key, key_purpose purpose) {
  return hmac_sha256(device_key, as_bytes(label(purpose)));
}

bool constant_time_equal(std::span<const std::uint8_t> a,
                         std::span<const std::uint8_t> b) noexcept {
  if (a.size() != b.size()) return false;
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

void random_bytes(std::span<std::uint8_t> out) {
  thread_local drbg generator;
  generator.fill(out);
}

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  random_bytes(std::span<std::uint8_t>(out));
  return out;
}

std::string random_uuid() {
  std::array<std::uint8_t, 16> b{};
  random_bytes(std::span<std::uint8_t>(b));
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0fU) | 0x40U);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3fU) | 0x80U);
  const std::string hex = to_hex(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::vector<std::uint8_t> pbkdf2_sha512(std::string_view password,
                                        std::span<const std::uint8_t> salt, unsigned iterations,
                                        std::size_t length) {
  std::vector<std::uint8_t> out(length);
  mbedtls_md_context_t ctx;
  mbedtls_md_init(&ctx);
  const mbedtls_md_info_t* info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
  if (mbedtls_md_setup(&ctx, info, 1) != 0 ||
      mbedtls_pkcs5_pbkdf2_hmac(&ctx, as_bytes(password).data(), password.size(), salt.data(),
                                salt.size(), iterations, static_cast<std::uint32_t>(length),
                                out.data()) != 0) {
    mbedtls_md_free(&ctx);
    throw std::runtime_error("mbedtls PBKDF2 failed");
  }
  mbedtls_md_free(&ctx);
  return out;
}

std::string to_base64(std::span<const std::uint8_t> bytes) {
  std::size_t needed = 0;
  mbedtls_base64_encode(nullptr, 0, &needed, bytes.data(), bytes.size());
  std::string out(needed, '\0');
  std::size_t written = 0;
  mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &written,
                        bytes.data(), bytes.size());
  out.resize(written);
  return out;
}

std::string to_hex(std::span<const std::uint8_t> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t byte : bytes) {
    out.push_back(digits[byte >> 4U]);
    out.push_back(digits[byte & 0x0fU]);
  }
  return out;
}

result<std::vector<std::uint8_t>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0) return fail(errc::invalid_argument, "hex string has an odd length");
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::vector<std::uint8_t> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail(errc::invalid_argument, "hex string has a non-hex digit");
    out[i] = static_cast<std::uint8_t>((hi << 4) | lo);
  }
  return out;
}

void secure_zero(std::span<std::uint8_t> bytes) noexcept {
  mbedtls_platform_zeroize(bytes.data(), bytes.size());
}

}  // namespace hoistway::common::crypto
