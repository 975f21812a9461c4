// Portal reads.
#include "hoistway/cloud/portal/queries.hpp"

#include <algorithm>
#include <map>

#include "hoistway/cloud/live/views.hpp"
#include "hoistway/cloud/store/store.hpp"

namespace hoistway::cloud {

using common::errc;
using common::fail;
using nlohmann::json;
namespace sqlite = common::sqlite;

namespace {

json parse_body(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

json event_json(sqlite::statement& s) {
  // columns: device_id, seq, kind, wall_ms, body
  return {{"seq", s.column_int(1)},
          {"type", s.column_text(2)},
          {"at", common::format_rfc3339(s.column_int(3))},
          {"data", parse_body(s.column_text(4))}};
}

std::string escape_html(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string text_of(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

}  // namespace

common::result<std::shared_ptr<queries>> queries::open(const std::string& store_path,
                                                       std::shared_ptr<common::clock> clock) {
  auto db = sqlite::database::open(store_path, {.sync = sqlite::durability::full});
  if (!db) return std::unexpected(db.error());
  if (auto st = migrate_store(*db); !st) return std::unexpected(st.error());
  return std::shared_ptr<queries>(new queries(std::move(*db), std::move(clock)));
}

common::result<events_page> queries::events(const std::string& unit_id, time_range range,
                                            const std::string& type, std::size_t limit,
                                            const std::string& cursor) {
  // Cursor "<wall_ms>.<device seq>": the last event of the previous page.
  std::int64_t after_wall = range.from_ms - 1;
  std::int64_t after_seq = INT64_MAX;
  if (!cursor.empty()) {
    const auto dot = cursor.find('.');
    try {
      if (dot == std::string::npos) throw std::invalid_argument("cursor");
      std::size_t used = 0;
      after_wall = std::stoll(cursor.substr(0, dot), &used);
      if (used != dot) throw std::invalid_argument("cursor");
      after_seq = std::stoll(cursor.substr(dot + 1), &used);
      if (used != cursor.size() - dot - 1) throw std::invalid_argument("cursor");
    } catch (const std::exception&) {
      return fail(errc::invalid_argument, "cursor is not one this server gave");
    }
  }
  std::lock_guard lock(mutex_);
  auto stmt = db_.prepare(
      "SELECT device_id, seq, kind, wall_ms, body FROM events WHERE unit_id = ?1 "
      "AND (wall_ms > ?2 OR (wall_ms = ?2 AND seq > ?3)) AND wall_ms >= ?4 AND wall_ms < ?5 "
      "AND (?6 = '' OR kind = ?6) ORDER BY wall_ms, seq LIMIT ?7");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, unit_id)
      .bind(2, after_wall)
      .bind(3, cursor.empty() ? std::int64_t{-1} : after_seq)
      .bind(4, range.from_ms)
      .bind(5, range.to_ms)
      .bind(6, type)
      .bind(7, static_cast<std::int64_t>(limit + 1));
  events_page page;
  std::int64_t last_wall = 0;
  std::int64_t last_seq = 0;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    if (page.events.size() == limit) {
      page.next_cursor = std::to_string(last_wall) + "." + std::to_string(last_seq);
      break;
    }
    page.events.push_back(event_json(*stmt));
    last_wall = stmt->column_int(3);
    last_seq = stmt->column_int(1);
  }
  return page;
}

common::result<json> queries::usage(const std::string& unit_id, time_range range, bucket size,
                                    int offset_minutes) {
  const std::int64_t width = size == bucket::hour ? 3'600'000 : 86'400'000;
  const std::int64_t shift = static_cast<std::int64_t>(offset_minutes) * 60'000;
  std::lock_guard lock(mutex_);
  auto stmt = db_.prepare(
      "SELECT ((wall_ms + ?4) / ?5) * ?5 - ?4 AS b, "
      "SUM(kind = 'trip'), SUM(kind = 'door_cycle'), "
      "SUM(CASE WHEN kind = 'trip' THEN json_extract(body, '$.duration_ms') ELSE 0 END), "
      "SUM(CASE WHEN kind = 'trip' THEN json_extract(body, '$.distance_mm') ELSE 0 END) "
      "FROM events WHERE unit_id = ?1 AND wall_ms >= ?2 AND wall_ms < ?3 "
      "AND kind IN ('trip', 'door_cycle') GROUP BY b ORDER BY b");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, unit_id).bind(2, range.from_ms).bind(3, range.to_ms).bind(4, shift).bind(5, width);
  std::map<std::int64_t, json> found;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    found[stmt->column_int(0)] = {{"trips", stmt->column_int(1)},
                                  {"door_cycles", stmt->column_int(2)},
                                  {"running_s", stmt->column_int(3) / 1000},
                                  {"distance_m", stmt->column_int(4) / 1000}};
  }
  // Every bucket of the range, empty ones included, so charts need no gap filling.
  json buckets = json::array();
  json totals = {{"trips", 0}, {"door_cycles", 0}, {"running_s", 0}, {"distance_m", 0}};
  const std::int64_t first = ((range.from_ms + shift) / width) * width - shift;
  for (std::int64_t b = first; b < range.to_ms && buckets.size() < 10'000; b += width) {
    json counts = found.contains(b)
                      ? found[b]
                      : json{{"trips", 0}, {"door_cycles", 0}, {"running_s", 0}, {"distance_m", 0}};
    for (const auto* key : {"trips", "door_cycles", "running_s", "distance_m"}) {
      totals[key] = totals[key].get<std::int64_t>() + counts[key].get<std::int64_t>();
    }
    counts["start"] = common::format_rfc3339(b);
    buckets.push_back(std::move(counts));
  }
  return json{{"unit_id", unit_id},
              {"bucket", size == bucket::hour ? "hour" : "day"},
              {"from", common::format_rfc3339(range.from_ms)},
              {"to", common::format_rfc3339(range.to_ms)},
              {"totals", totals},
              {"buckets", buckets}};
}

