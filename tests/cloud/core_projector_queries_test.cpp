// Tests of the projector (projector.hpp) and the portal reads (queries.hpp) on a real store file:
// records are projected inside the store's transaction, then read back through queries.
#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <unistd.h>
#include "temp_dir.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/ingest/projector.hpp"
#include "hoistway/cloud/live/views.hpp"
#include "hoistway/cloud/portal/queries.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/time.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace common = hoistway::common;
namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;

std::int64_t at(const char* rfc3339) {
  const auto t = common::parse_rfc3339(rfc3339);
  REQUIRE_OK(t);
  return *t;
}

// 2026-11-25T00:00:00Z: an hour and UTC day boundary.
const std::int64_t t0 = common::parse_rfc3339("2026-11-25T00:00:00Z").value();

using temp_dir = hoistway::testing::temp_dir;

hc::store open_store(const std::string& path) {
  auto s = hc::store::open(path);
  REQUIRE_OK(s);
  return std::move(*s);
}

// A store, a projector on its connection and queries on their own; unit U<n> is car 0 of device
// d<n>. Each device numbers its records from 1.
struct fixture {
  temp_dir dir;
  std::string path = dir.file("cloud.db");
  std::shared_ptr<common::manual_clock> clock =
      std::make_shared<common::manual_clock>(t0 + 2 * hour);
  hc::store st = open_store(path);
  std::optional<hc::projector> proj;
  std::shared_ptr<hc::queries> q;
  std::map<std::string, std::uint64_t> next_seq;

  fixture() {
    restart_projector();
    auto opened = hc::queries::open(path, clock);
    REQUIRE_OK(opened);
    q = *opened;
  }
  void restart_projector() {
    proj.reset();
    auto p = hc::projector::create(st.db());
    REQUIRE_OK(p);
    proj.emplace(std::move(*p));
  }
  static std::string device_of(const std::string& unit) { return "d" + unit.substr(1); }

  struct item {
    std::string unit;
    std::int64_t wall_ms;
    common::record_body body;
  };
  // Projects the records in one transaction, as the ingest writer does; returns what to push.
  std::vector<hc::pushed> apply(const std::vector<item>& items) {
    auto tx = st.begin();
    REQUIRE_OK(tx);
    std::vector<hc::pushed> out;
    for (const auto& i : items) {
      const auto device = device_of(i.unit);
      const common::record rec{++next_seq[device], 0, i.wall_ms, i.wall_ms, 1, i.body};
      auto applied = proj->apply(device, i.unit, rec, out);
      REQUIRE_OK(applied);
    }
    REQUIRE(tx->commit());
    return out;
  }
  std::int64_t scalar(const std::string& sql) {
    auto stmt = st.db().prepare(sql);
    REQUIRE_OK(stmt);
    auto row = stmt->step();
    REQUIRE(row.has_value());
    return stmt->column_int(0);
  }
  std::vector<hc::pushed> apply(const std::string& unit, std::int64_t wall_ms,
                                common::record_body body) {
    return apply(std::vector<item>{{unit, wall_ms, std::move(body)}});
  }
};

common::trip trip_of(std::uint32_t duration_ms, std::uint32_t distance_mm) {
  return common::trip{0, 5, 0, 0, duration_ms, 2500, distance_mm};
}
common::run_state status_of(bool in_service, common::car_mode mode = common::car_mode::normal) {
  common::run_state s;
  s.in_service = in_service;
  s.mode = mode;
  s.floor = 2;
  s.door = common::door_state::closed;
  s.snapshot = true;  // a periodic confirmation: always in the status log
  return s;
}

std::vector<json> alerts_in(const std::vector<hc::pushed>& out) {
  std::vector<json> alerts;
  for (const auto& p : out) {
    if (p.type == hc::push_type::alert) alerts.push_back(p.data);
  }
  return alerts;
}

json alerts_of(fixture& f, const std::vector<std::string>& units, const std::string& state) {
  auto list = f.q->alerts(units, state, 100);
  REQUIRE_OK(list);
  return (*list)["alerts"];
}

}  // namespace

