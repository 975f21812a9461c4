// Storage of accepted frames.
#include "hoistway/cloud/ingest/intake.hpp"

namespace hoistway::cloud {

using common::errc;
using common::fail;

common::result<intake> intake::open(store& db, unit_resolver units) {
  auto p = projector::create(db.db());
  if (!p) return std::unexpected(p.error());
  return intake(db, std::move(*p), std::move(units));
}

namespace {
// Whether covering [first, last] above `floor` would leave the coverage with more gaps than it
// may hold. Only a coverage at the bound needs the trial copy.
bool opens_too_many_gaps(const seq_coverage& coverage, std::uint64_t floor, std::uint64_t first,
                         std::uint64_t last) {
  if (coverage.pending_intervals() < intake::max_pending_intervals) return false;
  auto trial = coverage;
  trial.apply_floor(floor);
  trial.add(first, last);
  return trial.pending_intervals() > coverage.pending_intervals();
}
}  // namespace

common::result<intake::device_progress*> intake::progress_of(const std::string& device_id) {
  if (auto it = touched_.find(device_id); it != touched_.end()) return &it->second;
  // First frame of this device in this transaction: the committed coverage, read under the
  // write lock, is the truth (another writer may have stored since we last looked).
  auto committed = store_->coverage(device_id);
  if (!committed) return std::unexpected(committed.error());
  if (!*committed) return fail(errc::not_found, "unknown device " + device_id);
  return &touched_.emplace(device_id, device_progress{std::move(**committed), 0}).first->second;
}

common::result<intake::written> intake::write(const common::batch& batch,
                                              std::span<const std::uint8_t> frame,
                                              std::int64_t received_ms,
                                              std::vector<pushed>& pushes) {
  if (batch.records.empty()) return written{};  // decode_payload never answers one
  auto found = progress_of(batch.device_id);
  if (!found) return std::unexpected(found.error());
  auto& coverage = (*found)->coverage;
  const auto highest = coverage.highest();
  const auto covered_from = batch.covers_from == 0 ? batch.records.front().seq : batch.covers_from;
  if (opens_too_many_gaps(coverage, batch.outbox_floor, covered_from, batch.records.back().seq)) {
    return fail(errc::conflict, "the frame would open more than " +
                                    std::to_string(max_pending_intervals) +
                                    " gaps in its device's coverage");
  }
  written out;
  // Which of the frame's records are new: a flag per record, and as seq ranges for the archive
  // (runs of consecutive new records of the frame).
  std::vector<bool> is_new(batch.records.size());
  seq_ranges fresh;
  bool run_open = false;
  for (std::size_t i = 0; i < batch.records.size(); ++i) {
    const auto seq = batch.records[i].seq;
    is_new[i] = !coverage.covers(seq);
    if (!is_new[i]) {
      ++out.duplicate;
      run_open = false;
      continue;
    }
    ++out.fresh;
    out.late += seq < highest ? 1 : 0;
    if (run_open) {
      fresh.back().second = seq;
    } else {
      fresh.emplace_back(seq, seq);
      run_open = true;
    }
  }
  if (out.fresh > 0) {
    frame_row row{batch.device_id,
                  received_ms,
                  batch.records.front().seq,
                  batch.records.back().seq,
                  out.duplicate == 0 ? std::string() : format_seq_ranges(fresh),
                  frame};
    if (auto st = store_->append_frame(row); !st) return std::unexpected(st.error());
    // A frame is one device's: each car's unit is resolved once per frame, not per record, and
    // of its run states only the last and the newest are kept.
    struct car_states {
      std::optional<std::string> unit;
      const common::record* last = nullptr;
      const common::record* newest = nullptr;
    };
    std::map<std::uint8_t, car_states> cars;
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
      if (!is_new[i]) continue;
      const auto& rec = batch.records[i];
      auto [slot, first] = cars.try_emplace(rec.car);
      auto& car = slot->second;
      if (first) car.unit = units_(batch.device_id, rec.car);
      if (!car.unit) continue;
      if (auto st = projector_.apply(batch.device_id, *car.unit, rec, pushes); !st) {
        return std::unexpected(st.error());
      }
      if (std::holds_alternative<common::run_state>(rec.body)) {
        car.last = &rec;
        if (car.newest == nullptr || rec.wall_ms >= car.newest->wall_ms) car.newest = &rec;
      }
    }
    for (const auto& [number, car] : cars) {
      if (car.last == nullptr) continue;
      auto [slot, first] = states_.try_emplace(*car.unit);
      auto& unit = slot->second;
      unit.last = std::get<common::run_state>(car.last->body);
      unit.last_ms = car.last->wall_ms;
      if (first || car.newest->wall_ms >= unit.newest_ms) {
        unit.newest = std::get<common::run_state>(car.newest->body);
        unit.newest_ms = car.newest->wall_ms;
      }
    }
  }
  (*found)->late += out.late;
  coverage.apply_floor(batch.outbox_floor);
  coverage.add(covered_from, batch.records.back().seq);
  return out;
}

common::status intake::refuse(const std::string& device_id, std::uint64_t first,
                              std::uint64_t last) {
  if (first == 0 || first > last) return {};
  auto found = progress_of(device_id);
  if (!found) {
    if (found.error().code == errc::not_found) return {};
    return std::unexpected(found.error());
  }
  auto& coverage = (*found)->coverage;
  if (opens_too_many_gaps(coverage, 0, first, last)) return {};
  coverage.add(first, last);
  return {};
}

common::result<std::vector<intake::ack>> intake::persist(std::int64_t now_ms) {
  std::vector<ack> acks;
  acks.reserve(touched_.size());
  for (const auto& [device, progress] : touched_) {
    if (auto st = store_->set_coverage(device, progress.coverage, progress.late, now_ms); !st) {
      return std::unexpected(st.error());
    }
    acks.push_back({device, progress.coverage.stored_through()});
  }
  touched_.clear();
  return acks;
}

common::status intake::rollback() {
  touched_.clear();
  states_.clear();
  return projector_.reload();
}

}  // namespace hoistway::cloud
