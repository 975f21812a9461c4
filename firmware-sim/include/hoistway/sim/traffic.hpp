// Passenger arrivals by time of day: a seeded non-homogeneous Poisson process per building
// profile (office: up-peak, lunch, down-peak, night, quiet weekends; residential: morning
// down-peak, evening up-peak). Rates are journeys per person per hour, by hour of day and
// journey kind, times a factor per day of the week.
// Thread-safety: a generator is a plain value owned by one thread.
#pragma once

#include <array>
#include <cstdint>
#include <limits>

#include "hoistway/sim/building.hpp"
#include "hoistway/sim/random.hpp"

namespace hoistway::sim {

enum class journey_kind : std::uint8_t { incoming, outgoing, interfloor };

struct passenger {
  std::uint64_t id = 0;
  std::int64_t arrival_ms = 0;
  std::int16_t origin = 0;
  std::int16_t destination = 0;
  std::uint16_t weight_kg = 75;
  journey_kind kind = journey_kind::interfloor;
};

// Journeys per person per hour, for each hour of the day.
struct hourly_rates {
  std::array<double, 24> incoming{};    // from the lobby up (or down) to a floor
  std::array<double, 24> outgoing{};    // from a floor to the lobby
  std::array<double, 24> interfloor{};  // between two non-lobby floors
};

const hourly_rates& rates_for(traffic_profile profile) noexcept;
// Multiplier per day of the week, Monday first.
const std::array<double, 7>& day_factors(traffic_profile profile) noexcept;

// Expected number of journeys in [from_ms, to_ms) of simulated time (whole building).
double expected_journeys(const traffic_spec& spec, std::int64_t from_ms, std::int64_t to_ms);

class traffic_generator {
 public:
  static constexpr std::int64_t never = std::numeric_limits<std::int64_t>::max();

  traffic_generator(const traffic_spec& spec, std::int16_t floors, std::uint64_t seed);

  std::int64_t next_arrival_ms() const noexcept { return next_.arrival_ms; }
  // Returns the pending arrival and draws the one after it.
  passenger pop();

 private:
  double rate_per_ms(std::int64_t t_ms, journey_kind kind) const;
  void draw_next(std::int64_t after_ms);

  traffic_spec spec_;
  std::int16_t floors_;
  rng rng_;
  double max_rate_per_ms_ = 0.0;
  std::uint64_t next_id_ = 1;
  passenger next_;
};

}  // namespace hoistway::sim