TEST_CASE("queries: event pages with limit and next_cursor walk every event exactly once") {
  fixture f;
  // 25 events of U1 whose wall times tie and run against seq order, interleaved with U2's, and
  // run states (which are not events).
  struct expected_event {
    std::int64_t wall;
    std::int64_t seq;
    std::string type;
  };
  std::vector<expected_event> expected;
  std::vector<fixture::item> items;
  for (int i = 0; i < 25; ++i) {
    const std::int64_t wall = t0 + ((i * 7) % 9) * second;
    common::record_body body;
    std::string type;
    switch (i % 3) {
      case 0:
        body = trip_of(1000, 3000);
        type = "trip";
        break;
      case 1:
        body = common::door_cycle{3, 4000, 0};
        type = "door_cycle";
        break;
      default:
        body =
            common::fault_event{static_cast<std::uint16_t>(100 + i), common::severity::minor, true};
        type = "fault";
    }
    items.push_back({"U1", wall, body});
    expected.push_back({wall, 0, type});  // seq set below
    items.push_back({"U2", wall, trip_of(1000, 3000)});
    if (i % 5 == 0) items.push_back({"U1", wall, status_of(true)});
  }
  // Seqs of U1's device: count U1 items in order.
  {
    std::int64_t seq = 0;
    std::size_t e = 0;
    for (const auto& it : items) {
      if (it.unit != "U1") continue;
      ++seq;
      if (!std::holds_alternative<common::run_state>(it.body)) expected[e++].seq = seq;
    }
  }
  f.apply(items);
  std::stable_sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
    return std::tie(a.wall, a.seq) < std::tie(b.wall, b.seq);
  });
  const hc::time_range all{t0, t0 + hour};

  for (const std::size_t limit : {1UL, 4UL, 7UL, 24UL, 25UL, 26UL, 1000UL}) {
    CAPTURE(limit);
    std::vector<std::int64_t> seen;
    std::string cursor;
    int pages = 0;
    while (true) {
      auto page = f.q->events("U1", all, "", limit, cursor);
      REQUIRE_OK(page);
      ++pages;
      REQUIRE(page->events.size() <= limit);
      for (const auto& e : page->events) {
        seen.push_back(e["seq"].get<std::int64_t>());
        CHECK(e.contains("type"));
        CHECK(e.contains("at"));
        CHECK(e["data"].is_object());
      }
      if (!page->next_cursor) break;
      CHECK(page->events.size() == limit);
      cursor = *page->next_cursor;
      REQUIRE(pages < 100);
    }
    CHECK(pages == static_cast<int>((expected.size() + limit - 1) / limit));
    REQUIRE(seen.size() == expected.size());
    for (std::size_t i = 0; i < seen.size(); ++i) {
      CAPTURE(i);
      CHECK(seen[i] == expected[i].seq);
    }
  }

  // The first event's fields.
  auto first = f.q->events("U1", all, "", 1, "");
  REQUIRE(first);
  CHECK((*first).events[0]["type"] == expected[0].type);
  CHECK((*first).events[0]["at"] == common::format_rfc3339(expected[0].wall));

  {  // type filter
    std::size_t trips = 0;
    std::string cursor;
    while (true) {
      auto page = f.q->events("U1", all, "trip", 3, cursor);
      REQUIRE(page);
      for (const auto& e : page->events) {
        CHECK(e["type"] == "trip");
        ++trips;
      }
      if (!page->next_cursor) break;
      cursor = *page->next_cursor;
    }
    CHECK(trips ==
          static_cast<std::size_t>(std::count_if(expected.begin(), expected.end(),
                                                 [](const auto& e) { return e.type == "trip"; })));
    auto none = f.q->events("U1", all, "entrapment", 10, "");
    REQUIRE(none);
    CHECK(none->events.empty());
    CHECK_FALSE(none->next_cursor.has_value());
  }
  {  // range is [from, to)
    auto page = f.q->events("U1", {t0 + 2 * second, t0 + 5 * second}, "", 1000, "");
    REQUIRE(page);
    const auto want = std::count_if(expected.begin(), expected.end(), [](const auto& e) {
      return e.wall >= t0 + 2 * second && e.wall < t0 + 5 * second;
    });
    CHECK(page->events.size() == static_cast<std::size_t>(want));
    for (const auto& e : page->events) {
      const auto when = common::parse_rfc3339(e["at"].get<std::string>());
      REQUIRE(when);
      CHECK(*when >= t0 + 2 * second);
      CHECK(*when < t0 + 5 * second);
    }
    auto empty = f.q->events("U1", {t0 + hour, t0 + 2 * hour}, "", 10, "");
    REQUIRE(empty);
    CHECK(empty->events.empty());
  }
  {  // another unit's events stay apart
    auto page = f.q->events("U2", all, "", 1000, "");
    REQUIRE(page);
    CHECK(page->events.size() == 25);
    auto nobody = f.q->events("U9", all, "", 1000, "");
    REQUIRE(nobody);
    CHECK(nobody->events.empty());
  }
  {  // malformed cursors are invalid_argument
    for (const std::string bad : {"abc", "12", "1.x", "x.1", "1.2.3", ".", "1.", ".1"}) {
      CAPTURE(bad);
      auto page = f.q->events("U1", all, "", 10, bad);
      REQUIRE_FALSE(page.has_value());
      CHECK(page.error().code == common::errc::invalid_argument);
    }
  }
}

