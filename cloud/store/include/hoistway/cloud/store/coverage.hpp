// Which of a device's sequence numbers the cloud holds: everything up to stored_through, plus
// intervals above it that arrived out of order. The stored-ack is stored_through.
// Thread-safety: a plain value, owned by the ingest writer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hoistway::cloud {

// Closed seq intervals, ordered and disjoint, as text: "first-last" joined by commas ("" for
// none). parse_seq_ranges refuses anything else (unordered, overlapping or touching intervals,
// stray characters) with nullopt.
using seq_ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
std::string format_seq_ranges(const seq_ranges& ranges);
std::optional<seq_ranges> parse_seq_ranges(std::string_view text);

class seq_coverage {
 public:
  explicit seq_coverage(std::uint64_t stored_through = 0) : stored_through_(stored_through) {}

  // The agent holds nothing below `floor`: what it did not deliver is lost and reported.
  void apply_floor(std::uint64_t floor);
  // Every seq in [first, last] is stored or was reported dropped.
  void add(std::uint64_t first, std::uint64_t last);
  bool covers(std::uint64_t seq) const;

  std::uint64_t stored_through() const { return stored_through_; }
  std::size_t pending_intervals() const { return above_.size(); }
  // The highest seq covered: stored_through when nothing waits above it.
  std::uint64_t highest() const {
    return above_.empty() ? stored_through_ : above_.rbegin()->second;
  }
  // The gaps below highest(): the seqs the device has still to deliver, oldest first.
  seq_ranges missing() const;

  // The intervals above stored_through as text, "first-last" joined by commas ("" when none):
  // how the store keeps them (devices.coverage), so a restart dedupes exactly as before it.
  std::string intervals_text() const;
  // The coverage stored_through + intervals_text() describe; nullopt if the text is malformed
  // (the intervals must be ordered, disjoint, non-touching and above stored_through + 1).
  static std::optional<seq_coverage> from_text(std::uint64_t stored_through,
                                               std::string_view intervals);

  friend bool operator==(const seq_coverage&, const seq_coverage&) = default;

 private:
  void absorb();
  std::uint64_t stored_through_;
  std::map<std::uint64_t, std::uint64_t> above_;  // first → last, disjoint, all > stored_through+1
};

}  // namespace hoistway::cloud
