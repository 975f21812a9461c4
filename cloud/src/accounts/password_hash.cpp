// Argon2id through libsodium's crypto_pwhash.
#include "hoistway/cloud/accounts/password_hash.hpp"

#include <sodium.h>

#include <stdexcept>

#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud::accounts {

namespace {

void ensure_sodium() {
  // sodium_init is idempotent and thread-safe; a static makes it run once.
  static const int ok = sodium_init();
  if (ok < 0) throw std::runtime_error("libsodium cannot be initialised");
}

}  // namespace

password_hasher::password_hasher(const hashing_settings& cost)
    : iterations_(cost.iterations), memory_bytes_(cost.memory_bytes) {
  ensure_sodium();
  auto random = common::crypto::to_hex(common::crypto::random_bytes(16));
  dummy_ = hash(random).value_or(std::string());
}

common::result<std::string> password_hasher::hash(std::string_view secret) const {
  char out[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, secret.data(), secret.size(), iterations_, memory_bytes_) != 0) {
    return common::fail(common::errc::io, "argon2id: out of memory");
  }
  return std::string(out);
}

bool password_hasher::verify(const std::string& stored, std::string_view secret) const {
  if (stored.empty() || !stored.starts_with("$argon2id$")) return false;
  return crypto_pwhash_argon2id_str_verify(stored.c_str(), secret.data(), secret.size()) == 0;
}

void password_hasher::verify_nothing(std::string_view secret) const { (void)verify(dummy_, secret); }

}  // namespace hoistway::cloud::accounts