TEST_CASE("queries: usage per hour counts trips, door cycles, running time and distance") {
  fixture f;
  f.apply({
      {"U1", t0 + 10 * minute, trip_of(12'000, 30'000)},
      {"U1", t0 + 59 * minute + 59 * second, trip_of(8'500, 15'500)},
      {"U1", t0 + 30 * minute, common::door_cycle{1, 5000, 0}},
      {"U1", t0 + hour + 5 * minute, trip_of(4'000, 9'000)},
      {"U1", t0 + 3 * hour - 1, common::door_cycle{1, 5000, 1}},
      {"U1", t0 - 1, trip_of(99'000, 99'000)},         // before the range
      {"U1", t0 + 3 * hour, trip_of(99'000, 99'000)},  // at the end: excluded
      {"U1", t0 + 20 * minute, common::fault_event{5, common::severity::major, true}},
      {"U2", t0 + 10 * minute, trip_of(99'000, 99'000)},  // another unit
  });
  auto usage = f.q->usage("U1", {t0, t0 + 3 * hour}, hc::bucket::hour, 0);
  REQUIRE_OK(usage);
  const auto& u = *usage;
  CHECK(u["unit_id"] == "U1");
  CHECK(u["bucket"] == "hour");
  CHECK(u["from"] == common::format_rfc3339(t0));
  CHECK(u["to"] == common::format_rfc3339(t0 + 3 * hour));
  REQUIRE(u["buckets"].size() == 3);
  const auto& b = u["buckets"];
  CHECK(b[0]["start"] == "2026-11-25T00:00:00.000Z");
  CHECK(b[0]["trips"] == 2);
  CHECK(b[0]["door_cycles"] == 1);
  CHECK(b[0]["running_s"] == 20);   // 20.5 s
  CHECK(b[0]["distance_m"] == 45);  // 45.5 m
  CHECK(b[1]["start"] == "2026-11-25T01:00:00.000Z");
  CHECK(b[1]["trips"] == 1);
  CHECK(b[1]["door_cycles"] == 0);
  CHECK(b[1]["running_s"] == 4);
  CHECK(b[1]["distance_m"] == 9);
  CHECK(b[2]["start"] == "2026-11-25T02:00:00.000Z");
  CHECK(b[2]["trips"] == 0);
  CHECK(b[2]["door_cycles"] == 1);
  CHECK(u["totals"]["trips"] == 3);
  CHECK(u["totals"]["door_cycles"] == 2);
  CHECK(u["totals"]["running_s"] == 24);
  CHECK(u["totals"]["distance_m"] == 54);

  auto empty = f.q->usage("U3", {t0, t0 + 2 * hour}, hc::bucket::hour, 0);
  REQUIRE(empty);
  REQUIRE((*empty)["buckets"].size() == 2);
  CHECK((*empty)["totals"]["trips"] == 0);
  CHECK((*empty)["buckets"][1]["trips"] == 0);
}

TEST_CASE("queries: day buckets follow utc_offset boundaries") {
  fixture f;
  f.apply({
      {"U1", at("2026-11-25T23:59:59.999+09:00"), trip_of(1000, 1000)},  // 14:59:59.999Z
      {"U1", at("2026-11-26T00:00:00+09:00"), trip_of(1000, 1000)},      // 15:00Z
      {"U1", at("2026-11-26T10:00:00+09:00"), common::door_cycle{0, 1000, 0}},
  });
  {  // +09:00
    auto usage =
        f.q->usage("U1", {at("2026-11-25T00:00:00+09:00"), at("2026-11-27T00:00:00+09:00")},
                   hc::bucket::day, 540);
    REQUIRE(usage);
    const auto& b = (*usage)["buckets"];
    REQUIRE(b.size() == 2);
    CHECK(b[0]["start"] == "2026-11-24T15:00:00.000Z");
    CHECK(b[0]["trips"] == 1);
    CHECK(b[1]["start"] == "2026-11-25T15:00:00.000Z");
    CHECK(b[1]["trips"] == 1);
    CHECK(b[1]["door_cycles"] == 1);
    CHECK((*usage)["bucket"] == "day");
    CHECK((*usage)["totals"]["trips"] == 2);
  }
  {  // UTC puts both trips on the same day
    auto usage = f.q->usage("U1", {at("2026-11-24T00:00:00Z"), at("2026-11-27T00:00:00Z")},
                            hc::bucket::day, 0);
    REQUIRE(usage);
    const auto& b = (*usage)["buckets"];
    REQUIRE(b.size() == 3);
    CHECK(b[0]["trips"] == 0);
    CHECK(b[1]["start"] == "2026-11-25T00:00:00.000Z");
    CHECK(b[1]["trips"] == 2);
    CHECK(b[2]["door_cycles"] == 1);
  }
  {  // -05:30
    auto usage =
        f.q->usage("U1", {at("2026-11-25T00:00:00-05:30"), at("2026-11-26T00:00:00-05:30")},
                   hc::bucket::day, -330);
    REQUIRE(usage);
    const auto& b = (*usage)["buckets"];
    REQUIRE(b.size() == 1);
    CHECK(b[0]["start"] == "2026-11-25T05:30:00.000Z");
    CHECK(b[0]["trips"] == 2);
    CHECK(b[0]["door_cycles"] == 1);
  }
  {  // +09:00 hour buckets
    auto usage = f.q->usage("U1", {at("2026-11-25T14:00:00Z"), at("2026-11-25T16:00:00Z")},
                            hc::bucket::hour, 540);
    REQUIRE(usage);
    const auto& b = (*usage)["buckets"];
    REQUIRE(b.size() == 2);
    CHECK(b[0]["trips"] == 1);
    CHECK(b[1]["trips"] == 1);
  }
}

