// Sequence coverage per device.
#include "hoistway/cloud/coverage.hpp"

#include <algorithm>
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

}  // namespace hoistway::cloud
