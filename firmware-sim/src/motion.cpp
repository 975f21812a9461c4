// S-curve trip planning and evaluation.
#include "hoistway/sim/motion.hpp"

#include <algorithm>
#include <cmath>

namespace hoistway::sim {

namespace {

// Time for an S-curve speed change of `dv` (>= 0) with limits a, j.
double change_time(double dv, double a, double j) {
  if (dv <= 0.0) return 0.0;
  if (dv >= a * a / j) return dv / a + a / j;
  return 2.0 * std::sqrt(dv / j);
}

}  // namespace

double motion_profile::transition_time(double v1, double v2, const motion_limits& limits) {
  return change_time(std::abs(v2 - v1), limits.accel, limits.jerk);
}

double motion_profile::transition_distance(double v1, double v2, const motion_limits& limits) {
  // The S-curve is point-symmetric, so the mean speed is the mean of the end speeds.
  return 0.5 * (v1 + v2) * transition_time(v1, v2, limits);
}

// Appends segments in "distance space" (speeds >= 0), then maps them onto the hoistway.
class motion_profile::builder {
 public:
  builder(double start, int direction) : start_(start), dir_(direction) {}

  void change_speed(double v_to, const motion_limits& lim) {
    const double dv = std::abs(v_to - v_);
    if (dv <= 0.0) return;
    const double s = v_to > v_ ? 1.0 : -1.0;
    const double a = lim.accel;
    const double j = lim.jerk;
    if (dv >= a * a / j) {
      const double tj = a / j;
      push(tj, s * j);
      push(dv / a - tj, 0.0);
      push(tj, -s * j);
    } else {
      const double tj = std::sqrt(dv / j);
      push(tj, s * j);
      push(tj, -s * j);
    }
    v_ = v_to;  // remove rounding drift at the end of each change
    a_ = 0.0;
  }

  void cruise(double duration) { push(duration, 0.0); }
  void start_at_speed(double v) {
    v_ = v;
    peak_ = v;
  }

  void mark_cruise_begin() { cruise_begin_ = t_; }
  void mark_cruise_end() { cruise_end_ = t_; }

  motion_profile finish(double end_position) {
    motion_profile p;
    p.start_position_ = start_;
    p.end_position_ = end_position;
    p.direction_ = segments_.empty() ? 0 : dir_;
    p.duration_ = t_;
    p.peak_speed_ = peak_;
    const double d = static_cast<double>(dir_);
    for (auto seg : segments_) {
      seg.p0 = start_ + d * seg.p0;
      seg.v0 *= d;
      seg.a0 *= d;
      seg.jerk *= d;
      p.segments_.push_back(seg);
    }
    if (cruise_begin_ && cruise_end_ && *cruise_end_ > *cruise_begin_) {
      p.cruise_begin_ = cruise_begin_;
      p.cruise_end_ = cruise_end_;
    }
    return p;
  }

 private:
  void push(double duration, double jerk) {
    if (duration <= 0.0) return;
    segments_.push_back(segment{t_, duration, p_, v_, a_, jerk});
    const double t = duration;
    p_ += v_ * t + a_ * t * t / 2.0 + jerk * t * t * t / 6.0;
    v_ += a_ * t + jerk * t * t / 2.0;
    a_ += jerk * t;
    t_ += duration;
    peak_ = std::max(peak_, v_);
  }

