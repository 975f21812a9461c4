// Parsing and printing of durations and times of day.
#include "hoistway/sim/time_text.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace hoistway::sim {

using common::errc;

namespace {

bool parse_uint(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size() && out >= 0;
}

}  // namespace

common::result<std::int64_t> parse_duration_ms(std::string_view text) {
  auto bad = [&] {
    return common::fail(errc::invalid_argument,
                        fmt::format("'{}' is not a duration (e.g. 90, 90s, 250ms, 15m, 2h, 3d, "
                                    "1h30m, 01:30:00)",
                                    text));
  };
  if (text.empty()) return bad();
  if (text.find(':') != std::string_view::npos) {
    std::int64_t parts[3] = {0, 0, 0};
    int n = 0;
    std::size_t start = 0;
    while (true) {
      const auto colon = text.find(':', start);
      const auto piece =
          text.substr(start, colon == std::string_view::npos ? colon : colon - start);
      if (n == 3 || !parse_uint(piece, parts[n])) return bad();
      ++n;
      if (colon == std::string_view::npos) break;
      start = colon + 1;
    }
    if (n < 2) return bad();
    std::int64_t seconds = 0;
    if (n == 2) {
      if (parts[1] > 59) return bad();
      seconds = parts[0] * 3600 + parts[1] * 60;
    } else {
      if (parts[1] > 59 || parts[2] > 59) return bad();
      seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
    }
    return seconds * 1000;
  }
  std::int64_t total = 0;
  std::size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j])) != 0) ++j;
    std::int64_t number = 0;
    if (!parse_uint(text.substr(i, j - i), number)) return bad();
    std::size_t k = j;
    while (k < text.size() && std::isalpha(static_cast<unsigned char>(text[k])) != 0) ++k;
    const auto unit = text.substr(j, k - j);
    std::int64_t scale = 0;
    if (unit.empty() || unit == "s") {
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "m" || unit == "min") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else if (unit == "d") {
      scale = 86'400'000;
    } else {
      return bad();
    }
    if (unit.empty() && (any || k != text.size())) return bad();
    if (number > (std::int64_t{1} << 42)) return bad();
    total += number * scale;
    any = true;
    i = k;
  }
  return total;
}

common::result<std::int32_t> parse_time_of_day_s(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    return common::fail(errc::invalid_argument,
                        fmt::format("'{}' is not a time of day (HH:MM or HH:MM:SS)", text));
  }
  auto ms = parse_duration_ms(text);
  if (!ms || *ms >= 86'400'000) {
    return common::fail(errc::invalid_argument,
                        fmt::format("'{}' is not a time of day (HH:MM or HH:MM:SS)", text));
  }
  return static_cast<std::int32_t>(*ms / 1000);
}

std::string format_sim_time(std::int64_t t_ms) {
  const std::int64_t days = t_ms / 86'400'000;
  const std::int64_t rest = t_ms % 86'400'000;
  return fmt::format("{}+{:02}:{:02}:{:02}.{:03}", days, rest / 3'600'000, rest / 60'000 % 60,
                     rest / 1000 % 60, rest % 1000);
}

}  // namespace hoistway::sim
