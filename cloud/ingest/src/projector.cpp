// Projection of records into events, status log, visits and alerts.
#include "hoistway/cloud/ingest/projector.hpp"

#include "hoistway/cloud/live/views.hpp"

#include <iterator>

#include "hoistway/common/record_json.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud {

using nlohmann::json;
namespace sqlite = common::sqlite;

std::string_view to_string(alert_kind kind) noexcept {
  switch (kind) {
    case alert_kind::entrapment:
      return "entrapment";
    case alert_kind::out_of_service:
      return "out_of_service";
    case alert_kind::fault:
      return "fault";
    case alert_kind::earthquake:
      return "earthquake";
    case alert_kind::device_offline:
      return "device_offline";
  }
  return "unknown";
}

std::optional<alert_kind> parse_alert_kind(std::string_view text) noexcept {
  for (auto k : {alert_kind::entrapment, alert_kind::out_of_service, alert_kind::fault,
                 alert_kind::earthquake, alert_kind::device_offline}) {
    if (to_string(k) == text) return k;
  }
  return std::nullopt;
}

namespace {
const std::string alert_by_id_sql =
    "SELECT " + std::string(alert_columns) + " FROM alerts WHERE alert_id = ?1";
}  // namespace

common::result<sqlite::statement*> projector::cached(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    auto stmt = db_->prepare(sql);
    if (!stmt) return std::unexpected(stmt.error());
    it = statements_.emplace(sql, std::move(*stmt)).first;
  }
  it->second.reset();
  return &it->second;
}

common::result<projector> projector::create(sqlite::database& db) {
  projector p(db);
  auto event = db.prepare(
      "INSERT INTO events(device_id, seq, unit_id, kind, wall_ms, body) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!event) return std::unexpected(event.error());
  p.insert_event_.emplace(std::move(*event));
  auto status = db.prepare(
      "INSERT OR IGNORE INTO status_log(unit_id, wall_ms, device_id, seq, in_service, mode) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!status) return std::unexpected(status.error());
  p.insert_status_.emplace(std::move(*status));
  if (auto st = p.reload(); !st) return std::unexpected(st.error());
  return p;
}

common::status projector::reload() {
  decltype(open_) open_alerts;
  auto open =
      db_->prepare("SELECT alert_id, unit_id, kind, code FROM alerts WHERE state != 'cleared'");
  if (!open) return std::unexpected(open.error());
  while (true) {
    auto row = open->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    // A kind this code does not know (a newer writer's) is never raised or cleared here.
    const auto kind = parse_alert_kind(open->column_text(2));
    if (!kind) continue;
    open_alerts[{open->column_text(1), *kind, static_cast<std::uint16_t>(open->column_int(3))}] =
        open->column_int(0);
  }
  decltype(logged_) logged;
  auto last = db_->prepare(
      "SELECT s.unit_id, s.in_service, s.mode FROM status_log s JOIN (SELECT unit_id, "
      "MAX(wall_ms) AS w FROM status_log GROUP BY unit_id) m ON m.unit_id = s.unit_id AND "
      "m.w = s.wall_ms");
  if (!last) return std::unexpected(last.error());
  while (true) {
    auto row = last->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    logged[last->column_text(0)] = {last->column_int(1) != 0,
                                    common::car_mode_named(last->column_text(2))};
  }
  decltype(quake_) quake;
  auto restoring =
      db_->prepare("SELECT unit_id, state FROM earthquake_restoration WHERE state != 'restored'");
  if (!restoring) return std::unexpected(restoring.error());
  while (true) {
    auto row = restoring->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    quake[restoring->column_text(0)] = restoring->column_text(1) == "seismic_stop"
                                           ? restoration::seismic_stop
                                           : restoration::awaiting_inspection;
  }
  open_ = std::move(open_alerts);
  logged_ = std::move(logged);
  quake_ = std::move(quake);
  return {};
}

common::status projector::restoration_step(const std::string& unit_id, restoration next,
                                           std::int64_t at_ms, std::vector<pushed>& out) {
  std::string sql;
  switch (next) {
    case restoration::seismic_stop:
      // A new earthquake operation starts a new restoration.
      sql =
          "INSERT INTO earthquake_restoration(unit_id, state, stopped_ms, updated_ms) "
          "VALUES (?1, 'seismic_stop', ?2, ?2) ON CONFLICT(unit_id) DO UPDATE SET "
          "state = 'seismic_stop', stopped_ms = ?2, awaiting_ms = NULL, restored_ms = NULL, "
          "updated_ms = ?2";
      break;
    case restoration::awaiting_inspection:
      sql =
          "UPDATE earthquake_restoration SET state = 'awaiting_inspection', awaiting_ms = ?2, "
          "updated_ms = ?2 WHERE unit_id = ?1";
      break;
    case restoration::restored:
      sql =
          "UPDATE earthquake_restoration SET state = 'restored', restored_ms = ?2, "
          "awaiting_ms = COALESCE(awaiting_ms, ?2), updated_ms = ?2 WHERE unit_id = ?1";
      break;
  }
  auto stmt = cached(sql);
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = (*stmt)->bind(1, unit_id).bind(2, at_ms).run(); !st) return st;
  if (next == restoration::restored) {
    quake_.erase(unit_id);
  } else {
    quake_[unit_id] = next;
  }
  auto read = cached(std::string(restoration_sql));
  if (!read) return std::unexpected(read.error());
  (*read)->bind(1, unit_id);
  auto row = (*read)->step();
  if (!row) {
    (*read)->reset();
    return std::unexpected(row.error());
  }
  if (*row == sqlite::step_result::row) {
    out.push_back({unit_id, push_type::earthquake, restoration_json(**read)});
  }
  (*read)->reset();
  return {};
}

common::status projector::push_alert(std::int64_t alert_id, std::vector<pushed>& out) {
  auto stmt = cached(alert_by_id_sql);
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->bind(1, alert_id);
  auto row = (*stmt)->step();
  if (!row) return std::unexpected(row.error());
  if (*row == sqlite::step_result::row)
    out.push_back({(*stmt)->column_text(1), push_type::alert, alert_json(**stmt)});
  // A SELECT left mid-way keeps a read transaction open on this connection after the commit;
  // other connections' writes would then lock the writer out of its next BEGIN IMMEDIATE.
  (*stmt)->reset();
  return {};
}

common::status projector::raise(const std::string& unit_id, alert_kind kind, std::uint16_t code,
                                const std::string& detail, std::int64_t at_ms,
                                std::vector<pushed>& out) {
  const auto key = std::make_tuple(unit_id, kind, code);
  if (open_.contains(key)) return {};
  if (kind == alert_kind::fault) {
    const auto first = open_.lower_bound(std::make_tuple(unit_id, kind, std::uint16_t{0}));
    const auto last = open_.upper_bound(std::make_tuple(unit_id, kind, UINT16_MAX));
    if (static_cast<std::size_t>(std::distance(first, last)) >= max_open_faults_per_unit) {
      ++alerts_suppressed_;
      return {};
    }
  }
  auto stmt = cached(
      "INSERT INTO alerts(unit_id, kind, code, state, detail, raised_ms) "
      "VALUES (?1, ?2, ?3, 'raised', ?4, ?5)");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = (*stmt)
                    ->bind(1, unit_id)
                    .bind(2, to_string(kind))
                    .bind(3, code)
                    .bind(4, detail)
                    .bind(5, at_ms)
                    .run();
      !st) {
    return st;
  }
  const auto id = db_->last_insert_rowid();
  open_[key] = id;
  if (auto st = add_step(id, "detected", at_ms, json{{"detail", detail}}); !st) return st;
  return push_alert(id, out);
}