  double start_;
  int dir_;
  double t_ = 0.0;
  double p_ = 0.0;
  double v_ = 0.0;
  double a_ = 0.0;
  double peak_ = 0.0;
  std::optional<double> cruise_begin_;
  std::optional<double> cruise_end_;
  std::vector<segment> segments_;
};

motion_profile motion_profile::at_rest(double position) {
  motion_profile p;
  p.start_position_ = position;
  p.end_position_ = position;
  return p;
}

namespace {

// Largest peak speed in [lo, hi] for which `distance(peak) <= target` (distance increasing).
template <typename F>
double solve_peak(double lo, double hi, double target, F distance) {
  for (int i = 0; i < 60; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (distance(mid) <= target) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return lo;
}

}  // namespace

motion_profile motion_profile::trip(double from, double to, const motion_limits& lim) {
  const double distance = std::abs(to - from);
  if (distance < 0.01) return at_rest(to);
  builder b(from, to > from ? 1 : -1);
  const double vmax = lim.speed;
  const double vl = std::min(lim.leveling_speed, vmax);
  double creep = lim.leveling_distance;
  auto d = [&](double v1, double v2) { return transition_distance(v1, v2, lim); };
  auto with_creep = [&](double vp) { return d(0, vp) + d(vp, vl) + creep + d(vl, 0); };

  if (creep > 0.0 && distance >= with_creep(vl)) {
    const bool full = distance >= with_creep(vmax);
    const double vp = full ? vmax : solve_peak(vl, vmax, distance, with_creep);
    const double cruise = full ? (distance - with_creep(vmax)) / vmax : 0.0;
    b.change_speed(vp, lim);
    b.mark_cruise_begin();
    b.cruise(cruise);
    b.mark_cruise_end();
    b.change_speed(vl, lim);
    // Absorb the bisection's residue in the creep so the stop is exact.
    const double rest = distance - d(0, vp) - vp * cruise - d(vp, vl) - d(vl, 0);
    b.cruise(std::max(0.0, rest) / vl);
    b.change_speed(0.0, lim);
  } else if (creep > 0.0 && distance >= d(0, vl) + d(vl, 0)) {
    creep = distance - d(0, vl) - d(vl, 0);
    b.change_speed(vl, lim);
    b.cruise(creep / vl);
    b.change_speed(0.0, lim);
  } else {
    auto no_creep = [&](double vp) { return d(0, vp) + d(vp, 0); };
    const bool full = distance >= no_creep(vmax);
    const double vp = full ? vmax : solve_peak(0.0, vmax, distance, no_creep);
    const double cruise = full ? (distance - no_creep(vmax)) / vmax : 0.0;
    b.change_speed(vp, lim);
    b.mark_cruise_begin();
    b.cruise(cruise);
    b.mark_cruise_end();
    b.change_speed(0.0, lim);
  }
  return b.finish(to);
}

motion_profile motion_profile::brake_stop(const motion_sample& state, double deceleration) {
  if (state.speed == 0.0) return at_rest(state.position);
  const int dir = state.speed > 0 ? 1 : -1;
  const double v = std::abs(state.speed);
  const double t = v / deceleration;
  motion_profile p;
  p.start_position_ = state.position;
  p.direction_ = dir;
  p.duration_ = t;
  p.peak_speed_ = v;
  p.segments_.push_back(segment{0.0, t, state.position, state.speed, -dir * deceleration, 0.0});
  p.end_position_ = state.position + dir * v * t / 2.0;
  return p;
}

motion_sample motion_profile::at(double t) const {
  if (segments_.empty() || t >= duration_) return motion_sample{end_position_, 0.0, 0.0};
  if (t <= 0.0) return motion_sample{start_position_, segments_.front().v0, segments_.front().a0};
  // Few segments (<= 8): a linear scan beats a binary search here.
  const segment* seg = &segments_.front();
  for (const auto& s : segments_) {
    if (s.t0 > t) break;
    seg = &s;
  }
  const double u = t - seg->t0;
  motion_sample out;
  out.position = seg->p0 + seg->v0 * u + seg->a0 * u * u / 2.0 + seg->jerk * u * u * u / 6.0;
  out.speed = seg->v0 + seg->a0 * u + seg->jerk * u * u / 2.0;
  out.accel = seg->a0 + seg->jerk * u;
  return out;
}

std::optional<double> motion_profile::time_at(double level) const {
  if (direction_ == 0) return std::nullopt;
  const double dir = static_cast<double>(direction_);
  if ((level - start_position_) * dir <= 0.0 || (end_position_ - level) * dir < 0.0) {
    return std::nullopt;
  }
  // Position is monotonic over the profile: bisect on time.
  double lo = 0.0;
  double hi = duration_;
  for (int i = 0; i < 50; ++i) {
    const double mid = 0.5 * (lo + hi);
    if ((at(mid).position - level) * dir < 0.0) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return hi;
}

std::optional<double> motion_profile::earliest_stop(double t, const motion_limits& lim) const {
  if (!cruise_begin_ || t < *cruise_begin_ || t >= *cruise_end_) return std::nullopt;
  const auto now = at(t);
  const double v = std::abs(now.speed);
  const double vl = std::min(lim.leveling_speed, v);
  const double need =
      transition_distance(v, vl, lim) + lim.leveling_distance + transition_distance(vl, 0.0, lim);
  return now.position + static_cast<double>(direction_) * need;
}

std::optional<motion_profile> motion_profile::stop_earlier(double t, double to,
                                                           const motion_limits& lim) const {
  const auto earliest = earliest_stop(t, lim);
  if (!earliest) return std::nullopt;
  const double dir = static_cast<double>(direction_);
  if ((to - *earliest) * dir < 0.0 || (end_position_ - to) * dir < 0.0) return std::nullopt;
  const auto now = at(t);
  const double v = std::abs(now.speed);
  const double vl = std::min(lim.leveling_speed, v);
  const double remaining = std::abs(to - now.position);
  const double need = transition_distance(v, vl, lim) + transition_distance(vl, 0.0, lim);
  builder b(now.position, direction_);
  b.start_at_speed(v);  // the car is cruising: start the new profile at its speed
  b.mark_cruise_begin();
  const double cruise_distance = std::max(0.0, remaining - need - lim.leveling_distance);
  b.cruise(cruise_distance / v);
  b.mark_cruise_end();
  b.change_speed(vl, lim);
  const double rest = remaining - cruise_distance - need;
  b.cruise(std::max(0.0, rest) / vl);
  b.change_speed(0.0, lim);
  return b.finish(to);
}

}  // namespace hoistway::sim