TEST_CASE("queries: availability counts gaps longer than max_gap as unknown, never up") {
  fixture f;
  constexpr std::int64_t max_gap = 15 * minute;
  f.apply({
      {"U1", t0 - 10 * minute, status_of(true)},
      {"U1", t0 + 20 * minute, status_of(false, common::car_mode::out_of_service)},
      {"U1", t0 + 30 * minute, status_of(true)},
      {"U1", t0 + 50 * minute, status_of(true)},
      {"U1", t0 + 70 * minute, status_of(false)},  // after the range
      {"U2", t0 - day, status_of(true)},           // long before the range, then silence
  });
  const hc::time_range range{t0, t0 + hour};

  {  // every status holds until the next, at most max_gap
    auto a = f.q->availability("U1", range, max_gap);
    REQUIRE_OK(a);
    // up: t0..+5 (the status from before the range), +30..+45, +50..+60; down: +20..+30.
    CHECK((*a)["in_service_s"] == 30 * 60);
    CHECK((*a)["out_of_service_s"] == 10 * 60);
    CHECK((*a)["unknown_s"] == 20 * 60);
    CHECK((*a)["availability"].get<double>() == doctest::Approx(0.5));
    CHECK((*a)["availability_of_known"].get<double>() == doctest::Approx(0.75));
    CHECK((*a)["unit_id"] == "U1");
    CHECK((*a)["from"] == common::format_rfc3339(t0));
  }
  {  // a unit silent since long before the range is unknown throughout
    auto a = f.q->availability("U2", range, max_gap);
    REQUIRE(a);
    CHECK((*a)["in_service_s"] == 0);
    CHECK((*a)["out_of_service_s"] == 0);
    CHECK((*a)["unknown_s"] == 3600);
    CHECK((*a)["availability"].get<double>() == 0.0);
    CHECK((*a)["availability_of_known"].is_null());
  }
  {  // a unit with no status at all
    auto a = f.q->availability("U9", range, max_gap);
    REQUIRE(a);
    CHECK((*a)["unknown_s"] == 3600);
    CHECK((*a)["in_service_s"] == 0);
    CHECK((*a)["availability_of_known"].is_null());
  }
  {  // a larger max_gap bridges the gaps
    auto a = f.q->availability("U1", range, hour);
    REQUIRE(a);
    CHECK((*a)["in_service_s"] == 50 * 60);  // t0..+20, +30..+60
    CHECK((*a)["out_of_service_s"] == 10 * 60);
    CHECK((*a)["unknown_s"] == 0);
  }
  {  // the last status never holds past now (moves the clock: last)
    f.clock->jump_wall(-(2 * hour) + 55 * minute);  // now = t0 + 55 min
    auto a = f.q->availability("U1", range, max_gap);
    REQUIRE(a);
    CHECK((*a)["in_service_s"] == 25 * 60);
    CHECK((*a)["out_of_service_s"] == 10 * 60);
    CHECK((*a)["unknown_s"] == 25 * 60);
  }
}