common::result<json> queries::availability(const std::string& unit_id, time_range range,
                                           std::int64_t max_gap_ms) {
  std::lock_guard lock(mutex_);
  // The last status before the range, then every status in it.
  auto stmt = db_.prepare(
      "SELECT wall_ms, in_service FROM (SELECT wall_ms, seq, in_service FROM status_log "
      "WHERE unit_id = ?1 AND wall_ms < ?2 ORDER BY wall_ms DESC, seq DESC LIMIT 1) "
      "UNION ALL SELECT wall_ms, in_service FROM (SELECT wall_ms, seq, in_service FROM status_log "
      "WHERE unit_id = ?1 AND wall_ms >= ?2 AND wall_ms < ?3 ORDER BY wall_ms, seq)");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, unit_id).bind(2, range.from_ms).bind(3, range.to_ms);
  std::int64_t up = 0;
  std::int64_t down = 0;
  std::optional<std::pair<std::int64_t, bool>> previous;
  auto account = [&](std::int64_t until) {
    if (!previous) return;
    const auto start = std::max(previous->first, range.from_ms);
    const auto end = std::min({until, previous->first + max_gap_ms, range.to_ms});
    if (end > start) (previous->second ? up : down) += end - start;
  };
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    const auto at = stmt->column_int(0);
    account(at);
    previous = {at, stmt->column_int(1) != 0};
  }
  // The last status holds at most max_gap after it, and never past now.
  account(std::min(range.to_ms, clock_->wall_ms()));
  const auto total = range.to_ms - range.from_ms;
  const auto unknown = total - up - down;
  return json{
      {"unit_id", unit_id},
      {"from", common::format_rfc3339(range.from_ms)},
      {"to", common::format_rfc3339(range.to_ms)},
      {"in_service_s", up / 1000},
      {"out_of_service_s", down / 1000},
      {"unknown_s", unknown / 1000},
      {"availability", total > 0 ? static_cast<double>(up) / static_cast<double>(total) : 0.0},
      {"availability_of_known",
       up + down > 0 ? json(static_cast<double>(up) / static_cast<double>(up + down)) : json()}};
}

