// Sequence coverage per device.
#include "hoistway/cloud/store/coverage.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>

namespace hoistway::cloud {

void seq_coverage::apply_floor(std::uint64_t floor) {
  if (floor > 0 && floor - 1 > stored_through_) {
    stored_through_ = floor - 1;
    absorb();
  }
}

void seq_coverage::add(std::uint64_t first, std::uint64_t last) {
  if (first == 0 || last < first || last <= stored_through_) return;
  first = std::max(first, stored_through_ + 1);
  // Merge with every interval that overlaps or touches [first, last].
  auto it = above_.upper_bound(first);
  if (it != above_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= first - 1) {  // touches or overlaps (first >= 1: no underflow)
      first = prev->first;
      last = std::max(last, prev->second);
      it = above_.erase(prev);
    }
  }
  while (it != above_.end() && it->first - 1 <= last) {  // it->first > stored_through_ + 1 >= 1
    last = std::max(last, it->second);
    it = above_.erase(it);
  }
  above_.emplace(first, last);
  absorb();
}

bool seq_coverage::covers(std::uint64_t seq) const {
  if (seq <= stored_through_) return true;
  auto it = above_.upper_bound(seq);
  if (it == above_.begin()) return false;
  --it;
  return seq >= it->first && seq <= it->second;
}

void seq_coverage::absorb() {
  while (!above_.empty()) {
    auto first = above_.begin();
    if (first->first - 1 > stored_through_) break;  // a gap remains (no overflow at UINT64_MAX)
    stored_through_ = std::max(stored_through_, first->second);
    above_.erase(first);
  }
}

seq_ranges seq_coverage::missing() const {
  seq_ranges out;
  auto below = stored_through_;
  for (const auto& [first, last] : above_) {
    out.emplace_back(below + 1, first - 1);  // first > below + 1: the gap is not empty
    below = last;
  }
  return out;
}

std::string format_seq_ranges(const seq_ranges& ranges) {
  std::string out;
  for (const auto& [first, last] : ranges) {
    if (!out.empty()) out += ',';
    out += std::to_string(first);
    out += '-';
    out += std::to_string(last);
  }
  return out;
}

std::optional<seq_ranges> parse_seq_ranges(std::string_view text) {
  seq_ranges out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (comma != std::string_view::npos && text.empty()) return std::nullopt;  // "1-2,"
    const auto dash = item.find('-');
    if (dash == std::string_view::npos || dash == 0) return std::nullopt;
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    const auto* end = item.data() + item.size();
    auto [p1, e1] = std::from_chars(item.data(), item.data() + dash, first);
    auto [p2, e2] = std::from_chars(item.data() + dash + 1, end, last);
    if (e1 != std::errc{} || p1 != item.data() + dash || e2 != std::errc{} || p2 != end ||
        last < first || (!out.empty() && first <= out.back().second + 1)) {
      return std::nullopt;
    }
    out.emplace_back(first, last);
  }
  return out;
}

std::string seq_coverage::intervals_text() const {
  return format_seq_ranges(seq_ranges(above_.begin(), above_.end()));
}

std::optional<seq_coverage> seq_coverage::from_text(std::uint64_t stored_through,
                                                    std::string_view intervals) {
  auto ranges = parse_seq_ranges(intervals);
  // Everything must lie above stored_through + 1 (or it would have been absorbed).
  if (!ranges || (!ranges->empty() && ranges->front().first <= stored_through + 1)) {
    return std::nullopt;
  }
  seq_coverage c(stored_through);
  c.above_.insert(ranges->begin(), ranges->end());
  return c;
}

}  // namespace hoistway::cloud
