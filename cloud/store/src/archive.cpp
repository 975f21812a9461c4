// Reading records back from the frames archive.
#include "hoistway/cloud/store/archive.hpp"

#include <algorithm>
#include <map>

#include "hoistway/cloud/store/coverage.hpp"
#include "hoistway/common/record_json.hpp"
#include "hoistway/common/wire_codec.hpp"

namespace hoistway::cloud {

using common::errc;
using common::fail;
using nlohmann::json;
namespace sqlite = common::sqlite;

common::result<std::vector<json>> archived_records(sqlite::database& db,
                                                   const std::string& device_id,
                                                   std::uint64_t after_seq, std::size_t limit) {
  std::map<std::uint64_t, json> found;  // by seq: each record once, in order
  auto keep = [&](std::uint64_t seq, json rec) {
    found.emplace(seq, std::move(rec));
    if (found.size() > limit) found.erase(std::prev(found.end()));
  };
  auto legacy = db.prepare(
      "SELECT seq, car, kind, wall_ms, mono_ms, boot, received_ms, body FROM records "
      "WHERE device_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
  if (!legacy) return std::unexpected(legacy.error());
  legacy->bind(1, device_id)
      .bind(2, static_cast<std::int64_t>(after_seq))
      .bind(3, static_cast<std::int64_t>(limit));
  while (true) {
    auto row = legacy->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    auto body = json::parse(legacy->column_text(7), nullptr, false);
    keep(static_cast<std::uint64_t>(legacy->column_int(0)), {{"seq", legacy->column_int(0)},
                                                             {"car", legacy->column_int(1)},
                                                             {"kind", legacy->column_text(2)},
                                                             {"wall_ms", legacy->column_int(3)},
                                                             {"mono_ms", legacy->column_int(4)},
                                                             {"boot", legacy->column_int(5)},
                                                             {"received_ms", legacy->column_int(6)},
                                                             {"body", std::move(body)}});
  }

  auto frames = db.prepare(
      "SELECT frame_id, received_ms, fresh, frame FROM frames WHERE device_id = ?1 "
      "AND last_seq > ?2 ORDER BY frame_id");
  if (!frames) return std::unexpected(frames.error());
  frames->bind(1, device_id).bind(2, static_cast<std::int64_t>(after_seq));
  while (true) {
    auto row = frames->step();
    if (!row) return std::unexpected(row.error());
    if (*row == sqlite::step_result::done) break;
    const auto frame_id = frames->column_int(0);
    const auto received_ms = frames->column_int(1);
    std::optional<seq_ranges> fresh;
    if (!frames->is_null(2)) {
      fresh = parse_seq_ranges(frames->column_text(2));
      if (!fresh) return fail(errc::corrupt, "frame " + std::to_string(frame_id) + ": bad fresh");
    }
    // The frame was verified when it arrived; it is decoded as it was then (its times checked
    // against its arrival), with no frame-size cap: what was accepted is read back.
    const auto bytes = frames->column_blob_view(3);
    auto envelope = common::wire::open_envelope(bytes, bytes.size());
    if (!envelope) {
      return fail(errc::corrupt,
                  "frame " + std::to_string(frame_id) + ": " + envelope.error().detail);
    }
    auto batch = common::wire::decode_payload(*envelope, received_ms);
    if (!batch) {
      return fail(errc::corrupt, "frame " + std::to_string(frame_id) + ": " + batch.error().detail);
    }
    for (const auto& rec : batch->records) {
      if (rec.seq <= after_seq) continue;
      if (fresh && std::none_of(fresh->begin(), fresh->end(), [&](const auto& r) {
            return rec.seq >= r.first && rec.seq <= r.second;
          })) {
        continue;  // stored by an earlier frame
      }
      keep(rec.seq, {{"seq", rec.seq},
                     {"car", rec.car},
                     {"kind", common::kind_name(rec.body)},
                     {"wall_ms", rec.wall_ms},
                     {"mono_ms", rec.mono_ms},
                     {"boot", rec.boot},
                     {"received_ms", received_ms},
                     {"body", common::to_json(rec.body)}});
    }
  }
  std::vector<json> out;
  out.reserve(found.size());
  for (auto& [seq, rec] : found) out.push_back(std::move(rec));
  return out;
}

}  // namespace hoistway::cloud