common::result<json> queries::visits(const std::string& unit_id, std::size_t limit) {
  std::lock_guard lock(mutex_);
  auto stmt = db_.prepare(
      "SELECT visit_id, technician, started_ms, ended_ms, "
      "(SELECT COUNT(*) FROM visit_checklist c WHERE c.visit_id = v.visit_id), "
      "(SELECT COUNT(*) FROM visit_checklist c WHERE c.visit_id = v.visit_id AND c.ok = 0) "
      "FROM visits v WHERE unit_id = ?1 ORDER BY started_ms DESC LIMIT ?2");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, unit_id).bind(2, static_cast<std::int64_t>(limit));
  json list = json::array();
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    list.push_back({{"visit_id", stmt->column_text(0)},
                    {"technician", stmt->column_text(1)},
                    {"started_at", common::format_rfc3339(stmt->column_int(2))},
                    {"ended_at",
                     stmt->is_null(3) ? json() : json(common::format_rfc3339(stmt->column_int(3)))},
                    {"on_site", stmt->is_null(3)},
                    {"checklist_items", stmt->column_int(4)},
                    {"checklist_ng", stmt->column_int(5)}});
  }
  return json{{"unit_id", unit_id}, {"visits", list}};
}

common::result<std::optional<json>> queries::visit_report(const std::string& unit_id,
                                                          const std::string& visit_id) {
  std::lock_guard lock(mutex_);
  auto visit = db_.prepare(
      "SELECT technician, started_ms, ended_ms FROM visits WHERE visit_id = ?1 AND unit_id = ?2");
  if (!visit) return std::unexpected(visit.error());
  visit->bind(1, visit_id).bind(2, unit_id);
  auto found = visit->step();
  if (!found) return std::unexpected(found.error());
  if (*found != sqlite::step_result::row) return std::optional<json>();
  const auto started = visit->column_int(1);
  // (A flag and a value rather than std::optional: g++ 12 warns falsely on the latter here.)
  const bool has_ended = !visit->is_null(2);
  const std::int64_t ended_ms = has_ended ? visit->column_int(2) : 0;
  json report = {{"visit_id", visit_id},
                 {"unit_id", unit_id},
                 {"technician", visit->column_text(0)},
                 {"started_at", common::format_rfc3339(started)},
                 {"ended_at", has_ended ? json(common::format_rfc3339(ended_ms)) : json()},
                 {"on_site", !has_ended}};
  auto items = db_.prepare(
      "SELECT item, ok, note, wall_ms FROM visit_checklist WHERE visit_id = ?1 ORDER BY wall_ms, "
      "item");
  if (!items) return std::unexpected(items.error());
  items->bind(1, visit_id);
  json checklist = json::array();
  while (true) {
    auto row = items->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    checklist.push_back({{"item", items->column_text(0)},
                         {"result", items->column_int(1) != 0 ? "ok" : "ng"},
                         {"note", items->column_text(2)},
                         {"at", common::format_rfc3339(items->column_int(3))}});
  }
  report["checklist"] = checklist;
  // What the controller data shows during the visit.
  auto during = db_.prepare(
      "SELECT device_id, seq, kind, wall_ms, body FROM events WHERE unit_id = ?1 AND wall_ms >= ?2 "
      "AND wall_ms <= ?3 AND kind IN ('mode_change', 'door_cycle', 'trip', 'fault') "
      "ORDER BY wall_ms, seq LIMIT 5000");
  if (!during) return std::unexpected(during.error());
  during->bind(1, unit_id).bind(2, started).bind(3, has_ended ? ended_ms : clock_->wall_ms());
  json mode_changes = json::array();
  json faults = json::array();
  std::int64_t trips = 0;
  std::int64_t door_cycles = 0;
  while (true) {
    auto row = during->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    const auto kind = during->column_text(2);
    if (kind == "trip") {
      ++trips;
    } else if (kind == "door_cycle") {
      ++door_cycles;
    } else if (kind == "mode_change") {
      mode_changes.push_back(event_json(*during));
    } else {
      faults.push_back(event_json(*during));
    }
  }
  report["controller"] = {{"trips", trips},
                          {"door_cycles", door_cycles},
                          {"mode_changes", mode_changes},
                          {"faults", faults}};
  return std::optional<json>(std::move(report));
}

