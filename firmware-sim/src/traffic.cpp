// Passenger arrival profiles and their generator.
#include "hoistway/sim/traffic.hpp"

#include <algorithm>
#include <cmath>

namespace hoistway::sim {

namespace {

constexpr double ms_per_hour = 3'600'000.0;

// Office: everyone arrives 7-10 (up-peak), half go out for lunch 11:30-13:30, everyone leaves
// 16-19 (down-peak); interfloor visits during working hours; a trickle at night.
constexpr hourly_rates office{
    // 0     1     2     3     4     5     6     7     8     9     10    11
    {0.002, 0.001, 0.001, 0.001, 0.002, 0.005, 0.03, 0.18, 0.45, 0.20, 0.06, 0.05,
     // 12  13    14    15    16    17    18    19    20    21    22    23
     0.12, 0.28, 0.06, 0.04, 0.03, 0.02, 0.01, 0.01, 0.006, 0.004, 0.003, 0.002},
    {0.002, 0.001, 0.001, 0.001, 0.001, 0.002, 0.005, 0.01, 0.02, 0.03, 0.04,  0.10,
     0.30,  0.10,  0.04,  0.05,  0.12,  0.42,  0.22,  0.08, 0.03, 0.01, 0.006, 0.003},
    {0.0,  0.0,  0.0,  0.0,  0.0,  0.0,  0.005, 0.03, 0.10, 0.18, 0.22, 0.20,
     0.10, 0.12, 0.22, 0.22, 0.18, 0.08, 0.02,  0.01, 0.0,  0.0,  0.0,  0.0},
};

// Residential: residents leave 6:30-9 (down-peak), come back 16-20 (up-peak), some errands
// during the day and evening, little at night.
constexpr hourly_rates residential{
    {0.004, 0.002, 0.001, 0.001, 0.001, 0.002, 0.005, 0.02, 0.03, 0.04, 0.05, 0.06,
     0.07,  0.06,  0.06,  0.08,  0.14,  0.22,  0.24,  0.18, 0.10, 0.06, 0.03, 0.01},
    {0.002, 0.001, 0.001, 0.001, 0.002, 0.01, 0.08, 0.25, 0.22, 0.09, 0.07, 0.06,
     0.06,  0.05,  0.05,  0.05,  0.05,  0.05, 0.06, 0.06, 0.04, 0.02, 0.01, 0.005},
    {0.0,  0.0,  0.0,  0.0,  0.0,  0.0,  0.002, 0.005, 0.005, 0.008, 0.01,  0.01,
     0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.015, 0.015, 0.01,  0.005, 0.002, 0.0},
};

constexpr hourly_rates none{};

// Offices are nearly empty at weekends; residents travel a little more on Fridays and Saturdays.
constexpr std::array<double, 7> office_week{1.0, 1.0, 1.0, 1.0, 0.95, 0.12, 0.05};
constexpr std::array<double, 7> residential_week{1.0, 1.0, 1.0, 1.0, 1.05, 1.1, 0.95};
constexpr std::array<double, 7> flat_week{1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0};

// Day-of-week factor at simulated time t_ms.
double day_factor(const traffic_spec& spec, std::int64_t t_ms) {
  const std::int64_t day = (t_ms + std::int64_t{spec.start_time_of_day_s} * 1000) / 86'400'000;
  return day_factors(spec.profile)[static_cast<std::size_t>((day + spec.start_day) % 7)];
}

double sum_rates(const hourly_rates& r, std::size_t hour) {
  return r.incoming[hour] + r.outgoing[hour] + r.interfloor[hour];
}

}  // namespace

const hourly_rates& rates_for(traffic_profile profile) noexcept {
  switch (profile) {
    case traffic_profile::office:
      return office;
    case traffic_profile::residential:
      return residential;
    case traffic_profile::none:
      return none;
  }
  return none;
}

const std::array<double, 7>& day_factors(traffic_profile profile) noexcept {
  switch (profile) {
    case traffic_profile::office:
      return office_week;
    case traffic_profile::residential:
      return residential_week;
    case traffic_profile::none:
      return flat_week;
  }
  return flat_week;
}

double expected_journeys(const traffic_spec& spec, std::int64_t from_ms, std::int64_t to_ms) {
  const auto& r = rates_for(spec.profile);
  const double people = static_cast<double>(spec.population) * spec.intensity;
  double total = 0.0;
  const std::int64_t offset = std::int64_t{spec.start_time_of_day_s} * 1000;
  std::int64_t t = from_ms;
  while (t < to_ms) {
    const std::int64_t tod = (t + offset) % 86'400'000;
    const std::int64_t hour_end = t + (3'600'000 - tod % 3'600'000);
    const std::int64_t end = std::min(hour_end, to_ms);
    total += sum_rates(r, static_cast<std::size_t>(tod / 3'600'000)) * people *
             day_factor(spec, t) * static_cast<double>(end - t) / ms_per_hour;
    t = end;
  }
  return total;
}

traffic_generator::traffic_generator(const traffic_spec& spec, std::int16_t floors,
                                     std::uint64_t seed)
    : spec_(spec), floors_(floors), rng_(seed) {
  const auto& r = rates_for(spec.profile);
  double max_rate = 0.0;
  for (std::size_t h = 0; h < 24; ++h) max_rate = std::max(max_rate, sum_rates(r, h));
  const auto& week = day_factors(spec.profile);
  max_rate *= *std::max_element(week.begin(), week.end());
  max_rate_per_ms_ = max_rate * static_cast<double>(spec.population) * spec.intensity / ms_per_hour;
  if (floors_ < 2) max_rate_per_ms_ = 0.0;
  draw_next(0);
}

double traffic_generator::rate_per_ms(std::int64_t t_ms, journey_kind kind) const {
  const auto& r = rates_for(spec_.profile);
  const std::int64_t tod = (t_ms + std::int64_t{spec_.start_time_of_day_s} * 1000) % 86'400'000;
  const auto hour = static_cast<std::size_t>(tod / 3'600'000);
  double per_hour = 0.0;
  switch (kind) {
    case journey_kind::incoming:
      per_hour = r.incoming[hour];
      break;
    case journey_kind::outgoing:
      per_hour = r.outgoing[hour];
      break;
    case journey_kind::interfloor:
      per_hour = r.interfloor[hour];
      break;
  }
  return per_hour * static_cast<double>(spec_.population) * spec_.intensity *
         day_factor(spec_, t_ms) / ms_per_hour;
}

void traffic_generator::draw_next(std::int64_t after_ms) {
  next_.arrival_ms = never;
  if (max_rate_per_ms_ <= 0.0) return;
  // Thinning: candidates at the peak rate, each kept with probability rate(t)/peak.
  double t = static_cast<double>(after_ms);
  for (int guard = 0; guard < 1'000'000; ++guard) {
    t += rng_.exponential(1.0 / max_rate_per_ms_);
    if (t > 9.0e15) return;
    const auto t_ms = static_cast<std::int64_t>(std::ceil(t));
    const double in = rate_per_ms(t_ms, journey_kind::incoming);
    const double out = rate_per_ms(t_ms, journey_kind::outgoing);
    const double inter = floors_ > 2 ? rate_per_ms(t_ms, journey_kind::interfloor) : 0.0;
    const double u = rng_.uniform01() * max_rate_per_ms_;
    if (u >= in + out + inter) continue;
    passenger p;
    p.id = next_id_++;
    p.arrival_ms = t_ms;
    p.weight_kg = static_cast<std::uint16_t>(rng_.uniform_int(45, 110));
    const auto lobby = spec_.lobby_floor;
    // A uniformly drawn landing other than the lobby (and other than `not_this`).
    auto other_floor = [&](std::int16_t not_this) {
      std::int16_t f = lobby;
      while (f == lobby || f == not_this) {
        f = static_cast<std::int16_t>(rng_.uniform_int(0, floors_ - 1));
      }
      return f;
    };
    if (u < in) {
      p.kind = journey_kind::incoming;
      p.origin = lobby;
      p.destination = other_floor(lobby);
    } else if (u < in + out) {
      p.kind = journey_kind::outgoing;
      p.origin = other_floor(lobby);
      p.destination = lobby;
    } else {
      p.kind = journey_kind::interfloor;
      p.origin = other_floor(lobby);
      p.destination = other_floor(p.origin);
    }
    next_ = p;
    return;
  }
}

passenger traffic_generator::pop() {
  passenger p = next_;
  draw_next(p.arrival_ms);
  return p;
}

}  // namespace hoistway::sim