TEST_CASE("queries: visits and their reports with checklist and controller data") {
  fixture f;
  f.apply({
      {"U1", t0 - minute, trip_of(1000, 1000)},  // before the visit
      {"U1", t0, common::technician_visit{true, "V1", "Sato <b>"}},
      {"U1", t0 + minute, trip_of(1000, 1000)},
      {"U1", t0 + 2 * minute, common::door_cycle{0, 3000, 0}},
      {"U1", t0 + 3 * minute,
       common::mode_change{common::car_mode::normal, common::car_mode::inspection}},
      {"U1", t0 + 4 * minute, common::fault_event{301, common::severity::major, true}},
      {"U1", t0 + 5 * minute, common::checklist_item{"V1", "brakes", true, ""}},
      {"U1", t0 + 6 * minute,
       common::checklist_item{"V1", "doors", false, "<script>alert(1)</script> & co"}},
      {"U2", t0 + 7 * minute, trip_of(1000, 1000)},  // another unit
      {"U1", t0 + 20 * minute, trip_of(1000, 1000)},
      {"U1", t0 + 30 * minute, common::technician_visit{false, "V1", "Sato <b>"}},
      {"U1", t0 + 31 * minute, common::door_cycle{0, 3000, 0}},  // after the visit
      {"U1", t0 + 40 * minute, trip_of(1000, 1000)},
      {"U2", t0 + 10 * minute, common::technician_visit{true, "V2", "Kato"}},
      {"U1", t0 + 50 * minute, common::technician_visit{true, "V3", "Ito"}},  // still on site
      {"U1", t0 + 60 * minute, trip_of(1000, 1000)},
  });

  auto visits = f.q->visits("U1", 10);
  REQUIRE(visits);
  CHECK((*visits)["unit_id"] == "U1");
  const auto& list = (*visits)["visits"];
  REQUIRE(list.size() == 2);
  CHECK(list[0]["visit_id"] == "V3");  // newest first
  CHECK(list[0]["on_site"] == true);
  CHECK(list[0]["ended_at"].is_null());
  CHECK(list[1]["visit_id"] == "V1");
  CHECK(list[1]["technician"] == "Sato <b>");
  CHECK(list[1]["on_site"] == false);
  CHECK(list[1]["started_at"] == common::format_rfc3339(t0));
  CHECK(list[1]["ended_at"] == common::format_rfc3339(t0 + 30 * minute));
  CHECK(list[1]["checklist_items"] == 2);
  CHECK(list[1]["checklist_ng"] == 1);
  auto limited = f.q->visits("U1", 1);
  REQUIRE(limited);
  CHECK((*limited)["visits"].size() == 1);

  auto report = f.q->visit_report("U1", "V1");
  REQUIRE(report);
  REQUIRE(report->has_value());
  const auto& r = **report;
  CHECK(r["visit_id"] == "V1");
  CHECK(r["unit_id"] == "U1");
  CHECK(r["technician"] == "Sato <b>");
  CHECK(r["on_site"] == false);
  REQUIRE(r["checklist"].size() == 2);
  CHECK(r["checklist"][0]["item"] == "brakes");
  CHECK(r["checklist"][0]["result"] == "ok");
  CHECK(r["checklist"][1]["item"] == "doors");
  CHECK(r["checklist"][1]["result"] == "ng");
  CHECK(r["checklist"][1]["note"] == "<script>alert(1)</script> & co");
  CHECK(r["checklist"][1]["at"] == common::format_rfc3339(t0 + 6 * minute));
  const auto& c = r["controller"];
  CHECK(c["trips"] == 2);
  CHECK(c["door_cycles"] == 1);
  REQUIRE(c["mode_changes"].size() == 1);
  CHECK(c["mode_changes"][0]["data"]["from"] == "normal");
  CHECK(c["mode_changes"][0]["data"]["to"] == "inspection");
  REQUIRE(c["faults"].size() == 1);
  CHECK(c["faults"][0]["data"]["code"] == 301);

  // An open visit counts up to now.
  auto open = f.q->visit_report("U1", "V3");
  REQUIRE(open);
  REQUIRE(open->has_value());
  CHECK((**open)["on_site"] == true);
  CHECK((**open)["ended_at"].is_null());
  CHECK((**open)["controller"]["trips"] == 1);
  CHECK((**open)["checklist"].empty());

  // Another unit's visit, or none: nullopt.
  auto other = f.q->visit_report("U1", "V2");
  REQUIRE(other);
  CHECK_FALSE(other->has_value());
  auto missing = f.q->visit_report("U1", "nope");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
  auto theirs = f.q->visit_report("U2", "V2");
  REQUIRE(theirs);
  CHECK(theirs->has_value());

  SUBCASE("the HTML report escapes what the field sent") {
    const auto html = hc::visit_report_html(r);
    CHECK(html.find("<script>") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co") != std::string::npos);
    CHECK(html.find("Sato &lt;b&gt;") != std::string::npos);
    CHECK(html.find("Sato <b>") == std::string::npos);
    CHECK(html.find("class=\"ng\"") != std::string::npos);
    CHECK(html.find("code 301 raised") != std::string::npos);
    CHECK(html.rfind("<!doctype html>", 0) == 0);
    const auto open_html = hc::visit_report_html(**open);
    CHECK(open_html.find("on site now") != std::string::npos);
  }
}

TEST_CASE("projector: status JSON as the API and the stream show it") {
  const auto data = hc::status_json("U1", status_of(true), t0);
  CHECK(data["unit_id"] == "U1");
  CHECK(data["in_service"] == true);
  CHECK(data["floor"] == 2);
  CHECK(data["updated_at"] == common::format_rfc3339(t0));
}

TEST_CASE("projector: run states raise or clear out_of_service, the log keeps changes") {
  fixture f;
  auto out = f.apply("U1", t0, status_of(true));
  CHECK(out.empty());  // the first status, in service: nothing to alert (statuses are pushed
                       // by the writer, once per unit per transaction)
  CHECK(f.scalar("SELECT COUNT(*) FROM status_log") == 1);
  auto sample = status_of(true);
  sample.snapshot = false;  // a sample between snapshots, same service and mode: not logged
  out = f.apply("U1", t0 + second / 2, sample);
  CHECK(out.empty());
  CHECK(f.scalar("SELECT COUNT(*) FROM status_log") == 1);
  out = f.apply("U1", t0 + second / 2 + 1, status_of(true));  // a snapshot: logged
  CHECK(f.scalar("SELECT COUNT(*) FROM status_log") == 2);

  out = f.apply("U1", t0 + second, status_of(false, common::car_mode::out_of_service));
  REQUIRE(out.size() == 1);
  CHECK(f.scalar("SELECT COUNT(*) FROM status_log") == 3);
  auto alerts = alerts_in(out);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["kind"] == "out_of_service");
  CHECK(alerts[0]["state"] == "raised");
  CHECK(alerts[0]["unit_id"] == "U1");
  CHECK(alerts[0]["raised_at"] == common::format_rfc3339(t0 + second));
  CHECK(alerts[0]["detail"].get<std::string>().find("out_of_service") != std::string::npos);
  const auto id = alerts[0]["alert_id"];

  out = f.apply("U1", t0 + 2 * second, status_of(false));
  CHECK(out.empty());  // still out (the mode changed: logged): no second alert
  CHECK(f.scalar("SELECT COUNT(*) FROM status_log") == 4);

  out = f.apply("U1", t0 + 3 * second, status_of(true));
  alerts = alerts_in(out);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["alert_id"] == id);
  CHECK(alerts[0]["state"] == "cleared");
  CHECK(alerts[0]["cleared_at"] == common::format_rfc3339(t0 + 3 * second));
  CHECK(alerts_of(f, {"U1"}, "").size() == 1);

  // A unit whose first status is out of service raises at once.
  out = f.apply("U2", t0, status_of(false));
  CHECK(alerts_in(out).size() == 1);
}