common::result<json> queries::alerts(const std::vector<std::string>& unit_ids,
                                     const alert_filter& filter) {
  // Cursor "<raised_ms>.<alert_id>": the last alert of the previous page (newest first).
  std::int64_t before_ms = INT64_MAX;
  std::int64_t before_id = INT64_MAX;
  if (!filter.cursor.empty()) {
    const auto dot = filter.cursor.find('.');
    try {
      if (dot == std::string::npos) throw std::invalid_argument("cursor");
      std::size_t used = 0;
      before_ms = std::stoll(filter.cursor.substr(0, dot), &used);
      if (used != dot) throw std::invalid_argument("cursor");
      before_id = std::stoll(filter.cursor.substr(dot + 1), &used);
      if (used != filter.cursor.size() - dot - 1) throw std::invalid_argument("cursor");
    } catch (const std::exception&) {
      return fail(errc::invalid_argument, "'cursor' is not a cursor this API gave");
    }
  }
  std::lock_guard lock(mutex_);
  json units = unit_ids;
  auto stmt = db_.prepare("SELECT " + std::string(alert_columns) +
                          " FROM alerts WHERE unit_id IN (SELECT value FROM json_each(?1)) "
                          "AND (?2 = '' OR (?2 = 'open' AND state != 'cleared') OR state = ?2) "
                          "AND (?4 = '' OR kind = ?4) AND raised_ms >= ?5 AND raised_ms < ?6 "
                          "AND (raised_ms < ?7 OR (raised_ms = ?7 AND alert_id < ?8)) "
                          "ORDER BY raised_ms DESC, alert_id DESC LIMIT ?3");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, units.dump())
      .bind(2, filter.state)
      .bind(3, static_cast<std::int64_t>(filter.limit + 1))
      .bind(4, filter.kind)
      .bind(5, filter.range ? filter.range->from_ms : INT64_MIN)
      .bind(6, filter.range ? filter.range->to_ms : INT64_MAX)
      .bind(7, before_ms)
      .bind(8, before_id);
  json list = json::array();
  std::optional<std::string> next;
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    if (list.size() == filter.limit) {
      // One more than the page: there is a next page, after the page's last alert.
      const auto& last = list.back();
      next =
          std::to_string(common::parse_rfc3339(last["raised_at"].get<std::string>()).value_or(0)) +
          "." + std::to_string(last["alert_id"].get<std::int64_t>());
      break;
    }
    list.push_back(alert_json(*stmt));
  }
  stmt->reset();
  return json{{"alerts", list}, {"next_cursor", next ? json(*next) : json()}};
}

common::result<json> queries::buildings(const std::string& customer_id) {
  std::lock_guard lock(mutex_);
  auto stmt = db_.prepare(
      "SELECT b.building_id, b.name, b.address, b.time_zone, u.unit_id, u.device_id, u.car, "
      "u.name, u.landings, u.floor_labels FROM buildings b "
      "LEFT JOIN units u ON u.building_id = b.building_id "
      "WHERE b.customer_id = ?1 ORDER BY b.building_id, u.device_id, u.car");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, customer_id);
  json list = json::array();
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    const auto id = stmt->column_text(0);
    if (list.empty() || list.back()["building_id"] != id) {
      list.push_back({{"building_id", id},
                      {"name", stmt->column_text(1)},
                      {"address", stmt->column_text(2)},
                      {"time_zone", stmt->column_text(3)},
                      {"units", json::array()}});
    }
    if (stmt->is_null(4)) continue;  // a building without units
    json labels = json::array();
    if (const auto text = stmt->column_text(9); !text.empty()) {
      labels = json::parse(text, nullptr, false);
      if (!labels.is_array()) labels = json::array();
    }
    list.back()["units"].push_back({{"unit_id", stmt->column_text(4)},
                                    {"device_id", stmt->column_text(5)},
                                    {"car", stmt->column_int(6)},
                                    {"name", stmt->column_text(7)},
                                    {"landings", stmt->column_int(8)},
                                    {"floor_labels", labels}});
  }
  stmt->reset();
  return list;
}

common::result<json> queries::restorations(const std::vector<std::string>& unit_ids,
                                           std::int64_t since_ms) {
  std::lock_guard lock(mutex_);
  json units = unit_ids;
  auto stmt = db_.prepare(
      "SELECT unit_id, state, stopped_ms, awaiting_ms, restored_ms, updated_ms FROM "
      "earthquake_restoration WHERE unit_id IN (SELECT value FROM json_each(?1)) AND "
      "stopped_ms >= ?2 ORDER BY unit_id");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, units.dump()).bind(2, since_ms);
  json list = json::array();
  while (true) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    list.push_back(restoration_json(*stmt));
  }
  stmt->reset();
  return list;
}

