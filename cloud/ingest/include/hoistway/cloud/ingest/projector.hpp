// Projects stored records into what the portal reads: the events table (by unit and time), the
// status log (for availability), technician visits with their checklists, and alerts with their
// lifecycle (raised → acknowledged → cleared) and each alert's timeline of steps. Runs on the
// ingest writer thread inside its transaction, for records stored for the first time only
// (intake.hpp), so a replay projects nothing twice. Run states are not pushed from here: the writer
// pushes each unit's newest status once per transaction.
//
// Thread-safety: writer thread only.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/cloud/live/event_bus.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::cloud {

// Something to push to stream clients once the transaction has committed.
struct pushed {
  std::string unit_id;
  push_type type = push_type::alert;
  nlohmann::json data;
};

enum class alert_kind { entrapment, out_of_service, fault, earthquake, device_offline };
// The text is the alerts table's kind column and the JSON's; parse_alert_kind reads it back.
std::string_view to_string(alert_kind kind) noexcept;
std::optional<alert_kind> parse_alert_kind(std::string_view text) noexcept;

class projector {
 public:
  static common::result<projector> create(common::sqlite::database& db);

  common::status apply(const std::string& device_id, const std::string& unit_id,
                       const common::record& rec, std::vector<pushed>& out);
  // Reads what the projector keeps in memory (the open alerts, each unit's last status-log row)
  // from the store again: after a transaction rolled back, what apply() remembered of it is
  // wrong (an alert it raised would otherwise count as open and never be raised again). Call
  // outside a transaction. On failure the memory is left as it was.
  common::status reload();
  // The device's units went offline (no frames for too long, or its last will) / came back.
  common::status device_offline(const std::vector<std::string>& unit_ids, std::int64_t now_ms,
                                std::vector<pushed>& out);
  common::status device_online(const std::vector<std::string>& unit_ids, std::int64_t now_ms,
                               std::vector<pushed>& out);

  // Fault alerts open at once per unit, at most: a controller has a handful of faults active at a
  // time; a device that raises thousands of codes would otherwise grow the alerts table and the
  // open set without end. Faults raised past it are counted (alerts_suppressed), not alerted.
  static constexpr std::size_t max_open_faults_per_unit = 64;
  std::uint64_t alerts_suppressed() const { return alerts_suppressed_; }
  // Steps of one alert's timeline (alert_steps), at most: detected, acknowledged, released,
  // cleared and a technician on site per visit while it is open. Steps past it are counted
  // (steps_suppressed), not stored.
  static constexpr std::size_t max_steps_per_alert = 16;
  std::uint64_t steps_suppressed() const { return steps_suppressed_; }

 private:
  explicit projector(common::sqlite::database& db) : db_(&db) {}
  common::status raise(const std::string& unit_id, alert_kind kind, std::uint16_t code,
                       const std::string& detail, std::int64_t at_ms, std::vector<pushed>& out);
  common::status clear(const std::string& unit_id, alert_kind kind, std::uint16_t code,
                       std::int64_t at_ms, std::vector<pushed>& out);
  common::status push_alert(std::int64_t alert_id, std::vector<pushed>& out);
  // A car's earthquake restoration moves on (earthquake_restoration, pushed to the stream).
  enum class restoration { seismic_stop, awaiting_inspection, restored };
  common::status restoration_step(const std::string& unit_id, restoration next, std::int64_t at_ms,
                                  std::vector<pushed>& out);
  // Pushes the unit's inspection work status (its open visit, inspection mode) to the stream.
  common::status push_technician(const std::string& unit_id, std::vector<pushed>& out);
  // Appends a step to the alert's timeline (alert_steps), in the caller's transaction.
  common::status add_step(std::int64_t alert_id, std::string_view step, std::int64_t at_ms,
                          const nlohmann::json& detail);
  // Prepared once, reused (reset) on every call; for the rarer statements.
  common::result<common::sqlite::statement*> cached(const std::string& sql);

  common::sqlite::database* db_;
  // The statements of every record, prepared at create().
  std::optional<common::sqlite::statement> insert_event_;
  std::optional<common::sqlite::statement> insert_status_;
  // Open (raised or acknowledged) alerts: (unit, kind, code) → alert_id.
  std::map<std::tuple<std::string, alert_kind, std::uint16_t>, std::int64_t> open_;
  struct logged_status {
    bool in_service = false;
    common::car_mode mode = common::car_mode::unknown;
    bool operator==(const logged_status&) const = default;
  };
  std::unordered_map<std::string, logged_status> logged_;  // per unit, its last status-log row
  // Units in an earthquake restoration not yet restored (one per unit at most).
  std::unordered_map<std::string, restoration> quake_;
  // Units in inspection mode: when they entered it (seen by this process; one per unit).
  std::unordered_map<std::string, std::int64_t> inspection_since_;
  std::map<std::string, common::sqlite::statement> statements_;
  std::uint64_t alerts_suppressed_ = 0;
  std::uint64_t steps_suppressed_ = 0;
};

}  // namespace hoistway::cloud
