// Tests of seq_coverage (coverage.hpp): which of a device's sequence numbers the cloud holds.
// The stored-ack is stored_through, so it must never run ahead of what is held and never go back.
#include "hoistway/cloud/store/coverage.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <vector>

namespace {

using hoistway::cloud::seq_coverage;

// The model: a floor (everything at or below is held or lost) and a set of held seqs above it.
class coverage_model {
 public:
  void apply_floor(std::uint64_t floor) {
    if (floor > 0 && floor - 1 > base_) base_ = floor - 1;
  }
  void add(std::uint64_t first, std::uint64_t last) {
    if (first == 0 || last < first) return;
    for (std::uint64_t s = first; s <= last; ++s) held_.insert(s);
  }
  bool covers(std::uint64_t seq) const { return seq <= base_ || held_.contains(seq); }
  std::uint64_t stored_through() const {
    std::uint64_t through = base_;
    while (held_.contains(through + 1)) ++through;
    return through;
  }
  // Maximal runs of held seqs that start above stored_through + 1.
  std::size_t pending_runs() const {
    const auto through = stored_through();
    std::size_t runs = 0;
    std::uint64_t previous = 0;
    bool have_previous = false;
    for (const auto s : held_) {
      if (s <= through) continue;
      if (!have_previous || s != previous + 1) ++runs;
      previous = s;
      have_previous = true;
    }
    return runs;
  }

 private:
  std::uint64_t base_ = 0;
  std::set<std::uint64_t> held_;
};

}  // namespace

TEST_CASE("coverage: a fresh coverage holds nothing above its start") {
  seq_coverage empty;
  CHECK(empty.stored_through() == 0);
  CHECK_FALSE(empty.covers(1));
  CHECK(empty.pending_intervals() == 0);

  seq_coverage resumed(41);
  CHECK(resumed.stored_through() == 41);
  CHECK(resumed.covers(1));
  CHECK(resumed.covers(41));
  CHECK_FALSE(resumed.covers(42));
}

TEST_CASE("coverage: in-order adds move stored_through and leave nothing pending") {
  seq_coverage c;
  c.add(1, 1);
  CHECK(c.stored_through() == 1);
  c.add(2, 5);
  CHECK(c.stored_through() == 5);
  c.add(6, 6);
  CHECK(c.stored_through() == 6);
  CHECK(c.pending_intervals() == 0);
  CHECK(c.covers(6));
  CHECK_FALSE(c.covers(7));
}

TEST_CASE("coverage: an empty or reversed interval changes nothing") {
  seq_coverage c(3);
  c.add(9, 8);
  CHECK(c.stored_through() == 3);
  CHECK(c.pending_intervals() == 0);
  CHECK_FALSE(c.covers(8));
  CHECK_FALSE(c.covers(9));
}

TEST_CASE("coverage: an interval above a gap waits, and the gap closing absorbs it") {
  seq_coverage c;
  c.add(5, 7);
  CHECK(c.stored_through() == 0);
  CHECK(c.pending_intervals() == 1);
  CHECK_FALSE(c.covers(4));
  CHECK(c.covers(5));
  CHECK(c.covers(6));
  CHECK(c.covers(7));
  CHECK_FALSE(c.covers(8));

  c.add(10, 12);
  CHECK(c.pending_intervals() == 2);
  CHECK_FALSE(c.covers(9));
  CHECK(c.highest() == 12);
  CHECK(c.missing() == hoistway::cloud::seq_ranges{{1, 4}, {8, 9}});

  SUBCASE("touching intervals merge") {
    c.add(8, 9);  // touches [5,7] below and [10,12] above
    CHECK(c.pending_intervals() == 1);
    CHECK(c.stored_through() == 0);
    for (std::uint64_t s = 5; s <= 12; ++s) CHECK(c.covers(s));
    c.add(1, 4);  // touches [5,12]
    CHECK(c.stored_through() == 12);
    CHECK(c.pending_intervals() == 0);
    CHECK(c.highest() == 12);
    CHECK(c.missing().empty());
  }
  SUBCASE("the gap at the bottom closing absorbs only what touches") {
    c.add(1, 4);
    CHECK(c.stored_through() == 7);
    CHECK(c.pending_intervals() == 1);
    CHECK(c.missing() == hoistway::cloud::seq_ranges{{8, 9}});
    CHECK_FALSE(c.covers(8));
    CHECK(c.covers(10));
  }
}

TEST_CASE("coverage: overlapping and nested intervals merge into one") {
  seq_coverage c;
  c.add(10, 20);
  c.add(15, 25);  // overlaps the end
  CHECK(c.pending_intervals() == 1);
  c.add(5, 12);  // overlaps the start
  CHECK(c.pending_intervals() == 1);
  c.add(12, 14);  // nested
  CHECK(c.pending_intervals() == 1);
  for (std::uint64_t s = 5; s <= 25; ++s) CHECK(c.covers(s));
  CHECK_FALSE(c.covers(4));
  CHECK_FALSE(c.covers(26));

  c.add(30, 31);
  c.add(33, 34);
  c.add(36, 37);
  CHECK(c.pending_intervals() == 4);
  c.add(3, 40);  // encloses all of them
  CHECK(c.pending_intervals() == 1);
  CHECK_FALSE(c.covers(2));
  CHECK(c.covers(3));
  CHECK(c.covers(40));
  CHECK_FALSE(c.covers(41));

  c.add(1, 2);
  CHECK(c.stored_through() == 40);
  CHECK(c.pending_intervals() == 0);
}

