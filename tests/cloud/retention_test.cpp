// Tests of retention (retention.hpp) on real store files: old raw frames go, everything the
// portal reads stays, every portal answer is unchanged, a replayed old frame stores nothing and
// cannot move the ack back or reopen a gap, the status log keeps what availability needs, an
// older store's `records` are swept as before, freed pages are reused, and [retention] is read
// strictly.
//
// The frames are delivered through the real writer's per-frame logic (intake.hpp) on the store's
// connection, as ingest's writer does for one accepted frame: a signed frame is written, the
// coverage persisted, the transaction committed, and the ack is the stored_through persisted.
// (The writer's broker side is driven end to end by tests/integration/20_cloud_api.py.)
#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/ingest/ingest.hpp"
#include "hoistway/cloud/ingest/intake.hpp"
#include "hoistway/cloud/ingest/retention.hpp"
#include "hoistway/cloud/portal/api.hpp"
#include "hoistway/cloud/portal/queries.hpp"
#include "hoistway/cloud/server/server_config.hpp"
#include "hoistway/cloud/store/coverage.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/record_json.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "ingest_toml.hpp"
#include "temp_dir.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace common = hoistway::common;
using nlohmann::json;

constexpr std::int64_t second = 1000;
constexpr std::int64_t minute = 60 * second;
constexpr std::int64_t hour = 60 * minute;
constexpr std::int64_t day = 24 * hour;

const std::int64_t t0 = common::parse_rfc3339("2026-11-25T00:00:00Z").value();
const std::vector<std::uint8_t> device_key(32, 7);

struct frame {
  std::vector<common::record> records;
  std::uint64_t outbox_floor = 0;
};

common::run_state sample(bool in_service, std::int16_t floor = 1) {
  common::run_state s;
  s.in_service = in_service;
  s.mode = in_service ? common::car_mode::normal : common::car_mode::inspection;
  s.floor = floor;
  s.door = common::door_state::closed;
  s.snapshot = true;  // every sample gets a status_log row
  return s;
}

// One device "d1" whose car 0 is unit "U1", the writer's intake on the store's connection,
// queries on their own connection.
struct fixture {
  hoistway::testing::temp_dir dir{"hoistway-retention"};
  std::string path = dir.file("cloud.db");
  std::shared_ptr<common::manual_clock> clock = std::make_shared<common::manual_clock>(t0, 0);
  std::optional<hc::store> st;
  std::optional<hc::intake> writer;
  std::shared_ptr<hc::queries> q;
  hc::retention_counters counters;
  std::uint64_t next_seq = 0;
  std::size_t stored_last = 0;  // records newly stored by the last deliver()
  std::size_t late_last = 0;    // of those, the ones below a seq d1 had delivered before

  fixture() {
    restart();
    hc::device_provision d{"d1", 1, device_key, {"U1"}};
    REQUIRE(st->provision(d));
    auto opened = hc::queries::open(path, clock);
    REQUIRE_OK(opened);
    q = *opened;
  }

  // What a restarted ingest holds: the store reopened and a new intake, whose coverage is read
  // from the store (stored_through and the intervals above it) and projector from the tables.
  void restart() {
    writer.reset();
    st.reset();
    auto s = hc::store::open(path);
    REQUIRE_OK(s);
    st.emplace(std::move(*s));
    auto w = hc::intake::open(*st, [](const std::string& device, std::uint8_t car) {
      return device == "d1" && car == 0 ? std::optional<std::string>("U1") : std::nullopt;
    });
    REQUIRE_OK(w);
    writer.emplace(std::move(*w));
  }

  common::record make(std::int64_t wall_ms, common::record_body body) {
    return common::record{++next_seq, 0, wall_ms, wall_ms, 1, std::move(body)};
  }

