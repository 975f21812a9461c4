// Reading a device's records back from the store: the frames archive (store migration 5 on)
// decoded, and the `records` rows older versions wrote. For operators and tests (`hoistway-admin
// device records`): what a device delivered, each record once, in seq order.
//
// Frames are read by a scan of the archive (it has no index by device: the hot path appends
// only), so a call costs a pass over the frames kept (raw samples are kept
// [retention] samples_days).
//
// Thread-safety: the caller's connection, the caller's thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hoistway/common/result.hpp"
#include "hoistway/common/sqlite.hpp"

namespace hoistway::cloud {

// The device's records with seq > after_seq, at most `limit`, in seq order, each as
// {"seq", "car", "kind", "wall_ms", "mono_ms", "boot", "received_ms", "body"}.
common::result<std::vector<nlohmann::json>> archived_records(common::sqlite::database& db,
                                                             const std::string& device_id,
                                                             std::uint64_t after_seq,
                                                             std::size_t limit);

}  // namespace hoistway::cloud