common::status projector::push_technician(const std::string& unit_id, std::vector<pushed>& out) {
  auto stmt = cached(std::string(open_visit_sql));
  if (!stmt) return std::unexpected(stmt.error());
  (*stmt)->bind(1, unit_id);
  auto row = (*stmt)->step();
  if (!row) {
    (*stmt)->reset();
    return std::unexpected(row.error());
  }
  std::optional<open_visit> visit;
  if (*row == sqlite::step_result::row) {
    auto& r = **stmt;
    visit = open_visit{r.column_text(0), r.column_text(1), r.column_int(2), r.column_int(3),
                       r.column_int(4)};
  }
  (*stmt)->reset();
  const auto logged = logged_.find(unit_id);
  const bool inspection =
      logged != logged_.end() && logged->second.mode == common::car_mode::inspection;
  const auto since = inspection_since_.find(unit_id);
  out.push_back({unit_id, push_type::technician,
                 json{{"unit_id", unit_id},
                      {"technician",
                       technician_json(visit, inspection,
                                       since == inspection_since_.end() ? 0 : since->second)}}});
  return {};
}

common::status projector::add_step(std::int64_t alert_id, std::string_view step, std::int64_t at_ms,
                                   const json& detail) {
  // The step's number is the count so far; none past max_steps_per_alert (a unit whose visits
  // come and go while an alert stays open must not grow its timeline without end).
  auto stmt = cached(
      "INSERT INTO alert_steps(alert_id, step_no, step, at_ms, detail) "
      "SELECT ?1, COUNT(*) + 1, ?2, ?3, ?4 FROM alert_steps WHERE alert_id = ?1 "
      "HAVING COUNT(*) < ?5");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = (*stmt)
                    ->bind(1, alert_id)
                    .bind(2, step)
                    .bind(3, at_ms)
                    .bind(4, detail.dump())
                    .bind(5, static_cast<std::int64_t>(max_steps_per_alert))
                    .run();
      !st) {
    return st;
  }
  if (db_->changes() == 0) ++steps_suppressed_;
  return {};
}

