// Argon2id for every secret a customer types (passwords, temporary passwords, security answers):
// the only user of libsodium. Stored as the PHC string ($argon2id$v=19$m=…,t=…,p=1$salt$hash), so
// a changed cost still verifies old hashes.
// Thread-safety: every member is const and safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hoistway/cloud/accounts/settings.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::cloud::accounts {

class password_hasher {
 public:
  explicit password_hasher(const hashing_settings& cost);
  // io error only when the memory cannot be had.
  common::result<std::string> hash(std::string_view secret) const;
  // False for a wrong secret and for a malformed stored string.
  bool verify(const std::string& stored, std::string_view secret) const;
  // Spends the time of one verify, so that an unknown e-mail answers as slowly as a known one.
  void verify_nothing(std::string_view secret) const;

 private:
  std::uint64_t iterations_;
  std::size_t memory_bytes_;
  std::string dummy_;
};

}  // namespace hoistway::cloud::accounts
