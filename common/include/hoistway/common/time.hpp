// Time for Hoistway: an injectable clock (wall and monotonic), and RFC 3339 text.
// Thread-safety: system_clock is stateless; manual_clock is for single-threaded tests unless
// noted; the free functions are pure.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hoistway::common {

class clock {
 public:
  virtual ~clock() = default;
  // Wall time, ms since the Unix epoch (may jump).
  virtual std::int64_t wall_ms() const = 0;
  // Monotonic time, ms since an arbitrary start (never jumps).
  virtual std::int64_t mono_ms() const = 0;
};

class system_clock final : public clock {
 public:
  std::int64_t wall_ms() const override;
  std::int64_t mono_ms() const override;
};

// A clock the test moves by hand; safe to read from other threads.
class manual_clock final : public clock {
 public:
  explicit manual_clock(std::int64_t wall = 1'700'000'000'000, std::int64_t mono = 0)
      : wall_(wall), mono_(mono) {}
  std::int64_t wall_ms() const override { return wall_.load(); }
  std::int64_t mono_ms() const override { return mono_.load(); }
  void advance(std::int64_t ms) {
    wall_ += ms;
    mono_ += ms;
  }
  void jump_wall(std::int64_t ms) { wall_ += ms; }

 private:
  std::atomic<std::int64_t> wall_;
  std::atomic<std::int64_t> mono_;
};

// "2026-11-25T11:21:06.123Z" (UTC, milliseconds).
std::string format_rfc3339(std::int64_t epoch_ms);
// Accepts RFC 3339 with 'Z' or a numeric offset, optional fraction; nullopt if malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace hoistway::common
