// The controller's own trips and door cycles from the model's events, and sequence alignment
// of a record against them (see ground_truth.hpp).
#include "hoistway/sim/ground_truth.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>

namespace hoistway::sim {

namespace {

constexpr std::size_t max_problems = 20;

void note(comparison& c, std::string text) {
  if (c.problems.size() < max_problems) c.problems.push_back(std::move(text));
}

template <typename T>
void sort_by_car_and_time(std::vector<T>& v, auto key) {
  std::stable_sort(v.begin(), v.end(), [&](const T& a, const T& b) {
    return a.car != b.car ? a.car < b.car : key(a) < key(b);
  });
}

}  // namespace

truth_recorder::truth_recorder(const group_model& model, std::int32_t landing_window_mm)
    : model_(model), window_mm_(landing_window_mm), cars_(model.car_count()) {
  for (std::size_t i = 0; i < cars_.size(); ++i) {
    const auto s = model.car_state(i);
    cars_[i].last_position = s.position_mm;
    cars_[i].door = s.door;
  }
}

std::optional<std::int16_t> truth_recorder::landing_at(std::int32_t position_mm) const {
  const auto& landings = model_.building().landings;
  std::optional<std::int16_t> best;
  std::int64_t best_error = 0;
  for (std::size_t f = 0; f < landings.size(); ++f) {
    const auto error = std::llabs(std::int64_t{position_mm} - landings[f].level_mm);
    if (error <= window_mm_ && (!best || error < best_error)) {
      best = static_cast<std::int16_t>(f);
      best_error = error;
    }
  }
  return best;
}

void truth_recorder::on_event(const sim_event& e) {
  if (e.car < 0 || static_cast<std::size_t>(e.car) >= cars_.size()) return;
  auto& c = cars_[static_cast<std::size_t>(e.car)];
  const auto s = model_.car_state(static_cast<std::size_t>(e.car));
  if (c.journey) {
    c.distance_mm += static_cast<std::uint64_t>(
        std::llabs(std::int64_t{s.position_mm} - std::int64_t{c.last_position}));
  }
  c.last_position = s.position_mm;
  // A journey ends when the car rests at a landing: at a trip's end, or, after a brake stop or
  // an inspection move (which end without an event of their own), when the car next opens its
  // doors or starts a run there.
  const auto finish = [&](std::int16_t to, std::int64_t end_ms) {
    c.journey = false;
    if (c.from && *c.from != to) {
      trips_.push_back(true_trip{s.car, *c.from, to, c.start_ms, end_ms, c.distance_mm});
    } else if (c.from) {
      ++returns_;
    }
  };
  const auto rested_at_landing = [&] {
    if (!c.journey) return;
    if (const auto at = landing_at(s.position_mm)) finish(*at, c.stopped_ms.value_or(e.t_ms));
  };
  switch (e.kind) {
    case event_kind::trip_started:
    case event_kind::inspection_move:
      rested_at_landing();
      c.stopped_ms.reset();
      if (!c.journey) {
        c.journey = true;
        c.from = landing_at(s.position_mm);
        c.start_ms = e.t_ms;
        c.distance_mm = 0;
      }
      break;
    case event_kind::emergency_stop: {
      // Constant deceleration: the stop takes twice the distance over the speed.
      const auto speed = std::abs(s.speed_mm_s);
      c.stopped_ms = e.t_ms + (speed > 0 ? 2'000LL * e.value / speed : 0);
      break;
    }
    case event_kind::trip_ended:
      if (const auto to = landing_at(s.position_mm); to && c.journey) finish(*to, e.t_ms);
      break;
    case event_kind::door_opening:
      rested_at_landing();
      if (c.door == common::door_state::closed) c.opened_ms = e.t_ms;
      c.door = s.door;
      break;
    case event_kind::door_closed:
      if (c.door != common::door_state::closed) {
        door_cycles_.push_back(true_door_cycle{s.car, landing_at(s.position_mm).value_or(s.floor),
                                               c.opened_ms, e.t_ms});
      }
      c.door = s.door;
      break;
    case event_kind::door_opened:
    case event_kind::door_closing:
    case event_kind::door_reopened:
      c.door = s.door;
      break;
    default:
      break;
  }
}

comparison& comparison::operator+=(const comparison& o) {
  truth += o.truth;
  seen += o.seen;
  matched += o.matched;
  lost += o.lost;
  invented += o.invented;
  misplaced += o.misplaced;
  max_start_error_ms = std::max(max_start_error_ms, o.max_start_error_ms);
  max_duration_error_ms = std::max(max_duration_error_ms, o.max_duration_error_ms);
  max_distance_error_mm = std::max(max_distance_error_mm, o.max_distance_error_mm);
  true_distance_mm += o.true_distance_mm;
  seen_distance_mm += o.seen_distance_mm;
  for (auto& p : o.problems) {
    if (problems.size() < max_problems) problems.push_back(p);
  }
  return *this;
}

comparison compare_trips(std::vector<true_trip> truth, std::vector<seen_trip> seen,
                         std::int64_t slack_ms, std::int64_t horizon_ms) {
  sort_by_car_and_time(truth, [](const true_trip& t) { return t.start_ms; });
  sort_by_car_and_time(seen, [](const seen_trip& t) { return t.start_ms; });
  comparison c;
  c.truth = truth.size();
  c.seen = seen.size();
  for (const auto& t : truth) c.true_distance_mm += t.distance_mm;
  for (const auto& s : seen) c.seen_distance_mm += s.distance_mm;
  std::size_t i = 0;
  std::size_t j = 0;
  auto lost = [&](const true_trip& t) {
    if (t.end_ms > horizon_ms) return;
    ++c.lost;
    note(c,
         fmt::format("lost: car {} {}->{} at {} ms", t.car, t.from_floor, t.to_floor, t.start_ms));
  };
  auto invented = [&](const seen_trip& s) {
    if (s.end_ms > horizon_ms) return;
    ++c.invented;
    note(c, fmt::format("invented: car {} {}->{} at {} ms", s.car, s.from_floor, s.to_floor,
                        s.start_ms));
  };
  while (i < truth.size() && j < seen.size()) {
    const auto& t = truth[i];
    const auto& s = seen[j];
    if (s.car < t.car) {
      invented(s);
      ++j;
    } else if (t.car < s.car) {
      lost(t);
      ++i;
    } else if (s.start_ms <= t.end_ms + slack_ms && t.start_ms <= s.end_ms + slack_ms) {
      if (s.from_floor == t.from_floor && s.to_floor == t.to_floor) {
        ++c.matched;
        c.max_start_error_ms = std::max(c.max_start_error_ms, std::abs(s.start_ms - t.start_ms));
        c.max_duration_error_ms = std::max(
            c.max_duration_error_ms, std::abs((s.end_ms - s.start_ms) - (t.end_ms - t.start_ms)));
        c.max_distance_error_mm = std::max<std::int64_t>(
            c.max_distance_error_mm, std::llabs(static_cast<std::int64_t>(s.distance_mm) -
                                                static_cast<std::int64_t>(t.distance_mm)));
      } else {
        ++c.misplaced;
        note(c, fmt::format("misplaced: car {} {}->{} at {} ms recorded as {}->{}", t.car,
                            t.from_floor, t.to_floor, t.start_ms, s.from_floor, s.to_floor));
      }
      ++i;
      ++j;
    } else if (s.end_ms + slack_ms < t.start_ms) {
      invented(s);
      ++j;
    } else {
      lost(t);
      ++i;
    }
  }
  for (; i < truth.size(); ++i) lost(truth[i]);
  for (; j < seen.size(); ++j) invented(seen[j]);
  return c;
}

comparison compare_door_cycles(std::vector<true_door_cycle> truth,
                               std::vector<seen_door_cycle> seen, std::int64_t slack_ms,
                               std::int64_t horizon_ms) {
  sort_by_car_and_time(truth, [](const true_door_cycle& t) { return t.closed_ms; });
  sort_by_car_and_time(seen, [](const seen_door_cycle& t) { return t.closed_ms; });
  comparison c;
  c.truth = truth.size();
  c.seen = seen.size();
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < truth.size() && j < seen.size()) {
    const auto& t = truth[i];
    const auto& s = seen[j];
    const bool same_car = s.car == t.car;
    if (same_car && s.closed_ms >= t.closed_ms - slack_ms &&
        s.closed_ms <= t.closed_ms + slack_ms) {
      if (s.floor == t.floor) {
        ++c.matched;
      } else {
        ++c.misplaced;
        note(c, fmt::format("door cycle misplaced: car {} at floor {} ({} ms) recorded at {}",
                            t.car, t.floor, t.closed_ms, s.floor));
      }
      ++i;
      ++j;
    } else if (s.car < t.car || (same_car && s.closed_ms < t.closed_ms)) {
      if (s.closed_ms <= horizon_ms) ++c.invented;
      if (s.closed_ms <= horizon_ms)
        note(c, fmt::format("door cycle invented: car {} floor {} at {} ms", s.car, s.floor,
                            s.closed_ms));
      ++j;
    } else if (t.closed_ms > horizon_ms) {
      ++i;
    } else {
      ++c.lost;
      note(c, fmt::format("door cycle lost: car {} floor {} closed at {} ms", t.car, t.floor,
                          t.closed_ms));
      ++i;
    }
  }
  for (; i < truth.size(); ++i) c.lost += truth[i].closed_ms <= horizon_ms ? 1U : 0U;
  for (; j < seen.size(); ++j) c.invented += seen[j].closed_ms <= horizon_ms ? 1U : 0U;
  return c;
}

}  // namespace hoistway::sim
