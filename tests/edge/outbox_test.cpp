// Tests of the durable outbox (outbox.hpp) on real SQLite files in a temporary directory.
#include "hoistway/edge/outbox.hpp"

#include <doctest/doctest.h>

#include "edge_string_makers.hpp"
#include "temp_dir.hpp"

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace {

namespace hc = hoistway::common;
namespace fs = std::filesystem;
using hoistway::edge::outbox;

using temp_dir = hoistway::testing::temp_dir;

hc::record sample(std::int64_t t) {
  hc::run_state s;
  s.floor = 1;
  s.door = hc::door_state::closed;
  s.mode = hc::car_mode::normal;
  return {0, 0, 1'700'000'000'000 + t, t, 1, s};
}

hc::record event(std::int64_t t) {
  return {0, 1, 1'700'000'000'000 + t, t, 1, hc::fault_event{301, hc::severity::critical, true}};
}

outbox open_box(const temp_dir& dir, std::uint64_t cap = 1000) {
  auto box = outbox::open({dir.file("outbox.db"), cap});
  REQUIRE_OK(box);
  return std::move(*box);
}

std::vector<std::uint64_t> held_seqs(outbox& box) {
  auto records = box.read_after(0, 10'000);
  REQUIRE_OK(records);
  std::vector<std::uint64_t> seqs;
  for (const auto& r : *records) seqs.push_back(r.seq);
  return seqs;
}

}  // namespace

TEST_CASE("outbox: seqs start at 1, increase, and are assigned in order") {
  temp_dir dir;
  auto box = open_box(dir);
  std::vector<hc::record> records{sample(1), event(2), sample(3)};
  REQUIRE(box.append(records));
  CHECK(records[0].seq == 1);
  CHECK(records[1].seq == 2);
  CHECK(records[2].seq == 3);
  CHECK(box.depth() == 3);
  auto read = box.read_after(0, 10);
  REQUIRE_OK(read);
  REQUIRE(read->size() == 3);
  CHECK((*read)[1].body == records[1].body);
  CHECK((*read)[1].car == 1);
  CHECK((*read)[1].wall_ms == records[1].wall_ms);
  auto after = box.read_after(2, 10);
  REQUIRE_OK(after);
  REQUIRE(after->size() == 1);
  CHECK(after->front().seq == 3);
  auto limited = box.read_after(0, 2);
  REQUIRE_OK(limited);
  CHECK(limited->size() == 2);
}

TEST_CASE("outbox: seq survives reopen and deletes, never reused") {
  temp_dir dir;
  {
    auto box = open_box(dir);
    std::vector<hc::record> records{sample(1), sample(2), event(3)};
    REQUIRE(box.append(records));
    REQUIRE(box.acknowledge(3));
    CHECK(box.depth() == 0);
    CHECK(box.floor() == 4);
  }
  {
    auto box = open_box(dir);
    CHECK(box.depth() == 0);
    CHECK(box.acked_through() == 3);
    CHECK(box.floor() == 4);
    std::vector<hc::record> more{event(4)};
    REQUIRE(box.append(more));
    CHECK(more[0].seq == 4);
  }
  {
    // Held records survive a reopen too, and the next seq continues after them.
    auto box = open_box(dir);
    CHECK(box.depth() == 1);
    CHECK(box.stats().events == 1);
    std::vector<hc::record> more{sample(5)};
    REQUIRE(box.append(more));
    CHECK(more[0].seq == 5);
    CHECK(held_seqs(box) == std::vector<std::uint64_t>{4, 5});
  }
}

TEST_CASE("outbox: acknowledge deletes through the ack, ignores one going backwards") {
  temp_dir dir;
  auto box = open_box(dir);
  std::vector<hc::record> records{sample(1), event(2), sample(3), event(4), sample(5)};
  REQUIRE(box.append(records));
  REQUIRE(box.acknowledge(2));
  CHECK(box.acked_through() == 2);
  CHECK(box.depth() == 3);
  CHECK(box.floor() == 3);
  auto stats = box.stats();
  CHECK(stats.samples == 2);
  CHECK(stats.events == 1);
  CHECK(stats.oldest_wall_ms == records[2].wall_ms);
  REQUIRE(box.acknowledge(1));  // backwards: no effect, no error
  CHECK(box.acked_through() == 2);
  CHECK(box.depth() == 3);
  SUBCASE("an ack beyond the last seq is refused") {
    auto st = box.acknowledge(6);
    REQUIRE_FALSE(st.has_value());
    CHECK(st.error().code == hc::errc::invalid_argument);
    CHECK(box.depth() == 3);
  }
  SUBCASE("acking everything empties it") {
    REQUIRE(box.acknowledge(5));
    CHECK(box.depth() == 0);
    CHECK(box.floor() == 6);
    CHECK_FALSE(box.stats().oldest_wall_ms.has_value());
  }
  SUBCASE("previous_held finds the record below") {
    CHECK(box.previous_held(4).value() == std::optional<std::uint64_t>(3));
    CHECK(box.previous_held(3).value() == std::nullopt);
  }
}

TEST_CASE("outbox: a failed read is an error, never \"nothing held below\"") {
  temp_dir dir;
  auto box = open_box(dir);
  std::vector<hc::record> records{sample(1), event(2), sample(3)};
  REQUIRE(box.append(records));
  {
    // Another process breaks the file under the agent: its reads now fail.
    auto other = hc::sqlite::database::open(dir.file("outbox.db"));
    REQUIRE_OK(other);
    REQUIRE(other->exec("ALTER TABLE outbox RENAME TO outbox_gone").has_value());
  }
  const auto previous = box.previous_held(3);
  REQUIRE_FALSE(previous.has_value());
  CHECK(previous.error().code == hc::errc::io);
}

TEST_CASE("outbox: accepted command ids survive a reopen, bounded by age and count") {
  temp_dir dir;
  {
    auto box = open_box(dir);
    REQUIRE(box.remember_command("c-old", 1'000, 0));
    REQUIRE(box.remember_command("c-1", 5'000, 0));
    REQUIRE(box.remember_command("c-2", 6'000, 0));
  }
  auto box = open_box(dir);
  const auto since = box.accepted_commands(2'000, 10);
  REQUIRE_OK(since);
  CHECK(*since ==
        std::vector<std::pair<std::string, std::int64_t>>{{"c-1", 5'000}, {"c-2", 6'000}});
  const auto newest = box.accepted_commands(0, 1);
  REQUIRE_OK(newest);
  CHECK(*newest == std::vector<std::pair<std::string, std::int64_t>>{{"c-2", 6'000}});
  // Remembering forgets what is older than the window.
  REQUIRE(box.remember_command("c-3", 7'000, 5'500));
  const auto all = box.accepted_commands(0, 10);
  REQUIRE_OK(all);
  CHECK(all->size() == 2);
  CHECK(all->front().first == "c-2");
}

TEST_CASE("outbox: the cap drops the oldest samples only, never events, and reports it") {
  temp_dir dir;
  {
    auto box = open_box(dir, 4);
    // seq 1 event, 2..4 samples, 5 event, 6 sample: six records for a cap of four.
    std::vector<hc::record> records{event(1), sample(2), sample(3), sample(4), event(5), sample(6)};
    REQUIRE(box.append(records));
    CHECK(box.depth() == 4);
    CHECK(held_seqs(box) == std::vector<std::uint64_t>{1, 4, 5, 6});
    auto drops = box.unreported_drops();
    CHECK(drops.dropped_samples == 2);
    CHECK(drops.first_seq == 2);
    CHECK(drops.last_seq == 3);
    CHECK(box.stats().dropped_samples == 2);
  }
  {
    // The unreported drops survive a restart; the next append reports them first, in the same
    // transaction (the report is the lowest new seq, and nothing is left unreported).
    auto box = open_box(dir, 4);
    CHECK(box.unreported_drops().dropped_samples == 2);
    std::vector<hc::record> next{event(7)};
    REQUIRE(box.append(next));
    CHECK(next[0].seq == 8);
    auto all = box.read_after(6, 10);
    REQUIRE_OK(all);
    REQUIRE(all->size() == 2);
    CHECK(all->front().seq == 7);
    const auto* report = std::get_if<hc::outbox_drop>(&all->front().body);
    REQUIRE(report != nullptr);
    CHECK(report->dropped_samples == 2);
    CHECK(report->first_seq == 2);
    CHECK(report->last_seq == 3);
    // The cap took the oldest remaining sample (seq 4) to make room: six held → four.
    CHECK(box.depth() == 4);
    CHECK(held_seqs(box) == std::vector<std::uint64_t>{1, 5, 7, 8});
    CHECK(box.unreported_drops().dropped_samples == 2);  // seq 4 and 6, to be reported next
    CHECK(box.stats().dropped_samples == 4);
  }
  {
    auto box = open_box(dir, 4);
    CHECK(box.unreported_drops().dropped_samples == 2);
    CHECK(box.unreported_drops().first_seq == 4);
    CHECK(box.unreported_drops().last_seq == 6);
  }
}

TEST_CASE("outbox: events alone may exceed the cap, they are never dropped") {
  temp_dir dir;
  auto box = open_box(dir, 3);
  std::vector<hc::record> records{event(1), event(2), event(3), event(4), event(5)};
  REQUIRE(box.append(records));
  CHECK(box.depth() == 5);
  CHECK(box.stats().dropped_samples == 0);
  std::vector<hc::record> s{sample(6)};
  REQUIRE(box.append(s));
  CHECK(box.depth() == 5);  // the sample itself went
  CHECK(held_seqs(box) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(box.unreported_drops().dropped_samples == 1);
}

TEST_CASE("outbox: boot counter increments once per start and persists") {
  temp_dir dir;
  {
    auto box = open_box(dir);
    CHECK(box.next_boot() == 1u);
    CHECK(box.next_boot() == 2u);
  }
  auto box = open_box(dir);
  CHECK(box.next_boot() == 3u);
}

TEST_CASE("outbox: a zero cap is refused") {
  temp_dir dir;
  auto box = outbox::open({dir.file("outbox.db"), 0});
  CHECK_FALSE(box.has_value());
}

TEST_CASE("outbox: the open visit is committed with its record and survives a reopen") {
  temp_dir dir;
  {
    auto box = open_box(dir);
    CHECK_FALSE(box.visit().has_value());
    std::vector<hc::record> start{
        {0, 1, 1'700'000'000'500, 5, 1, hc::technician_visit{true, "v-1", "T-42"}}};
    REQUIRE(box.append(start));
    REQUIRE(box.visit().has_value());
    CHECK(*box.visit() == hoistway::edge::open_visit{"v-1", "T-42", 1'700'000'000'500, 1});
  }
  {
    auto box = open_box(dir);
    REQUIRE(box.visit().has_value());
    CHECK(box.visit()->technician == "T-42");
    CHECK(box.visit()->car == 1);  // the car worked on survives the reopen
    std::vector<hc::record> end{
        {0, 0, 1'700'000'009'000, 9, 1, hc::technician_visit{false, "v-1", "T-42"}}};
    REQUIRE(box.append(end));
    CHECK_FALSE(box.visit().has_value());
  }
  auto box = open_box(dir);
  CHECK_FALSE(box.visit().has_value());
}

TEST_CASE("outbox: events since a wall time, and depth by kind") {
  temp_dir dir;
  auto box = open_box(dir);
  std::vector<hc::record> records{event(1), sample(2), event(3), sample(4), event(5)};
  REQUIRE(box.append(records));
  auto since = box.read_events_since(1'700'000'000'000 + 3, 10);
  REQUIRE_OK(since);
  REQUIRE(since->size() == 2);
  CHECK((*since)[0].seq == 3);
  CHECK((*since)[1].seq == 5);
  auto kinds = box.depth_by_kind();
  REQUIRE_OK(kinds);
  CHECK(*kinds ==
        std::vector<std::pair<std::string, std::uint64_t>>{{"fault", 3}, {"run_state", 2}});
}

TEST_CASE("outbox: drops are reported on their own when there is room and nothing else comes") {
  temp_dir dir;
  auto box = open_box(dir, 4);
  std::vector<hc::record> records{sample(1), sample(2), sample(3), sample(4), sample(5), sample(6)};
  REQUIRE(box.append(records));
  REQUIRE(box.unreported_drops().dropped_samples == 2);
  // At the cap: reporting now would itself force a drop, so it waits.
  REQUIRE(box.report_drops(1'700'000'000'100, 100, 1));
  CHECK(box.depth() == 4);
  CHECK(box.unreported_drops().dropped_samples == 2);
  REQUIRE(box.acknowledge(4));
  REQUIRE(box.report_drops(1'700'000'000'100, 100, 1));
  CHECK(box.unreported_drops().dropped_samples == 0);
  auto held = box.read_after(4, 10);
  REQUIRE_OK(held);
  REQUIRE(held->size() == 3);
  CHECK(held->back().seq == 7);
  const auto* report = std::get_if<hc::outbox_drop>(&held->back().body);
  REQUIRE(report != nullptr);
  CHECK(report->dropped_samples == 2);
  CHECK(report->first_seq == 1);
  CHECK(report->last_seq == 2);
  REQUIRE(box.report_drops(1'700'000'000'200, 200, 1));  // nothing left to report
  CHECK(box.depth() == 3);
}