TEST_CASE("projector: after a rolled-back transaction, reload() forgets what it remembered") {
  fixture f;
  f.apply("U1", t0, status_of(true));
  {
    // A transaction that raises an entrapment and takes the unit out of service, then rolls
    // back (the store failed before the commit).
    auto tx = f.st.begin();
    REQUIRE(tx);
    std::vector<hc::pushed> out;
    const common::record trapped{2,           0, t0 + second,
                                 t0 + second, 1, common::entrapment{true, 3, 4200, 450, true}};
    REQUIRE(f.proj->apply("d1", "U1", trapped, out));
    const common::record out_of_service{3, 0, t0 + second, t0 + second, 1, status_of(false)};
    REQUIRE(f.proj->apply("d1", "U1", out_of_service, out));
    CHECK(alerts_in(out).size() == 2);
    tx->rollback();
  }
  CHECK(f.scalar("SELECT COUNT(*) FROM alerts") == 0);
  REQUIRE(f.proj->reload());
  // The agent resends the same records: both alerts are raised again, and stored this time.
  f.next_seq["d1"] = 1;
  auto out = f.apply({{"U1", t0 + second, common::entrapment{true, 3, 4200, 450, true}},
                      {"U1", t0 + second, status_of(false)}});
  const auto alerts = alerts_in(out);
  REQUIRE(alerts.size() == 2);
  CHECK(alerts[0]["kind"] == "entrapment");
  CHECK(alerts[1]["kind"] == "out_of_service");
  CHECK(f.scalar("SELECT COUNT(*) FROM alerts WHERE state = 'raised'") == 2);
}