  // As ingest's writer handles one accepted frame of d1, received now; answers the ack it would
  // publish.
  std::uint64_t deliver(const frame& f) {
    common::batch b;
    b.device_id = "d1";
    b.boot = 1;
    b.boot_id = "boot-1";
    b.sent_at_ms = clock->wall_ms();
    b.outbox_floor = f.outbox_floor;
    b.records = f.records;
    const auto bytes = common::wire::encode_frame(b, 1, device_key);
    auto tx = st->begin();
    REQUIRE_OK(tx);
    std::vector<hc::pushed> pushes;
    auto written = writer->write(b, bytes, clock->wall_ms(), pushes);
    REQUIRE_OK(written);
    auto acks = writer->persist(clock->wall_ms());
    REQUIRE_OK(acks);
    REQUIRE(acks->size() == 1);
    REQUIRE(tx->commit());
    stored_last = written->fresh;
    late_last = written->late;
    return acks->front().stored_through;
  }
  // The records of `f` delivered `per_frame` at a time, a minute apart; answers the last ack.
  std::uint64_t deliver_in_frames(const frame& f, std::size_t per_frame) {
    std::uint64_t ack = 0;
    for (std::size_t i = 0; i < f.records.size(); i += per_frame) {
      frame part;
      const auto end = std::min(f.records.size(), i + per_frame);
      part.records.assign(f.records.begin() + static_cast<std::ptrdiff_t>(i),
                          f.records.begin() + static_cast<std::ptrdiff_t>(end));
      ack = deliver(part);
      clock->advance(minute);
    }
    return ack;
  }

  void sweep(hc::retention_config config) {
    auto r = hc::retention::create(st->db(), config, counters);
    REQUIRE_OK(r);
    auto swept = r->sweep_now(clock->wall_ms(), clock->mono_ms());
    REQUIRE_OK(swept);
  }

  std::int64_t scalar(const std::string& sql) {
    auto stmt = st->db().prepare(sql);
    REQUIRE_OK(stmt);
    auto row = stmt->step();
    REQUIRE(row.has_value());
    REQUIRE(*row == common::sqlite::step_result::row);
    return stmt->column_int(0);
  }
  std::uint64_t stored_through() {
    return static_cast<std::uint64_t>(
        scalar("SELECT stored_through FROM devices WHERE device_id = 'd1'"));
  }
  // d1's committed coverage, as a restarted writer reads it.
  hc::seq_coverage coverage() {
    auto c = st->coverage("d1");
    REQUIRE(c.has_value());
    REQUIRE(c->has_value());
    return **c;
  }
  std::int64_t frames() { return scalar("SELECT COUNT(*) FROM frames"); }
  // Records the archive holds (a frame's records are first_seq..last_seq; fresh is NULL here
  // unless a frame mixed old and new records).
  std::int64_t archived_records() {
    return scalar("SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM frames");
  }

