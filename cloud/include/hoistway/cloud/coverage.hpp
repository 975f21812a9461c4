// Which of a device's sequence numbers the cloud holds: everything up to stored_through, plus
// intervals above it that arrived out of order. The stored-ack is stored_through.
// Thread-safety: a plain value, owned by the ingest writer.
#pragma once

#include <cstdint>
#include <map>

namespace hoistway::cloud {

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

 private:
  void absorb();
  std::uint64_t stored_through_;
  std::map<std::uint64_t, std::uint64_t> above_;  // first → last, disjoint, all > stored_through+1
};

}  // namespace hoistway::cloud
