// Deterministic random numbers for the simulator: a seeded std::mt19937_64 (its output sequence
// is fixed by the standard) and our own distributions, so a run depends only on its seed and
// inputs, never on the standard library's distribution implementations.
// Thread-safety: an rng is a plain value; use one per thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace hoistway::sim {

// SplitMix64 step: derives independent stream seeds from one run seed.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) noexcept {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class rng {
 public:
  explicit rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }

  // Uniform in [0, 1), 53 bits.
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Uniform integer in [lo, hi] (hi >= lo), unbiased by rejection.
  std::int64_t uniform_int(std::int64_t lo, std::int64_t hi) {
    const auto span = static_cast<std::uint64_t>(hi - lo) + 1U;
    if (span == 0) return static_cast<std::int64_t>(engine_());  // full 64-bit range
    const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % span);
    std::uint64_t x = engine_();
    while (x >= limit) x = engine_();
    return lo + static_cast<std::int64_t>(x % span);
  }

  bool chance(double probability) { return uniform01() < probability; }

  // Exponentially distributed with the given mean.
  double exponential(double mean) { return -mean * std::log1p(-uniform01()); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace hoistway::sim
