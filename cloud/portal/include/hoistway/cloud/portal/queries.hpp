// Reads behind the portal API: events with cursor paging, usage buckets, availability,
// technician visits and their reports, alerts; and the one write the API makes (acknowledging an
// alert). Every function takes unit ids the caller was already allowed to see.
//
// Thread-safety: every method is safe from any thread (one connection behind a mutex; SQLite WAL
// lets it read while the ingest writes).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"
#include "hoistway/common/time.hpp"

namespace hoistway::cloud {

struct time_range {
  std::int64_t from_ms = 0;
  std::int64_t to_ms = 0;
};

struct events_page {
  nlohmann::json events = nlohmann::json::array();
  std::optional<std::string> next_cursor;
};

enum class bucket { hour, day };

class queries {
 public:
  static common::result<std::shared_ptr<queries>> open(const std::string& store_path,
                                                       std::shared_ptr<common::clock> clock);

  // Events of a unit in [from, to), oldest first; `type` filters by kind ("" = all); the cursor
  // is opaque and comes from a previous page. errc::invalid_argument for a malformed cursor.
  common::result<events_page> events(const std::string& unit_id, time_range range,
                                     const std::string& type, std::size_t limit,
                                     const std::string& cursor);
  // Trips, door cycles, running time and distance per bucket; `offset_minutes` shifts bucket
  // boundaries to local time (e.g. +540 for Japan).
  common::result<nlohmann::json> usage(const std::string& unit_id, time_range range, bucket size,
                                       int offset_minutes);
  // In-service, out-of-service and unknown time in the range. A status holds until the next
  // one, but never for longer than `max_gap_ms` after it: beyond that the time is unknown.
  common::result<nlohmann::json> availability(const std::string& unit_id, time_range range,
                                              std::int64_t max_gap_ms);
  common::result<nlohmann::json> visits(const std::string& unit_id, std::size_t limit);
  // A visit with its checklist and what the controller data shows during it; nullopt if the
  // visit is not this unit's.
  common::result<std::optional<nlohmann::json>> visit_report(const std::string& unit_id,
                                                             const std::string& visit_id);
  // Alerts of the given units (newest first); `state` filters ("" = all, "open" = not cleared).
  common::result<nlohmann::json> alerts(const std::vector<std::string>& unit_ids,
                                        const std::string& state, std::size_t limit);
  // nullopt: no such alert among `unit_ids`. errc::conflict if it is already cleared.
  common::result<std::optional<nlohmann::json>> acknowledge_alert(
      const std::vector<std::string>& unit_ids, std::int64_t alert_id, const std::string& by);

 private:
  queries(common::sqlite::database db, std::shared_ptr<common::clock> clock)
      : db_(std::move(db)), clock_(std::move(clock)) {}
  std::mutex mutex_;
  common::sqlite::database db_;
  std::shared_ptr<common::clock> clock_;
};

// The visit report as a printable HTML page.
std::string visit_report_html(const nlohmann::json& report);

}  // namespace hoistway::cloud