common::result<json> queries::technician(const std::string& unit_id, bool in_inspection) {
  std::lock_guard lock(mutex_);
  auto stmt = db_.prepare(open_visit_sql);
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, unit_id);
  auto row = stmt->step();
  if (!row) return std::unexpected(row.error());
  std::optional<open_visit> visit;
  if (*row == sqlite::step_result::row) {
    visit = open_visit{stmt->column_text(0), stmt->column_text(1), stmt->column_int(2),
                       stmt->column_int(3), stmt->column_int(4)};
  }
  stmt->reset();
  std::int64_t since = 0;
  if (in_inspection && !visit) {
    // The first inspection row after the last row in another mode.
    auto first = db_.prepare(
        "SELECT MIN(wall_ms) FROM status_log WHERE unit_id = ?1 AND mode = 'inspection' AND "
        "wall_ms > COALESCE((SELECT MAX(wall_ms) FROM status_log WHERE unit_id = ?1 AND mode != "
        "'inspection'), -1)");
    if (!first) return std::unexpected(first.error());
    first->bind(1, unit_id);
    auto r = first->step();
    if (!r) return std::unexpected(r.error());
    if (*r == sqlite::step_result::row && !first->is_null(0)) since = first->column_int(0);
    first->reset();
  }
  return technician_json(visit, in_inspection, since);
}

namespace {

// The timeline of an alert written before alert_steps existed: what its columns say.
json timeline_from_columns(const json& alert) {
  json out = json::array();
  out.push_back({{"step", "detected"}, {"at", alert["raised_at"]}, {"detail", alert["detail"]}});
  if (!alert["acknowledged_at"].is_null()) {
    out.push_back({{"step", "acknowledged"},
                   {"at", alert["acknowledged_at"]},
                   {"by", alert["acknowledged_by"]}});
  }
  if (!alert["cleared_at"].is_null()) {
    if (alert["kind"] == "entrapment")
      out.push_back({{"step", "released"}, {"at", alert["cleared_at"]}});
    out.push_back({{"step", "cleared"}, {"at", alert["cleared_at"]}});
  }
  return out;
}

}  // namespace

common::result<std::optional<json>> queries::alert(const std::vector<std::string>& unit_ids,
                                                   std::int64_t alert_id) {
  std::lock_guard lock(mutex_);
  auto read =
      db_.prepare("SELECT " + std::string(alert_columns) + " FROM alerts WHERE alert_id = ?1");
  if (!read) return std::unexpected(read.error());
  read->bind(1, alert_id);
  auto row = read->step();
  if (!row) return std::unexpected(row.error());
  if (*row != sqlite::step_result::row ||
      std::find(unit_ids.begin(), unit_ids.end(), read->column_text(1)) == unit_ids.end()) {
    return std::optional<json>();
  }
  auto out = alert_json(*read);
  read->reset();
  auto steps = db_.prepare(
      "SELECT step, at_ms, detail FROM alert_steps WHERE alert_id = ?1 ORDER BY step_no");
  if (!steps) return std::unexpected(steps.error());
  steps->bind(1, alert_id);
  json timeline = json::array();
  while (true) {
    auto s = steps->step();
    if (!s) return std::unexpected(s.error());
    if (*s == sqlite::step_result::done) break;
    json step = parse_body(steps->column_text(2));
    step["step"] = steps->column_text(0);
    step["at"] = common::format_rfc3339(steps->column_int(1));
    timeline.push_back(std::move(step));
  }
  out["timeline"] = timeline.empty() ? timeline_from_columns(out) : std::move(timeline);
  return std::optional<json>(std::move(out));
}

