// Argon2id through libsodium's crypto_pwhash, and the gate that bounds it.
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
  // Not a virtual call (the object is a password_hasher here): the dummy costs what a real hash
  // does.
  dummy_ = password_hasher::hash(random).value_or(std::string());
}

common::result<std::string> password_hasher::hash(std::string_view secret) const {
  char out[crypto_pwhash_argon2id_STRBYTES];
  if (crypto_pwhash_argon2id_str(out, secret.data(), secret.size(), iterations_, memory_bytes_) !=
      0) {
    return common::fail(common::errc::io, "argon2id: out of memory");
  }
  return std::string(out);
}

bool password_hasher::verify(const std::string& stored, std::string_view secret) const {
  if (stored.empty() || !stored.starts_with("$argon2id$")) {
    // Nothing valid to compare with: still spend one hash, so the answer takes the usual time
    // (not a virtual call: each public call costs exactly one Argon2id).
    password_hasher::verify_nothing(secret);
    return false;
  }
  return crypto_pwhash_argon2id_str_verify(stored.c_str(), secret.data(), secret.size()) == 0;
}

void password_hasher::verify_nothing(std::string_view secret) const {
  // The result is meaningless by design (the dummy hashes a random secret nobody knows), but the
  // library insists it be looked at.
  const int matched =
      crypto_pwhash_argon2id_str_verify(dummy_.c_str(), secret.data(), secret.size());
  static_cast<void>(matched);
}

hash_gate::hash_gate(int slots, std::chrono::milliseconds wait, int queue)
    : slots_(slots < 1 ? 1 : slots), wait_(wait), queue_(queue < 0 ? 0 : queue) {}

hash_gate::slot::~slot() {
  if (gate_ != nullptr) gate_->release();
}

std::optional<hash_gate::slot> hash_gate::acquire() {
  std::unique_lock guard(mutex_);
  if (in_use_ < slots_) {
    ++in_use_;
    return slot(this);
  }
  if (waiting_ >= queue_ || wait_.count() <= 0) {
    ++refused_;
    return std::nullopt;
  }
  ++waiting_;
  const bool got = freed_.wait_for(guard, wait_, [this] { return in_use_ < slots_; });
  --waiting_;
  if (!got) {
    ++refused_;
    return std::nullopt;
  }
  ++in_use_;
  return slot(this);
}

void hash_gate::release() {
  {
    std::lock_guard guard(mutex_);
    --in_use_;
  }
  freed_.notify_one();
}

std::uint64_t hash_gate::refused() const {
  std::lock_guard guard(mutex_);
  return refused_;
}

int hash_gate::in_use() const {
  std::lock_guard guard(mutex_);
  return in_use_;
}

}  // namespace hoistway::cloud::accounts
