// Argon2id for every secret a customer types (passwords, temporary passwords, security answers):
// the only user of libsodium. Stored as the PHC string ($argon2id$v=19$m=…,t=…,p=1$salt$hash), so
// a changed cost still verifies old hashes.
//
// hash_gate bounds how many Argon2id computations run at once in the process: each costs tens of
// milliseconds of a core and 19 MiB, and unauthenticated requests can ask for them, so without a
// bound a flood takes every core. A request waits a short time for a slot, then is refused.
//
// Thread-safety: password_hasher's members are const and safe to call from any thread (a test may
// derive from it to count calls). hash_gate is safe to use from any thread; a slot is released
// by its destructor, on any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "hoistway/cloud/accounts/settings.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::cloud::accounts {

class password_hasher {
 public:
  explicit password_hasher(const hashing_settings& cost);
  virtual ~password_hasher() = default;
  // io error only when the memory cannot be had.
  virtual common::result<std::string> hash(std::string_view secret) const;
  // False for a wrong secret and for a malformed stored string.
  virtual bool verify(const std::string& stored, std::string_view secret) const;
  // Spends the time of one verify, so that a path with nothing to compare (an unknown e-mail, a
  // suppressed mail) costs what a real one does.
  virtual void verify_nothing(std::string_view secret) const;

 private:
  std::uint64_t iterations_;
  std::size_t memory_bytes_;
  std::string dummy_;
};

class hash_gate {
 public:
  // `slots` computations at once; a caller waits at most `wait` for one, and at most `queue`
  // callers wait (the others are refused without waiting).
  hash_gate(int slots, std::chrono::milliseconds wait, int queue);
  hash_gate(const hash_gate&) = delete;
  hash_gate& operator=(const hash_gate&) = delete;

  class slot {
   public:
    slot(slot&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    slot& operator=(slot&&) = delete;
    ~slot();

   private:
    friend class hash_gate;
    explicit slot(hash_gate* gate) : gate_(gate) {}
    hash_gate* gate_;
  };
  // A slot, or nullopt when none became free in time (or too many wait already).
  std::optional<slot> acquire();

  std::uint64_t refused() const;
  int in_use() const;

 private:
  void release();
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  const int slots_;
  const std::chrono::milliseconds wait_;
  const int queue_;
  int in_use_ = 0;
  int waiting_ = 0;
  std::uint64_t refused_ = 0;
};

}  // namespace hoistway::cloud::accounts