TEST_CASE("projector and queries: alert lifecycle, acknowledgement and replay") {
  fixture f;
  auto out = f.apply("U1", t0, common::entrapment{true, 3, 4200, 450, true});
  auto pushed = alerts_in(out);
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0]["kind"] == "entrapment");
  CHECK(pushed[0]["state"] == "raised");
  CHECK(pushed[0]["detail"].get<std::string>().find("floor 3") != std::string::npos);
  CHECK(pushed[0]["acknowledged_at"].is_null());
  CHECK(pushed[0]["cleared_at"].is_null());
  const auto entrapment_id = pushed[0]["alert_id"].get<std::int64_t>();
  CHECK(
      alerts_in(f.apply("U1", t0 + second, common::entrapment{true, 3, 4200, 450, true})).empty());

  // One alert per fault code; clearing one leaves the other.
  out = f.apply({{"U1", t0 + 2 * second, common::fault_event{101, common::severity::minor, true}},
                 {"U1", t0 + 3 * second, common::fault_event{202, common::severity::major, true}}});
  pushed = alerts_in(out);
  REQUIRE(pushed.size() == 2);
  CHECK(pushed[0]["code"] == 101);
  CHECK(pushed[1]["code"] == 202);
  CHECK(pushed[1]["kind"] == "fault");
  const auto fault202 = pushed[1]["alert_id"].get<std::int64_t>();
  out = f.apply("U1", t0 + 4 * second, common::fault_event{101, common::severity::minor, false});
  pushed = alerts_in(out);
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0]["code"] == 101);
  CHECK(pushed[0]["state"] == "cleared");
  // Clearing a fault that is not open does nothing.
  CHECK(alerts_in(f.apply("U1", t0 + 5 * second,
                          common::fault_event{909, common::severity::minor, false}))
            .empty());

  // Device offline / online.
  {
    auto tx = f.st.begin();
    REQUIRE(tx);
    std::vector<hc::pushed> o;
    REQUIRE(f.proj->device_offline({"U1"}, t0 + 6 * second, o));
    REQUIRE(f.proj->device_offline({"U1"}, t0 + 7 * second, o));  // already offline
    REQUIRE(tx->commit());
    pushed = alerts_in(o);
    REQUIRE(pushed.size() == 1);
    CHECK(pushed[0]["kind"] == "device_offline");
    CHECK(pushed[0]["state"] == "raised");
  }
  {
    auto tx = f.st.begin();
    REQUIRE(tx);
    std::vector<hc::pushed> o;
    REQUIRE(f.proj->device_online({"U1"}, t0 + 8 * second, o));
    REQUIRE(tx->commit());
    pushed = alerts_in(o);
    REQUIRE(pushed.size() == 1);
    CHECK(pushed[0]["kind"] == "device_offline");
    CHECK(pushed[0]["state"] == "cleared");
  }

  // The entrapment ends.
  pushed =
      alerts_in(f.apply("U1", t0 + 9 * second, common::entrapment{false, 3, 4200, 450, false}));
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0]["alert_id"] == entrapment_id);
  CHECK(pushed[0]["state"] == "cleared");

  // Earthquake operation raises and clears too.
  pushed = alerts_in(f.apply("U2", t0 + 10 * second, common::earthquake_operation{true, 1}));
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0]["kind"] == "earthquake");

  // The alert list: newest first, filtered by state and unit.
  auto all = alerts_of(f, {"U1"}, "");
  REQUIRE(all.size() == 4);  // entrapment, fault 101, fault 202, device_offline
  for (std::size_t i = 1; i < all.size(); ++i) {
    CHECK(all[i - 1]["raised_at"].get<std::string>() >= all[i]["raised_at"].get<std::string>());
  }
  CHECK(all[0]["kind"] == "device_offline");
  auto open = alerts_of(f, {"U1"}, "open");
  REQUIRE(open.size() == 1);
  CHECK(open[0]["alert_id"] == fault202);
  CHECK(alerts_of(f, {"U1"}, "cleared").size() == 3);
  CHECK(alerts_of(f, {"U1", "U2"}, "").size() == 5);
  CHECK(alerts_of(f, {"U2"}, "").size() == 1);
  CHECK(alerts_of(f, {}, "").empty());
  auto one = f.q->alerts({"U1"}, "", 1);
  REQUIRE(one);
  CHECK((*one)["alerts"].size() == 1);

  // Acknowledge: raised → acknowledged, once; the first acknowledger is kept.
  f.clock->advance(5 * second);
  auto acked = f.q->acknowledge_alert({"U1"}, fault202, "key-1");
  REQUIRE_OK(acked);
  REQUIRE(acked->has_value());
  CHECK((**acked)["state"] == "acknowledged");
  CHECK((**acked)["acknowledged_by"] == "key-1");
  CHECK((**acked)["acknowledged_at"] == common::format_rfc3339(f.clock->wall_ms()));
  auto again = f.q->acknowledge_alert({"U1"}, fault202, "key-2");
  REQUIRE(again);
  REQUIRE(again->has_value());
  CHECK((**again)["acknowledged_by"] == "key-1");
  CHECK(alerts_of(f, {"U1"}, "open").size() == 1);
  CHECK(alerts_of(f, {"U1"}, "acknowledged").size() == 1);
  CHECK(alerts_of(f, {"U1"}, "raised").empty());

  // A cleared alert: conflict. Not among the caller's units, or no such alert: nullopt.
  auto cleared = f.q->acknowledge_alert({"U1"}, entrapment_id, "key-1");
  REQUIRE_FALSE(cleared.has_value());
  CHECK(cleared.error().code == hoistway::common::errc::conflict);
  auto foreign = f.q->acknowledge_alert({"U2"}, fault202, "key-9");
  REQUIRE(foreign);
  CHECK_FALSE(foreign->has_value());
  auto none = f.q->acknowledge_alert({}, fault202, "key-9");
  REQUIRE(none);
  CHECK_FALSE(none->has_value());
  auto unknown = f.q->acknowledge_alert({"U1"}, 999'999, "key-1");
  REQUIRE(unknown);
  CHECK_FALSE(unknown->has_value());
  CHECK(alerts_of(f, {"U1"}, "acknowledged")[0]["acknowledged_by"] == "key-1");

  // An acknowledged alert still clears.
  pushed = alerts_in(
      f.apply("U1", t0 + 20 * second, common::fault_event{202, common::severity::major, false}));
  REQUIRE(pushed.size() == 1);
  CHECK(pushed[0]["state"] == "cleared");
  CHECK(pushed[0]["acknowledged_by"] == "key-1");
  CHECK(alerts_of(f, {"U1"}, "open").empty());

  SUBCASE("a restarted projector knows the open alerts and the last status") {
    f.apply({{"U1", t0 + 30 * second, common::fault_event{303, common::severity::minor, true}},
             {"U1", t0 + 31 * second, status_of(false)}});
    CHECK(alerts_of(f, {"U1"}, "open").size() == 2);  // fault 303, out_of_service
    f.restart_projector();
    // Raising again does not duplicate; an out-of-service status does not raise again.
    CHECK(alerts_in(f.apply("U1", t0 + 32 * second,
                            common::fault_event{303, common::severity::minor, true}))
              .empty());
    CHECK(alerts_in(f.apply("U1", t0 + 33 * second, status_of(false))).empty());
    pushed = alerts_in(
        f.apply("U1", t0 + 34 * second, common::fault_event{303, common::severity::minor, false}));
    REQUIRE(pushed.size() == 1);
    CHECK(pushed[0]["state"] == "cleared");
    pushed = alerts_in(f.apply("U1", t0 + 35 * second, status_of(true)));
    REQUIRE(pushed.size() == 1);
    CHECK(pushed[0]["kind"] == "out_of_service");
    CHECK(pushed[0]["state"] == "cleared");
    CHECK(alerts_of(f, {"U1"}, "open").empty());
  }
}

TEST_CASE("projector: every event lands in the events table once, run states in none") {
  fixture f;
  f.apply({{"U1", t0, status_of(true)},
           {"U1", t0 + 1, trip_of(1000, 1000)},
           {"U1", t0 + 2, common::power_change{true}},
           {"U1", t0 + 3, common::clock_jump{-5000}},
           {"U1", t0 + 4, common::usage_rollup{t0, 60, 1, 1, 1, 10, 1000}},
           {"U1", t0 + 5, common::outbox_drop{10, 0, 1, 10}}});
  auto page = f.q->events("U1", {t0, t0 + hour}, "", 100, "");
  REQUIRE(page);
  REQUIRE(page->events.size() == 5);
  CHECK(page->events[0]["type"] == "trip");
  CHECK(page->events[0]["seq"] == 2);
  CHECK(page->events[1]["type"] == "power_change");
  CHECK(page->events[1]["data"]["lost"] == true);
  CHECK(page->events[2]["type"] == "clock_jump");
  CHECK(page->events[3]["type"] == "usage_rollup");
  CHECK(page->events[4]["type"] == "outbox_drop");
  CHECK(page->events[4]["data"]["dropped_samples"] == 10);
}