TEST_CASE("coverage: one add spanning several intervals merges them all") {
  seq_coverage c;
  c.add(5, 6);
  c.add(8, 9);
  c.add(11, 12);
  c.add(20, 21);
  CHECK(c.pending_intervals() == 4);
  c.add(6, 11);
  CHECK(c.pending_intervals() == 2);
  for (std::uint64_t s = 5; s <= 12; ++s) CHECK(c.covers(s));
  CHECK_FALSE(c.covers(13));
  CHECK(c.covers(20));
}

TEST_CASE("coverage: an interval reaching below stored_through extends it") {
  seq_coverage c(10);
  c.add(5, 15);
  CHECK(c.stored_through() == 15);
  CHECK(c.pending_intervals() == 0);
  c.add(3, 9);  // entirely held already
  CHECK(c.stored_through() == 15);
  CHECK(c.pending_intervals() == 0);
}

TEST_CASE("coverage: apply_floor jumps over what the agent no longer holds") {
  seq_coverage c;
  c.add(20, 25);
  c.add(30, 35);

  c.apply_floor(10);  // 1..9 lost and reported
  CHECK(c.stored_through() == 9);
  CHECK(c.pending_intervals() == 2);

  c.apply_floor(5);  // a lower floor changes nothing
  CHECK(c.stored_through() == 9);
  c.apply_floor(0);
  CHECK(c.stored_through() == 9);

  c.apply_floor(20);  // floor meets [20,25]: absorbed
  CHECK(c.stored_through() == 25);
  CHECK(c.pending_intervals() == 1);

  c.apply_floor(40);  // jumps over [30,35]
  CHECK(c.stored_through() == 39);
  CHECK(c.pending_intervals() == 0);
  CHECK(c.covers(33));
  CHECK_FALSE(c.covers(40));

  c.add(41, 45);
  c.apply_floor(41);  // 40 lost: 41..45 held
  CHECK(c.stored_through() == 45);
  CHECK(c.pending_intervals() == 0);
}

TEST_CASE("coverage: apply_floor(1) on a fresh coverage holds nothing new") {
  seq_coverage c;
  c.apply_floor(1);
  CHECK(c.stored_through() == 0);
  CHECK_FALSE(c.covers(1));
}

TEST_CASE("coverage: stored_through never decreases") {
  seq_coverage c;
  c.add(1, 50);
  c.apply_floor(10);
  CHECK(c.stored_through() == 50);
  c.add(1, 5);
  CHECK(c.stored_through() == 50);
  c.add(60, 70);
  c.apply_floor(55);
  CHECK(c.stored_through() == 54);
  c.add(40, 55);
  CHECK(c.stored_through() == 55);
}

// An interval that ends at the largest seq must still merge with its neighbours: the merge
// tests `prev->second + 1 >= first` and `it->first <= last + 1` wrap around at UINT64_MAX.
// Regression (fixed)
TEST_CASE("coverage: an interval ending at UINT64_MAX merges with its neighbours") {
  constexpr auto top = std::numeric_limits<std::uint64_t>::max();
  SUBCASE("the top interval first") {
    seq_coverage c;
    c.add(10, top);
    c.add(20, 30);
    CHECK(c.pending_intervals() == 1);
    CHECK(c.covers(40));
  }
  SUBCASE("the top interval last") {
    seq_coverage c;
    c.add(20, 30);
    c.add(10, top);
    CHECK(c.pending_intervals() == 1);
    CHECK(c.covers(40));
  }
}

TEST_CASE("coverage: random adds and floors agree with a set model (seeded)") {
  constexpr std::uint64_t max_seq = 160;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    seq_coverage c;
    coverage_model model;
    std::uint64_t last_through = 0;
    for (int op = 0; op < 120; ++op) {
      CAPTURE(op);
      const auto kind = rng() % 10;
      if (kind == 0) {
        const auto floor = rng() % (max_seq + 2);
        c.apply_floor(floor);
        model.apply_floor(floor);
      } else {
        const auto first = 1 + rng() % max_seq;
        const auto len = rng() % 6;
        const auto last = std::min<std::uint64_t>(max_seq, first + len);
        c.add(first, last);
        model.add(first, last);
      }
      REQUIRE(c.stored_through() == model.stored_through());
      REQUIRE(c.stored_through() >= last_through);
      last_through = c.stored_through();
      REQUIRE(c.pending_intervals() == model.pending_runs());
      for (std::uint64_t s = 0; s <= max_seq + 2; ++s) {
        CAPTURE(s);
        REQUIRE(c.covers(s) == model.covers(s));
      }
    }
  }
}

TEST_CASE("coverage: the intervals round-trip through their text, as the store keeps them") {
  seq_coverage c(4);
  c.add(7, 9);
  c.add(20, 20);
  c.add(12, 15);
  CHECK(c.intervals_text() == "7-9,12-15,20-20");
  const auto back = seq_coverage::from_text(c.stored_through(), c.intervals_text());
  REQUIRE(back.has_value());
  CHECK(*back == c);
  for (std::uint64_t s = 0; s < 25; ++s) CHECK(back->covers(s) == c.covers(s));
  CHECK(seq_coverage::from_text(41, "")->stored_through() == 41);
  CHECK(seq_coverage(41).intervals_text().empty());
}

TEST_CASE("coverage: malformed interval text is refused, never half read") {
  for (const char* bad :
       {"7", "7-", "-9", "9-7", "7-9,", ",7-9", "7-9,8-12", "7-9,10-12", "3-5", "5-6", "7-9;12-15",
        "7 -9", "a-b", "7-9,12-15x", "99999999999999999999-1"}) {
    CAPTURE(bad);
    CHECK_FALSE(seq_coverage::from_text(4, bad).has_value());
  }
  CHECK(seq_coverage::from_text(4, "6-6").has_value());  // 5 missing: a gap, fine
}
