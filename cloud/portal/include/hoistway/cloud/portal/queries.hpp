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
  // The customer's buildings with their units (by device, then car), for the overview:
  // [{building_id, name, address, time_zone, units: [{unit_id, device_id, car, name, landings,
  // floor_labels}]}], buildings by id.
  common::result<nlohmann::json> buildings(const std::string& customer_id);
  // The earthquake restorations (views.hpp restoration_json) of the given units whose seismic
  // stop was at or after `since_ms`, by unit.
  common::result<nlohmann::json> restorations(const std::vector<std::string>& unit_ids,
                                              std::int64_t since_ms);
  // The unit's inspection work status (views.hpp technician_json): its open visit, and whether
  // the car is in inspection mode now (from the live view) and since when (the status log).
  common::result<nlohmann::json> technician(const std::string& unit_id, bool in_inspection);
  // A visit with its checklist and what the controller data shows during it; nullopt if the
  // visit is not this unit's.
  common::result<std::optional<nlohmann::json>> visit_report(const std::string& unit_id,
                                                             const std::string& visit_id);
  // Alerts of the given units (newest first, by raised time), filtered: `state` ("" = all,
  // "open" = not cleared), `kind` ("" = all), raised within `range` (if set); a page of `limit`
  // after `cursor` (the previous page's next_cursor). {"alerts": […], "next_cursor": …}.
  // errc::invalid_argument for a malformed cursor.
  struct alert_filter {
    std::string state;
    std::string kind;
    std::optional<time_range> range;
    std::size_t limit = 100;
    std::string cursor;
  };
  common::result<nlohmann::json> alerts(const std::vector<std::string>& unit_ids,
                                        const alert_filter& filter);
  common::result<nlohmann::json> alerts(const std::vector<std::string>& unit_ids,
                                        const std::string& state, std::size_t limit) {
    return alerts(unit_ids, alert_filter{state, {}, {}, limit, {}});
  }
  // One alert with its timeline ("timeline": [{step, at, …}] oldest first); nullopt if it is
  // not among `unit_ids`' alerts.
  common::result<std::optional<nlohmann::json>> alert(const std::vector<std::string>& unit_ids,
                                                      std::int64_t alert_id);
  // Who acknowledges: an API key (its id) or a session's account (name, e-mail).
  struct acknowledger {
    std::string kind = "api_key";  // "api_key" or "portal"
    std::string by;                // the key's id, or the account's name
    std::string email;             // a session's
  };
  // Acknowledges (raised → acknowledged) with who and a comment (may be empty), and writes the
  // timeline's step in the same transaction; acknowledging again changes nothing.
  // nullopt: no such alert among `unit_ids`. errc::conflict if it is already cleared.
  common::result<std::optional<nlohmann::json>> acknowledge_alert(
      const std::vector<std::string>& unit_ids, std::int64_t alert_id, const acknowledger& who,
      const std::string& comment);
  common::result<std::optional<nlohmann::json>> acknowledge_alert(
      const std::vector<std::string>& unit_ids, std::int64_t alert_id, const std::string& by) {
    return acknowledge_alert(unit_ids, alert_id, acknowledger{"api_key", by, {}}, {});
  }

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