common::result<std::optional<json>> queries::acknowledge_alert(
    const std::vector<std::string>& unit_ids, std::int64_t alert_id, const acknowledger& who,
    const std::string& comment) {
  std::lock_guard lock(mutex_);
  auto tx = sqlite::transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  auto read =
      db_.prepare("SELECT " + std::string(alert_columns) + " FROM alerts WHERE alert_id = ?1");
  if (!read) return std::unexpected(read.error());
  read->bind(1, alert_id);
  auto row = read->step();
  if (!row) return std::unexpected(row.error());
  if (*row != sqlite::step_result::row ||
      std::find(unit_ids.begin(), unit_ids.end(), read->column_text(1)) == unit_ids.end()) {
    return std::optional<json>();
  }
  const auto state = read->column_text(4);
  read->reset();
  if (state == "cleared") return fail(errc::conflict, "the alert is already cleared");
  if (state == "raised") {
    const auto now = clock_->wall_ms();
    auto update = db_.prepare(
        "UPDATE alerts SET state = 'acknowledged', acknowledged_ms = ?2, acknowledged_by = ?3, "
        "acknowledged_by_kind = ?4, acknowledged_email = ?5, acknowledged_comment = ?6 "
        "WHERE alert_id = ?1 AND state = 'raised'");
    if (!update) return std::unexpected(update.error());
    update->bind(1, alert_id).bind(2, now).bind(3, who.by).bind(4, who.kind);
    if (who.email.empty()) {
      update->bind_null(5);
    } else {
      update->bind(5, who.email);
    }
    if (comment.empty()) {
      update->bind_null(6);
    } else {
      update->bind(6, comment);
    }
    if (auto st = update->run(); !st) return std::unexpected(st.error());
    // The timeline's step, in the same transaction (bounded like the projector's steps).
    json detail = {{"by", who.by}, {"by_kind", who.kind}};
    if (!who.email.empty()) detail["email"] = who.email;
    if (!comment.empty()) detail["comment"] = comment;
    auto step = db_.prepare(
        "INSERT INTO alert_steps(alert_id, step_no, step, at_ms, detail) "
        "SELECT ?1, COUNT(*) + 1, 'acknowledged', ?2, ?3 FROM alert_steps WHERE alert_id = ?1 "
        "HAVING COUNT(*) < 16");
    if (!step) return std::unexpected(step.error());
    if (auto st = step->bind(1, alert_id).bind(2, now).bind(3, detail.dump()).run(); !st)
      return std::unexpected(st.error());
  }
  read->bind(1, alert_id);
  if (auto again = read->step(); !again) return std::unexpected(again.error());
  auto out = alert_json(*read);
  read->reset();
  if (auto st = tx->commit(); !st) return std::unexpected(st.error());
  return std::optional<json>(std::move(out));
}

std::string visit_report_html(const json& r) {
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Inspection report " +
      escape_html(text_of(r["visit_id"])) +
      "</title><style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:48em}"
      "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:4px 8px;"
      "text-align:left}.ng{color:#b00;font-weight:bold}@media print{body{margin:0}}</style></head>"
      "<body><h1>Inspection report</h1><table>";
  auto row = [&html](const std::string& k, const std::string& v) {
    html += "<tr><th>" + escape_html(k) + "</th><td>" + escape_html(v) + "</td></tr>";
  };
  row("Unit", text_of(r["unit_id"]));
  row("Visit", text_of(r["visit_id"]));
  row("Technician", text_of(r["technician"]));
  row("Started", text_of(r["started_at"]));
  row("Ended", r["ended_at"].is_null() ? "on site now" : text_of(r["ended_at"]));
  html +=
      "</table><h2>Checklist</h2><table><tr><th>Item</th><th>Result</th><th>Note</th><th>At</th></"
      "tr>";
  for (const auto& item : r["checklist"]) {
    const auto result = text_of(item["result"]);
    html += "<tr><td>" + escape_html(text_of(item["item"])) + "</td><td" +
            (result == "ng" ? " class=\"ng\"" : "") + ">" + escape_html(result) + "</td><td>" +
            escape_html(text_of(item["note"])) + "</td><td>" + escape_html(text_of(item["at"])) +
            "</td></tr>";
  }
  const auto& c = r["controller"];
  html += "</table><h2>Controller data during the visit</h2><table>";
  row("Trips", std::to_string(c["trips"].get<std::int64_t>()));
  row("Door cycles", std::to_string(c["door_cycles"].get<std::int64_t>()));
  for (const auto& m : c["mode_changes"]) {
    row("Mode change at " + text_of(m["at"]),
        text_of(m["data"]["from"]) + " \u2192 " + text_of(m["data"]["to"]));
  }
  for (const auto& f : c["faults"]) {
    row("Fault at " + text_of(f["at"]),
        "code " + text_of(f["data"]["code"]) +
            (f["data"]["raised"].get<bool>() ? " raised" : " cleared"));
  }
  html += "</table></body></html>\n";
  return html;
}

}  // namespace hoistway::cloud
