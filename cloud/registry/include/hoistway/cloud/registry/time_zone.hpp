// Time zones of buildings: an IANA name ("Asia/Tokyo") checked against the system's zoneinfo
// files, and its UTC offset at a moment, read from the zone's TZif file (g++ 12's <chrono> has
// no time-zone database). The portal shows each building's time zone and current offset, so a
// page draws times and usage buckets in the building's local time.
//
// Thread-safety: every function may be called from any thread; parsed zones are cached (at most
// one entry per zone file that exists, so the cache is bounded by the zoneinfo directory).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hoistway::cloud {

// A name made of the characters IANA names use (letters, digits, '/', '_', '-', '+'), at most 64
// of them, without "..", naming a TZif file under `zoneinfo_dir`.
bool valid_time_zone(std::string_view name,
                     const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
// The zone's offset from UTC in minutes at `at_ms` (e.g. +540 for Asia/Tokyo); nullopt if the
// zone is not valid or its file cannot be read.
std::optional<int> utc_offset_minutes(std::string_view name, std::int64_t at_ms,
                                      const std::string& zoneinfo_dir = "/usr/share/zoneinfo");
// "+09:00" / "-05:30".
std::string format_utc_offset(int minutes);

}  // namespace hoistway::cloud
