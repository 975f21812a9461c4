// Tests of the stored-ack coalescing (ingest/ack_coalescer.hpp): under load a device is acked at
// most once per interval with the highest stored_through; when the writer is idle every pending
// ack goes; an ack carries the frames it answers.
#include "hoistway/cloud/ingest/ack_coalescer.hpp"

#include <doctest/doctest.h>

#include <chrono>

namespace {

namespace hc = hoistway::cloud;
using std::chrono::milliseconds;

TEST_CASE("ack_coalescer: the first commit of a device is due at once") {
  hc::ack_coalescer acks(milliseconds(100));
  acks.committed("d1", 5);
  acks.answered("d1", 1'000);
  const auto due = acks.take(0, false);
  REQUIRE(due.size() == 1);
  CHECK(due[0].device_id == "d1");
  CHECK(due[0].stored_through == 5);
  CHECK(due[0].frames == 1);
  CHECK(due[0].arrived_sum_us == 1'000);
  CHECK(acks.pending() == 0);
}

TEST_CASE("ack_coalescer: under load, one ack per interval carries every commit since the last") {
  hc::ack_coalescer acks(milliseconds(100));
  acks.committed("d1", 1);
  REQUIRE(acks.take(0, false).size() == 1);
  // 50 commits within the interval: none goes out until 100 ms have passed.
  for (std::uint64_t seq = 2; seq <= 51; ++seq) {
    acks.committed("d1", seq);
    acks.answered("d1", static_cast<std::int64_t>(seq));
    CHECK(acks.take(static_cast<std::int64_t>(seq), false).empty());
  }
  CHECK(acks.take(99, false).empty());
  const auto due = acks.take(100, false);
  REQUIRE(due.size() == 1);
  CHECK(due[0].stored_through == 51);
  CHECK(due[0].frames == 50);
  CHECK(acks.take(150, false).empty());  // nothing pending
}

TEST_CASE("ack_coalescer: an idle writer publishes every pending ack at once") {
  hc::ack_coalescer acks(milliseconds(100));
  acks.committed("d1", 1);
  acks.committed("d2", 7);
  REQUIRE(acks.take(0, false).size() == 2);
  acks.committed("d1", 3);
  acks.committed("d2", 9);
  CHECK(acks.take(10, false).empty());
  const auto due = acks.take(10, true);
  REQUIRE(due.size() == 2);
  CHECK(due[0].stored_through == 3);
  CHECK(due[1].stored_through == 9);
}

TEST_CASE("ack_coalescer: devices wait on their own intervals") {
  hc::ack_coalescer acks(milliseconds(100));
  acks.committed("d1", 1);
  REQUIRE(acks.take(0, false).size() == 1);
  acks.committed("d1", 2);
  acks.committed("d2", 1);  // never acked: due now
  const auto due = acks.take(50, false);
  REQUIRE(due.size() == 1);
  CHECK(due[0].device_id == "d2");
  CHECK(acks.pending() == 1);
}

TEST_CASE("ack_coalescer: a pending ack never goes back") {
  hc::ack_coalescer acks(milliseconds(100));
  acks.committed("d1", 10);
  acks.committed("d1", 4);  // a smaller answer from a later commit (never expected; kept safe)
  const auto due = acks.take(0, true);
  REQUIRE(due.size() == 1);
  CHECK(due[0].stored_through == 10);
}

TEST_CASE("ack_coalescer: a zero interval acks after every commit") {
  hc::ack_coalescer acks(milliseconds(0));
  for (std::uint64_t seq = 1; seq <= 3; ++seq) {
    acks.committed("d1", seq);
    const auto due = acks.take(0, false);
    REQUIRE(due.size() == 1);
    CHECK(due[0].stored_through == seq);
  }
}

}  // namespace