common::status projector::clear(const std::string& unit_id, alert_kind kind, std::uint16_t code,
                                std::int64_t at_ms, std::vector<pushed>& out) {
  const auto key = std::make_tuple(unit_id, kind, code);
  const auto it = open_.find(key);
  if (it == open_.end()) return {};
  auto stmt = cached("UPDATE alerts SET state = 'cleared', cleared_ms = ?2 WHERE alert_id = ?1");
  if (!stmt) return std::unexpected(stmt.error());
  if (auto st = (*stmt)->bind(1, it->second).bind(2, at_ms).run(); !st) return st;
  const auto id = it->second;
  open_.erase(it);
  // An entrapment clears when the passengers are out: the release is its own step.
  if (kind == alert_kind::entrapment) {
    if (auto st = add_step(id, "released", at_ms, json::object()); !st) return st;
  }
  if (auto st = add_step(id, "cleared", at_ms, json::object()); !st) return st;
  return push_alert(id, out);
}

common::status projector::apply(const std::string& device_id, const std::string& unit_id,
                                const common::record& rec, std::vector<pushed>& out) {
  if (const auto* state = std::get_if<common::run_state>(&rec.body)) {
    // The status log holds what availability needs: every change of service or mode, and the
    // agents' periodic snapshots, which confirm the state (a status holds at most the API's
    // max_status_gap after its row). Samples in between change neither.
    const logged_status now{state->in_service, state->mode};
    const auto previous = logged_.find(unit_id);
    const bool changed = previous == logged_.end() || previous->second != now;
    if (!changed && !state->snapshot) return {};
    const auto mode = common::to_string(state->mode);
    if (auto st = insert_status_->bind_ref(1, unit_id)
                      .bind(2, rec.wall_ms)
                      .bind_ref(3, device_id)
                      .bind(4, static_cast<std::int64_t>(rec.seq))
                      .bind(5, state->in_service)
                      .bind_ref(6, mode)
                      .run();
        !st) {
      return st;
    }
    const bool service_changed =
        previous == logged_.end() || previous->second.in_service != state->in_service;
    const bool was_inspection =
        previous != logged_.end() && previous->second.mode == common::car_mode::inspection;
    const bool is_inspection = state->mode == common::car_mode::inspection;
    logged_.insert_or_assign(unit_id, now);
    if (const auto q = quake_.find(unit_id);
        q != quake_.end() && q->second == restoration::awaiting_inspection && state->in_service &&
        state->mode == common::car_mode::normal) {
      // Back in normal service after the earthquake operation: this car is restored.
      if (auto st = restoration_step(unit_id, restoration::restored, rec.wall_ms, out); !st)
        return st;
    }
    if (was_inspection != is_inspection) {
      // A car into or out of inspection mode changes the unit's inspection work status.
      if (is_inspection) inspection_since_[unit_id] = rec.wall_ms;
      if (auto st = push_technician(unit_id, out); !st) return st;
      if (!is_inspection) inspection_since_.erase(unit_id);
    }
    if (!service_changed) return {};
    if (state->in_service) return clear(unit_id, alert_kind::out_of_service, 0, rec.wall_ms, out);
    return raise(unit_id, alert_kind::out_of_service, 0, "mode " + std::string(mode), rec.wall_ms,
                 out);
  }

  // Bound by reference: every bound value outlives run(), which resets the statement.
  const auto body = to_json_text(rec.body);
  if (auto st = insert_event_->bind_ref(1, device_id)
                    .bind(2, static_cast<std::int64_t>(rec.seq))
                    .bind_ref(3, unit_id)
                    .bind_ref(4, common::kind_name(rec.body))
                    .bind(5, rec.wall_ms)
                    .bind_ref(6, body)
                    .run();
      !st) {
    return st;
  }

  if (const auto* v = std::get_if<common::technician_visit>(&rec.body)) {
    if (v->visit_id.empty()) return {};
    if (v->started) {
      auto stmt = cached(
          "INSERT OR IGNORE INTO visits(visit_id, unit_id, technician, started_ms) VALUES (?1, ?2, "
          "?3, ?4)");
      if (!stmt) return std::unexpected(stmt.error());
      if (auto st = (*stmt)
                        ->bind(1, v->visit_id)
                        .bind(2, unit_id)
                        .bind(3, v->technician)
                        .bind(4, rec.wall_ms)
                        .run();
          !st) {
        return st;
      }
      if (auto st = push_technician(unit_id, out); !st) return st;
      // A technician on site: a step of every alert the unit has open.
      for (auto it = open_.lower_bound(std::make_tuple(unit_id, alert_kind{}, std::uint16_t{0}));
           it != open_.end() && std::get<0>(it->first) == unit_id; ++it) {
        if (auto st = add_step(it->second, "technician_on_site", rec.wall_ms,
                               json{{"technician", v->technician}, {"visit_id", v->visit_id}});
            !st) {
          return st;
        }
        if (auto st = push_alert(it->second, out); !st) return st;
      }
      return {};
    }
    // Only the unit that started a visit may end it.
    auto stmt = cached(
        "UPDATE visits SET ended_ms = ?2 WHERE visit_id = ?1 AND unit_id = ?3 AND ended_ms IS "
        "NULL");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto st = (*stmt)->bind(1, v->visit_id).bind(2, rec.wall_ms).bind(3, unit_id).run(); !st)
      return st;
    if (db_->changes() == 0) return {};
    return push_technician(unit_id, out);
  }
  if (const auto* c = std::get_if<common::checklist_item>(&rec.body)) {
    // Only into a visit of the same unit: a device must not write another unit's report.
    auto stmt = cached(
        "INSERT OR IGNORE INTO visit_checklist(visit_id, item, ok, note, wall_ms) "
        "SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS(SELECT 1 FROM visits WHERE visit_id = ?1 AND "
        "unit_id = ?6)");
    if (!stmt) return std::unexpected(stmt.error());
    if (auto st = (*stmt)
                      ->bind(1, c->visit_id)
                      .bind(2, c->item)
                      .bind(3, c->ok)
                      .bind(4, c->note)
                      .bind(5, rec.wall_ms)
                      .bind(6, unit_id)
                      .run();
        !st) {
      return st;
    }
    if (db_->changes() == 0) return {};
    return push_technician(unit_id, out);
  }
  if (const auto* e = std::get_if<common::entrapment>(&rec.body)) {
    return e->started
               ? raise(unit_id, alert_kind::entrapment, 0,
                       "car stopped at floor " + std::to_string(e->floor) + " with " +
                           std::to_string(e->load_kg) + " kg" + (e->alarm ? ", alarm pressed" : ""),
                       rec.wall_ms, out)
               : clear(unit_id, alert_kind::entrapment, 0, rec.wall_ms, out);
  }
  if (const auto* f = std::get_if<common::fault_event>(&rec.body)) {
    return f->raised ? raise(unit_id, alert_kind::fault, f->code,
                             std::string("severity ") + std::string(common::to_string(f->level)),
                             rec.wall_ms, out)
                     : clear(unit_id, alert_kind::fault, f->code, rec.wall_ms, out);
  }
  if (const auto* q = std::get_if<common::earthquake_operation>(&rec.body)) {
    // The car's restoration: stopped by seismic control; out of earthquake mode it is restored
    // when back in normal service, else it awaits inspection (the next status rows decide).
    if (q->started) {
      if (auto st = restoration_step(unit_id, restoration::seismic_stop, rec.wall_ms, out); !st)
        return st;
    } else if (quake_.contains(unit_id)) {
      const auto logged = logged_.find(unit_id);
      const bool normal = logged != logged_.end() && logged->second.in_service &&
                          logged->second.mode == common::car_mode::normal;
      if (auto st = restoration_step(
              unit_id, normal ? restoration::restored : restoration::awaiting_inspection,
              rec.wall_ms, out);
          !st) {
        return st;
      }
    }
    return q->started ? raise(unit_id, alert_kind::earthquake, 0,
                              "earthquake operation at floor " + std::to_string(q->floor),
                              rec.wall_ms, out)
                      : clear(unit_id, alert_kind::earthquake, 0, rec.wall_ms, out);
  }
  return {};
}

common::status projector::device_offline(const std::vector<std::string>& unit_ids,
                                         std::int64_t now_ms, std::vector<pushed>& out) {
  for (const auto& unit : unit_ids) {
    if (auto st = raise(unit, alert_kind::device_offline, 0, "no data from the unit's agent",
                        now_ms, out);
        !st) {
      return st;
    }
  }
  return {};
}

common::status projector::device_online(const std::vector<std::string>& unit_ids,
                                        std::int64_t now_ms, std::vector<pushed>& out) {
  for (const auto& unit : unit_ids) {
    if (auto st = clear(unit, alert_kind::device_offline, 0, now_ms, out); !st) return st;
  }
  return {};
}

}  // namespace hoistway::cloud