  // Everything the portal reads about U1 over a range, as one value to compare.
  json answers(hc::time_range range) {
    json out;
    auto events = q->events("U1", range, "", 10'000, "");
    REQUIRE(events.has_value());
    out["events"] = events->events;
    auto usage = q->usage("U1", range, hc::bucket::hour, 0);
    REQUIRE(usage.has_value());
    out["usage"] = *usage;
    auto availability = q->availability("U1", range, 150 * second);
    REQUIRE(availability.has_value());
    out["availability"] = *availability;
    auto visits = q->visits("U1", 100);
    REQUIRE(visits.has_value());
    out["visits"] = *visits;
    auto report = q->visit_report("U1", "v1");
    REQUIRE(report.has_value());
    out["report"] = report->value_or(json());
    auto alerts = q->alerts({"U1"}, "", 100);
    REQUIRE(alerts.has_value());
    out["alerts"] = *alerts;
    return out;
  }
};

hc::retention_config samples_for(std::int64_t days, std::size_t batch_rows = 1000) {
  hc::retention_config c;
  c.samples_days = days;
  c.status_log_days = 0;
  c.batch_rows = batch_rows;
  return c;
}

// Old history: samples every minute around every kind of event (trip, door cycle, fault →
// alert, entrapment → alert, mode change, a visit with a checklist, a usage roll-up).
frame old_history(fixture& f, std::int64_t start) {
  frame out;
  std::int64_t t = start;
  auto tick = [&] { return t += minute; };
  for (int i = 0; i < 5; ++i) out.records.push_back(f.make(tick(), sample(true, 1)));
  out.records.push_back(f.make(tick(), common::trip{1, 5, t - 9000, t, 9000, 2500, 12'000}));
  out.records.push_back(f.make(tick(), common::door_cycle{5, 4000, 1}));
  out.records.push_back(f.make(tick(), sample(true, 5)));
  out.records.push_back(f.make(tick(), common::fault_event{42, common::severity::major, true}));
  out.records.push_back(f.make(tick(), common::entrapment{true, 5, 12'000, 300, true}));
  out.records.push_back(f.make(tick(), sample(true, 5)));
  out.records.push_back(f.make(tick(), common::entrapment{false, 5, 12'000, 0, false}));
  out.records.push_back(
      f.make(tick(), common::mode_change{common::car_mode::normal, common::car_mode::inspection}));
  out.records.push_back(f.make(tick(), sample(false, 5)));
  out.records.push_back(f.make(tick(), common::technician_visit{true, "v1", "Sato"}));
  out.records.push_back(f.make(tick(), common::checklist_item{"v1", "brakes", true, "fine"}));
  out.records.push_back(f.make(tick(), common::checklist_item{"v1", "ropes", false, "worn"}));
  out.records.push_back(f.make(tick(), common::technician_visit{false, "v1", "Sato"}));
  out.records.push_back(
      f.make(tick(), common::mode_change{common::car_mode::inspection, common::car_mode::normal}));
  for (int i = 0; i < 5; ++i) out.records.push_back(f.make(tick(), sample(true, 2)));
  out.records.push_back(f.make(tick(), common::usage_rollup{start, 900, 1, 1, 1, 9, 12'000}));
  out.records.push_back(f.make(tick(), common::fault_event{42, common::severity::major, false}));
  return out;
}

frame recent_history(fixture& f, std::int64_t start) {
  frame out;
  for (int i = 0; i < 6; ++i) out.records.push_back(f.make(start + i * minute, sample(true, 3)));
  out.records.push_back(f.make(start + 7 * minute, common::trip{3, 1, 0, 0, 8000, 2500, 8000}));
  return out;
}

std::int64_t count_samples(const frame& f) {
  std::int64_t n = 0;
  for (const auto& r : f.records) n += common::is_sample(r.body) ? 1 : 0;
  return n;
}

}  // namespace

// The frames mix samples and events as agents send them: a frame goes whole once it is old (its
// events live on in `events`, visits, checklists and alerts), so what is left of the old period
// is exactly what the portal reads, and the archive keeps the recent frames only.
TEST_CASE("retention: old raw frames go, recent frames, events, usage, visits and alerts stay") {
  fixture f;
  const auto old_frame = old_history(f, t0);
  constexpr std::size_t per_frame = 2;
  const auto old_frames = static_cast<std::int64_t>((old_frame.records.size() + 1) / per_frame);
  f.deliver_in_frames(old_frame, per_frame);  // received from t0, a minute apart
  f.clock->advance(40 * day);
  const auto recent_start = f.clock->wall_ms() - hour;
  const auto recent_frame = recent_history(f, recent_start);
  f.deliver(recent_frame);

  const hc::time_range old_range{t0, t0 + day};
  const hc::time_range recent_range{recent_start - hour, f.clock->wall_ms()};
  const auto old_answers = f.answers(old_range);
  const auto recent_answers = f.answers(recent_range);
  REQUIRE(f.frames() == old_frames + 1);
  REQUIRE(f.archived_records() ==
          static_cast<std::int64_t>(old_frame.records.size() + recent_frame.records.size()));
  const auto events = f.scalar("SELECT COUNT(*) FROM events");
  const auto status_log = f.scalar("SELECT COUNT(*) FROM status_log");
  const auto unit_status = f.scalar("SELECT COUNT(*) FROM unit_status");
  const auto through = f.stored_through();
  const auto coverage = f.coverage();
  REQUIRE(old_answers["alerts"]["alerts"].size() == 3);  // entrapment, fault, out of service
  REQUIRE(old_answers["events"].size() > 10);
  REQUIRE(status_log >= count_samples(old_frame) + count_samples(recent_frame));

  // Batches of 4 rows: several steps, each its own transaction.
  f.sweep(samples_for(30, 4));

  CHECK(f.frames() == 1);
  CHECK(f.archived_records() == static_cast<std::int64_t>(recent_frame.records.size()));
  CHECK(f.scalar("SELECT COUNT(*) FROM frames WHERE last_seq <= " +
                 std::to_string(old_frame.records.back().seq)) == 0);
  CHECK(f.scalar("SELECT MIN(first_seq) FROM frames") ==
        static_cast<std::int64_t>(recent_frame.records.front().seq));
  CHECK(f.scalar("SELECT COUNT(*) FROM records") == 0);  // no longer written
  CHECK(f.scalar("SELECT COUNT(*) FROM events") == events);
  CHECK(f.scalar("SELECT COUNT(*) FROM status_log") == status_log);  // status_log_days = 0
  CHECK(f.scalar("SELECT COUNT(*) FROM unit_status") == unit_status);
  CHECK(f.scalar("SELECT COUNT(*) FROM visits") == 1);
  CHECK(f.scalar("SELECT COUNT(*) FROM visit_checklist") == 2);
  CHECK(f.scalar("SELECT COUNT(*) FROM events WHERE kind = 'usage_rollup'") == 1);
  CHECK(f.stored_through() == through);
  CHECK(f.coverage() == coverage);
  // No portal answer changes, for the swept period or the kept one.
  CHECK(f.answers(old_range) == old_answers);
  CHECK(f.answers(recent_range) == recent_answers);

  CHECK(f.counters.frames_deleted == static_cast<std::uint64_t>(old_frames));
  CHECK(f.counters.samples_deleted == 0);
  CHECK(f.counters.status_log_deleted == 0);
  CHECK(f.counters.sweeps == 1);
  CHECK(f.counters.failures == 0);
  CHECK(f.counters.step_count >= static_cast<std::uint64_t>(old_frames / 4 + 1));
  CHECK(f.counters.last_sweep_end_ms == f.clock->wall_ms());
  CHECK(f.counters.store_pages > 0);

  SUBCASE("a second sweep deletes nothing more, in one step") {
    const auto steps = f.counters.step_count.load();
    f.sweep(samples_for(30, 4));
    CHECK(f.counters.frames_deleted == static_cast<std::uint64_t>(old_frames));
    CHECK(f.frames() == 1);
    CHECK(f.counters.sweeps == 2);
    // The walk meets the recent frame first and stops there; no legacy records to visit.
    CHECK(f.counters.step_count - steps == 1);
  }
  SUBCASE("samples_days = 0 keeps the frames forever") {
    f.clock->advance(400 * day);
    f.sweep(samples_for(0));
    CHECK(f.frames() == 1);
    CHECK(f.counters.sweeps == 1);  // a disabled retention does not sweep
  }
}

TEST_CASE("retention: a replayed old frame after the sweep stores nothing, the ack stays") {
  fixture f;
  const auto old_frame = old_history(f, t0);
  const auto ack = f.deliver(old_frame);
  REQUIRE(ack == old_frame.records.back().seq);
  f.clock->advance(40 * day);
  const auto recent_frame = recent_history(f, f.clock->wall_ms() - hour);
  const auto recent_ack = f.deliver(recent_frame);
  f.sweep(samples_for(30));
  REQUIRE(f.scalar("SELECT COUNT(*) FROM frames WHERE last_seq <= " + std::to_string(ack)) == 0);
  REQUIRE(f.counters.frames_deleted == 1);

  const auto frames = f.frames();
  const auto events = f.scalar("SELECT COUNT(*) FROM events");
  const auto status_log = f.scalar("SELECT COUNT(*) FROM status_log");
  const auto alerts = f.scalar("SELECT COUNT(*) FROM alerts");
  const auto answers = f.answers({t0, f.clock->wall_ms()});

  auto check_replay = [&](const frame& replayed) {
    const auto answer = f.deliver(replayed);
    CHECK(f.stored_last == 0);
    CHECK(answer == recent_ack);  // the ack does not move back
    CHECK(f.stored_through() == recent_ack);
    CHECK(f.coverage().pending_intervals() == 0);  // no gap reopened
    CHECK(f.frames() == frames);                   // nothing archived
    CHECK(f.scalar("SELECT COUNT(*) FROM events") == events);
    CHECK(f.scalar("SELECT COUNT(*) FROM status_log") == status_log);
    CHECK(f.scalar("SELECT COUNT(*) FROM alerts") == alerts);
    CHECK(f.answers({t0, f.clock->wall_ms()}) == answers);
  };
  SUBCASE("in the same process") { check_replay(old_frame); }
  SUBCASE("after a restart (coverage read from the store)") {
    f.restart();
    check_replay(old_frame);
  }
  SUBCASE("only the samples of the deleted frame, after a restart") {
    f.restart();
    frame samples_only;
    for (const auto& r : old_frame.records) {
      if (common::is_sample(r.body)) samples_only.records.push_back(r);
    }
    check_replay(samples_only);
  }
}

TEST_CASE("retention: frames above a gap are kept, their dedupe survives a restart") {
  fixture f;
  frame first;  // seq 1..5
  for (int i = 0; i < 5; ++i) first.records.push_back(f.make(t0 + i * minute, sample(true)));
  frame lost_for_now;  // seq 6..8: delayed
  for (int i = 5; i < 8; ++i) lost_for_now.records.push_back(f.make(t0 + i * minute, sample(true)));
  frame above;  // seq 9..12, out of order
  for (int i = 8; i < 12; ++i) above.records.push_back(f.make(t0 + i * minute, sample(false)));
  CHECK(f.deliver(first) == 5);
  CHECK(f.late_last == 0);
  CHECK(f.deliver(above) == 5);  // a gap: the ack stays at 5
  CHECK(f.late_last == 0);
  CHECK(f.coverage().missing() == hc::seq_ranges{{6, 8}});
  f.clock->advance(40 * day);
  f.sweep(samples_for(30));
  CHECK(f.scalar("SELECT COUNT(*) FROM frames WHERE last_seq <= 5") == 0);
  CHECK(f.scalar("SELECT COUNT(*) FROM frames WHERE first_seq >= 9") == 1);  // above the ack
  CHECK(f.archived_records() == 4);
  CHECK(f.counters.frames_deleted == 1);

  // The interval [9, 12] is in devices.coverage: a restarted writer knows those seqs without
  // reading the archive.
  f.restart();
  CHECK(f.coverage().pending_intervals() == 1);
  const auto status_log = f.scalar("SELECT COUNT(*) FROM status_log");
  CHECK(f.deliver(first) == 5);  // deleted, covered by stored_through
  CHECK(f.stored_last == 0);
  CHECK(f.deliver(lost_for_now) == 12);  // new: the gap closes, up to the kept interval
  CHECK(f.stored_last == 3);
  CHECK(f.late_last == 3);  // late arrivals: below seq 12, delivered before them
  CHECK(f.scalar("SELECT late_records FROM devices WHERE device_id = 'd1'") == 3);
  CHECK(f.coverage().pending_intervals() == 0);
  CHECK(f.coverage().missing().empty());
  const auto alerts = f.scalar("SELECT COUNT(*) FROM alerts");
  CHECK(f.deliver(above) == 12);  // the agent's resend: a duplicate by coverage
  CHECK(f.stored_last == 0);
  CHECK(f.scalar("SELECT late_records FROM devices WHERE device_id = 'd1'") == 3);  // not late
  CHECK(f.scalar("SELECT COUNT(*) FROM status_log") == status_log + 3);
  CHECK(f.scalar("SELECT COUNT(*) FROM alerts") == alerts);
  CHECK(f.frames() == 2);  // `above` (old) and `lost_for_now` (received now)

  // With the gap closed, the old frame above it goes at the next sweep; the recent one stays.
  f.sweep(samples_for(30));
  CHECK(f.counters.frames_deleted == 2);
  CHECK(f.frames() == 1);
  CHECK(f.scalar("SELECT first_seq FROM frames") == 6);
}

TEST_CASE("retention: the status log keeps what availability needs for kept periods") {
  fixture f;
  // 40 days of a status every 10 minutes, out of service for an hour every 5 hours, sent one
  // frame a day as each day ends.
  std::int64_t last_wall = 0;
  for (std::int64_t d = 0; d < 40; ++d) {
    frame today;
    for (std::int64_t t = t0 + d * day; t < t0 + (d + 1) * day; t += 10 * minute) {
      const bool in_service = ((t - t0) / hour) % 5 != 4;
      today.records.push_back(f.make(t, sample(in_service)));
      last_wall = t;
    }
    f.clock->advance(day);
    f.deliver(today);
  }
  const auto now = f.clock->wall_ms();
  REQUIRE(now == t0 + 40 * day);
  const auto cutoff = now - 30 * day;  // status_log_days = samples_days = 30
  const std::int64_t max_gap = hour;

  std::vector<hc::time_range> kept = {{cutoff, now},
                                      {cutoff + 1, cutoff + 3 * hour},
                                      {cutoff + 7 * minute, cutoff + day},
                                      {cutoff + 5 * day + 3, now - 2 * day}};
  std::vector<json> before;
  for (const auto& r : kept) before.push_back(*f.q->availability("U1", r, max_gap));
  const hc::time_range swept{t0, t0 + 2 * day};
  const auto swept_before = *f.q->availability("U1", swept, max_gap);
  const auto rows = f.scalar("SELECT COUNT(*) FROM status_log");
  const auto frames_before = f.frames();
  const auto old_frames =
      f.scalar("SELECT COUNT(*) FROM frames WHERE received_ms < " + std::to_string(cutoff));
  REQUIRE(old_frames == 9);  // received at the ends of days 0..8

  hc::retention_config config = samples_for(30, 100);
  config.status_log_days = 30;
  f.sweep(config);

  for (std::size_t i = 0; i < kept.size(); ++i) {
    CAPTURE(i);
    CHECK(*f.q->availability("U1", kept[i], max_gap) == before[i]);
  }
  // Before the cutoff only the last row before it is left: older periods answer unknown.
  CHECK(f.scalar("SELECT COUNT(*) FROM status_log WHERE wall_ms < " + std::to_string(cutoff)) == 1);
  const auto swept_after = *f.q->availability("U1", swept, max_gap);
  CHECK(swept_before["unknown_s"] == 0);
  CHECK(swept_after["unknown_s"] == 2 * day / second);
  CHECK(swept_after["availability_of_known"].is_null());
  const auto deleted = rows - f.scalar("SELECT COUNT(*) FROM status_log");
  CHECK(deleted > 0);
  CHECK(f.counters.status_log_deleted == static_cast<std::uint64_t>(deleted));
  CHECK(f.scalar("SELECT COUNT(*) FROM frames WHERE received_ms < " + std::to_string(cutoff)) == 0);
  CHECK(f.frames() == frames_before - old_frames);
  CHECK(f.counters.frames_deleted == static_cast<std::uint64_t>(old_frames));

  // The last status per unit (the projector's in-service state after a restart) is kept.
  CHECK(f.scalar("SELECT MAX(wall_ms) FROM status_log") == last_wall);
}

// Stores written before the frames archive hold one `records` row per record; the sweep still
// deletes their old samples (never above stored_through) and keeps their other kinds, next to
// the frames written since.
TEST_CASE("retention: an older store's records: old samples go, other kinds stay") {
  fixture f;
  // Seqs 1..10 as an older writer stored them, received at t0: samples, with a trip and a door
  // cycle; stored_through 10.
  std::int64_t legacy_samples = 0;
  {
    auto insert = f.st->db().prepare(
        "INSERT INTO records(device_id, seq, car, kind, wall_ms, mono_ms, boot, received_ms, "
        "body) VALUES ('d1', ?1, 0, ?2, ?3, ?3, 1, ?4, ?5)");
    REQUIRE(insert.has_value());
    for (int i = 0; i < 10; ++i) {
      const auto rec = i == 4
                           ? f.make(t0 + i * minute, common::trip{1, 5, 0, 0, 9000, 2500, 12'000})
                       : i == 5 ? f.make(t0 + i * minute, common::door_cycle{5, 4000, 1})
                                : f.make(t0 + i * minute, sample(true));
      legacy_samples += common::is_sample(rec.body) ? 1 : 0;
      REQUIRE(insert->bind(1, static_cast<std::int64_t>(rec.seq))
                  .bind(2, common::kind_name(rec.body))
                  .bind(3, rec.wall_ms)
                  .bind(4, t0)
                  .bind(5, common::to_json_text(rec.body))
                  .run());
    }
    REQUIRE(f.st->db().exec("UPDATE devices SET stored_through = 10 WHERE device_id = 'd1'"));
  }
  frame old_frame;  // seq 11..15, received at t0
  for (int i = 10; i < 15; ++i) old_frame.records.push_back(f.make(t0 + i * minute, sample(true)));
  CHECK(f.deliver(old_frame) == 15);
  f.clock->advance(40 * day);
  frame recent;  // seq 16
  recent.records.push_back(f.make(f.clock->wall_ms(), sample(true)));
  CHECK(f.deliver(recent) == 16);

  f.sweep(samples_for(30, 4));
  CHECK(f.scalar("SELECT COUNT(*) FROM records WHERE kind = 'run_state'") == 0);
  CHECK(f.scalar("SELECT COUNT(*) FROM records") == 10 - legacy_samples);  // the trip, the cycle
  CHECK(f.scalar("SELECT swept_through FROM retention_progress WHERE device_id = 'd1'") == 10);
  CHECK(f.counters.samples_deleted == static_cast<std::uint64_t>(legacy_samples));
  CHECK(f.counters.frames_deleted == 1);
  CHECK(f.frames() == 1);
  CHECK(f.stored_through() == 16);

  // A replay of the legacy seqs is a duplicate by coverage.
  frame replay;
  for (std::uint64_t seq = 1; seq <= 10; ++seq) {
    replay.records.push_back(common::record{seq, 0, t0, t0, 1, sample(true)});
  }
  CHECK(f.deliver(replay) == 16);
  CHECK(f.stored_last == 0);
  CHECK(f.frames() == 1);

  // The legacy walk has reached the end of the device's records: the next sweep does not visit
  // them again (one step, for the frames).
  const auto steps = f.counters.step_count.load();
  f.sweep(samples_for(30, 4));
  CHECK(f.counters.step_count - steps == 1);
  CHECK(f.counters.samples_deleted == static_cast<std::uint64_t>(legacy_samples));
}

TEST_CASE("retention: pages freed by a sweep are reused, so the file stops growing") {
  fixture f;
  std::vector<std::int64_t> pages;
  hc::retention_config config = samples_for(30, 500);
  config.status_log_days = 30;
  for (int round = 0; round < 6; ++round) {
    frame samples;
    for (int i = 0; i < 3000; ++i) {
      // Always in service: no alerts, which are kept forever and would grow the file.
      samples.records.push_back(
          f.make(f.clock->wall_ms() + i * second, sample(true, static_cast<std::int16_t>(i % 9))));
    }
    f.deliver_in_frames(samples, 300);
    f.clock->advance(31 * day);
    f.sweep(config);
    CHECK(f.frames() == 0);
    CHECK(f.scalar("SELECT COUNT(*) FROM status_log") == 1);  // the last row before the cutoff
    pages.push_back(f.scalar("PRAGMA page_count"));
  }
  CAPTURE(pages[0]);
  CAPTURE(pages[1]);
  CAPTURE(pages[5]);
  CHECK(f.counters.frames_deleted == 6 * 10);
  CHECK(f.counters.store_free_pages > 0);
  CHECK(pages[5] <= pages[1] + 2);
}

TEST_CASE("retention: a sweep interleaves with ingest in bounded steps") {
  fixture f;
  frame old_frame;
  for (int i = 0; i < 50; ++i) old_frame.records.push_back(f.make(t0 + i * second, sample(true)));
  f.deliver_in_frames(old_frame, 1);  // 50 frames
  f.clock->advance(31 * day);
  auto config = samples_for(30, 10);
  config.sweep_interval = std::chrono::hours(1);
  auto r = hc::retention::create(f.st->db(), config, f.counters);
  REQUIRE(r.has_value());

  int steps = 0;
  while (true) {
    auto more = r->step(f.clock->wall_ms(), f.clock->mono_ms());
    REQUIRE(more.has_value());
    ++steps;
    // Between two steps the writer commits a batch of its own.
    frame fresh;
    fresh.records.push_back(f.make(f.clock->wall_ms(), sample(true)));
    f.deliver(fresh);
    if (!*more) break;
  }
  CHECK(steps >= 5);  // 50 frames, 10 per step
  CHECK(f.counters.frames_deleted == 50);
  CHECK(f.frames() == steps);  // every fresh frame stays
  // Not due again until sweep_interval has passed.
  auto idle = r->step(f.clock->wall_ms(), f.clock->mono_ms());
  REQUIRE(idle.has_value());
  CHECK_FALSE(*idle);
  CHECK(f.counters.sweeps == 1);
  f.clock->advance(hour);
  auto again = r->step(f.clock->wall_ms(), f.clock->mono_ms());
  REQUIRE(again.has_value());
  while (r->in_progress()) REQUIRE(r->step(f.clock->wall_ms(), f.clock->mono_ms()).has_value());
  CHECK(f.counters.sweeps == 2);
}

TEST_CASE("retention: [retention] is read strictly, with reasons") {
  hoistway::testing::temp_dir dir{"hoistway-retention-config"};
  // `retention` goes after [store] (a section), `top` before it (top-level keys).
  auto load = [&dir](const std::string& retention, const std::string& top = "") {
    return hoistway::testing::load_ingest_toml(dir, retention, top);
  };
  auto fails_with = [&dir](const std::string& retention, const std::string& what,
                           const std::string& top = "") {
    hoistway::testing::check_ingest_toml_fails(dir, retention, what, top);
  };

  SUBCASE("defaults without a section") {
    auto c = load("");
    REQUIRE_OK(c);
    CHECK(c->retention.samples_days == 30);
    CHECK(c->retention.status_log_days == 0);
    CHECK(c->retention.sweep_interval == std::chrono::seconds(3600));
    CHECK(c->retention.batch_rows == 1000);
    CHECK(c->retention.enabled());
  }
  SUBCASE("every key") {
    auto c = load(
        "[retention]\nsamples_days = 7\nstatus_log_days = 365\nsweep_interval_s = 600\n"
        "batch_rows = 250\n");
    REQUIRE_OK(c);
    CHECK(c->retention.samples_days == 7);
    CHECK(c->retention.status_log_days == 365);
    CHECK(c->retention.sweep_interval == std::chrono::seconds(600));
    CHECK(c->retention.batch_rows == 250);
  }
  SUBCASE("keep everything") {
    auto c = load("[retention]\nsamples_days = 0\n");
    REQUIRE(c.has_value());
    CHECK_FALSE(c->retention.enabled());
  }
  SUBCASE("bad values") {
    fails_with("[retention]\nsamples_days = -1\n", "retention.samples_days: must be between 0 and");
    fails_with("[retention]\nsamples_days = 30.5\n", "retention.samples_days: expected an integer");
    fails_with("[retention]\nsamples_days = \"30\"\n", "expected an integer");
    fails_with("[retention]\nsweep_interval_s = 5\n",
               "retention.sweep_interval_s: must be between 60 and");
    fails_with("[retention]\nbatch_rows = 0\n", "retention.batch_rows: must be between 10 and");
    fails_with("[retention]\nbatch_rows = 1000000\n", "retention.batch_rows: must be between");
    fails_with("[retention]\nsample_days = 30\n", "retention.sample_days: unknown key");
    fails_with("[retention]\nstatus_log_days = 7\n",
               "retention.status_log_days: must be 0 (keep forever) or at least samples_days");
    fails_with("[retention]\nsamples_days = 0\nstatus_log_days = 7\n",
               "retention.status_log_days: must be 0");
    fails_with("", "retention: expected a table", "retention = 3\n");
  }
  SUBCASE("the errors name the file and line") {
    auto c = load("[retention]\nbatch_rows = 0\n");
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message.find("ingest.toml:4") != std::string::npos);
  }
}

TEST_CASE("retention: config/ingest.example.toml states the defaults") {
  const auto root = std::filesystem::path(HOISTWAY_SOURCE_DIR);
  auto c = hc::server_config::load((root / "config" / "ingest.example.toml").string());
  REQUIRE_OK(c);
  const hc::retention_config defaults;
  CHECK(c->retention.samples_days == defaults.samples_days);
  CHECK(c->retention.status_log_days == defaults.status_log_days);
  CHECK(c->retention.sweep_interval == defaults.sweep_interval);
  CHECK(c->retention.batch_rows == defaults.batch_rows);
}

TEST_CASE("retention: /metrics shows the sweep's counters") {
  hc::ingest_counters counters;
  counters.retention.frames_deleted = 789;
  counters.retention.samples_deleted = 1234;
  counters.retention.status_log_deleted = 56;
  counters.retention.sweeps = 3;
  counters.retention.last_sweep_end_ms = 1'700'000'000'500;
  counters.retention.last_sweep_duration_us = 2'500'000;
  counters.retention.step_sum_us = 1'500'000;
  counters.retention.step_count = 300;
  counters.retention.store_free_pages = 77;
  hc::api_context ctx;
  ctx.ingest = [&counters] { return &counters; };
  hc::api api(ctx);
  hc::http_request request;
  request.method = "GET";
  request.target = request.path = "/metrics";
  request.remote_address = "127.0.0.1";  // /metrics is served to local peers by default
  const auto r = api.handle(request);
  REQUIRE(r.status == 200);
  const auto& text = r.body;
  for (const auto* line :
       {"# TYPE hoistway_retention_rows_deleted_total counter",
        "hoistway_retention_rows_deleted_total{table=\"frames\"} 789\n",
        "hoistway_retention_rows_deleted_total{table=\"records\"} 1234\n",
        "hoistway_retention_rows_deleted_total{table=\"status_log\"} 56\n",
        "hoistway_retention_sweeps_total 3\n", "hoistway_retention_sweep_failures_total 0\n",
        "# TYPE hoistway_retention_last_sweep_timestamp_seconds gauge",
        "hoistway_retention_last_sweep_timestamp_seconds 1700000000.5",
        "hoistway_retention_last_sweep_duration_seconds 2.5",
        "# TYPE hoistway_retention_step_seconds summary", "hoistway_retention_step_seconds_sum 1.5",
        "hoistway_retention_step_seconds_count 300\n", "hoistway_store_free_pages 77\n"}) {
    CAPTURE(line);
    CHECK(text.find(line) != std::string::npos);
  }
}