// projector::push_alert (projector.cpp) steps its cached SELECT to a row and never resets it, so
// after the commit the writer's connection still holds a read transaction on the old snapshot.
// Once any other connection writes (an API acknowledgement, hoistway-admin, accounts), the
// writer's next BEGIN IMMEDIATE fails at once with SQLITE_BUSY ("database is locked"), and keeps
// failing: the statement is only reset inside a transaction.
// Regression (fixed)
TEST_CASE(
    "projector: after an alert is pushed and another connection writes, the writer can begin "
    "again") {
  fixture f;
  const auto pushed = alerts_in(f.apply("U1", t0, common::entrapment{true, 3, 4200, 450, true}));
  REQUIRE(pushed.size() == 1);
  auto acked = f.q->acknowledge_alert({"U1"}, pushed[0]["alert_id"].get<std::int64_t>(), "key-1");
  REQUIRE(acked.has_value());
  for (int attempt = 0; attempt < 2; ++attempt) {  // and not only once
    CAPTURE(attempt);
    auto tx = f.st.begin();
    CHECK_MESSAGE(tx.has_value(), (tx ? std::string() : tx.error().message));
  }
}

// The projector files a checklist item or a visit end under its visit_id without checking that
// the visit is the sending unit's (projector.cpp, the technician_visit and checklist_item
// branches of apply), so records of one unit (one customer's device) change another unit's visit
// report.
// Regression (fixed)
TEST_CASE("projector: another unit's records do not change a visit") {
  fixture f;
  f.apply("U1", t0, common::technician_visit{true, "V1", "Sato"});
  f.apply("U1", t0 + minute, common::checklist_item{"V1", "brakes", true, ""});
  f.apply("U2", t0 + 2 * minute, common::checklist_item{"V1", "injected", false, "from U2"});
  f.apply("U2", t0 + 3 * minute, common::technician_visit{false, "V1", "Mallory"});
  auto report = f.q->visit_report("U1", "V1");
  REQUIRE(report);
  REQUIRE(report->has_value());
  CHECK((**report)["checklist"].size() == 1);
  CHECK((**report)["on_site"] == true);
  auto visits = f.q->visits("U1", 10);
  REQUIRE(visits);
  CHECK((*visits)["visits"][0]["checklist_ng"] == 0);
}

TEST_CASE("projector: the pushed status text is exactly the status JSON, dumped") {
  common::run_state s;
  s.position_mm = -1250;
  s.speed_mm_s = 1600;
  s.floor = -2;
  s.dir = common::direction::down;
  s.door = common::door_state::opening;
  s.load_kg = 640;
  s.mode = common::car_mode::inspection;
  s.in_door_zone = true;
  s.alarm = true;
  s.in_service = false;
  s.snapshot = true;
  SUBCASE("with fault codes") { s.fault_codes = {17, 4096}; }
  SUBCASE("without fault codes") {}
  for (const std::string unit : {"U1", "lobby \"A\" \\ car\t1", "ユニット-1"}) {
    for (const std::int64_t wall : {std::int64_t{0}, std::int64_t{1'764'633'600'123}}) {
      CHECK(hc::status_json_text(unit, s, wall) == hc::status_json(unit, s, wall).dump());
    }
  }
}

TEST_CASE("projector: a unit holds at most max_open_faults_per_unit open fault alerts") {
  fixture f;
  const auto cap = hc::projector::max_open_faults_per_unit;
  std::vector<fixture::item> raised;
  for (std::size_t code = 1; code <= cap + 10; ++code) {
    raised.push_back(
        {"U1", t0,
         common::fault_event{static_cast<std::uint16_t>(code), common::severity::major, true}});
  }
  f.apply(raised);
  CHECK(static_cast<std::size_t>(f.scalar("SELECT COUNT(*) FROM alerts WHERE unit_id = 'U1'")) ==
        cap);
  CHECK(f.proj->alerts_suppressed() == 10);
  // Another unit has its own; one cleared makes room again.
  f.apply("U2", t0, common::fault_event{7, common::severity::major, true});
  CHECK(f.scalar("SELECT COUNT(*) FROM alerts WHERE unit_id = 'U2'") == 1);
  f.apply("U1", t0 + second, common::fault_event{1, common::severity::major, false});
  f.apply("U1", t0 + second, common::fault_event{9999, common::severity::major, true});
  CHECK(f.scalar("SELECT COUNT(*) FROM alerts WHERE unit_id = 'U1' AND code = 9999") == 1);
  // Still bounded after a restart (the open set is read back from the store).
  f.restart_projector();
  f.apply("U1", t0 + 2 * second, common::fault_event{9998, common::severity::major, true});
  CHECK(f.scalar("SELECT COUNT(*) FROM alerts WHERE unit_id = 'U1' AND code = 9998") == 0);
  CHECK(f.proj->alerts_suppressed() == 1);
}
