// What the ingest writer does with each accepted frame, inside its transaction: recognise the
// records the store holds already (by the device's coverage alone), append the frame verbatim to
// the archive with the seqs it stores, project the new records (events, status log, visits,
// alerts), and grow the coverage. Then, before the commit, persist() writes the coverage of the
// devices touched and answers the stored-acks to publish after the commit.
//
// The hot path appends: one `frames` row per frame, events appended with their one index, a
// status-log row only when a unit's service or mode changes or a snapshot confirms it. No
// per-record index interleaved over devices (MEASURED.md: an order of magnitude slower).
//
// Architecture invariants:
// - Dedupe is by coverage, read from the store under the write lock at a device's first frame
//   in each transaction: several writers on one store (one per ingest process) never store a
//   record twice, and a restart dedupes exactly as before it (the intervals are stored too).
// - A record is stored (archived and projected) at most once; a seq enters the coverage only in
//   the transaction that stores it or reports it dropped.
//
// Thread-safety: the writer thread only, on the store's connection.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "hoistway/cloud/ingest/projector.hpp"
#include "hoistway/cloud/store/coverage.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::cloud {

// A unit's run states stored in one transaction. Only two can matter: the last stored (for
// unit_status, which keeps the last write) and the newest by wall time (for the live view and
// the push stream, which show the present). One upsert, one view update and one push per unit
// per transaction give the same end state as one per record.
struct unit_states {
  common::run_state last;
  std::int64_t last_ms = 0;
  common::run_state newest;
  std::int64_t newest_ms = 0;
};

class intake {
 public:
  // The unit a device's car stands for; nullopt if it has none (its records are archived, not
  // projected).
  using unit_resolver =
      std::function<std::optional<std::string>(const std::string& device_id, std::uint8_t car)>;

  static common::result<intake> open(store& db, unit_resolver units);

  struct written {
    std::size_t fresh = 0;      // records stored by this frame
    std::size_t duplicate = 0;  // records the store held already
    std::size_t late = 0;       // of the fresh, those below a seq the device delivered before
  };
  // Inside a transaction: stores what is new in a verified, decoded frame. `frame` is the frame
  // as received. Alerts to push go to `pushes`; fresh run states are kept per unit (states()).
  // Errors: errc::io when the store failed (the transaction must be abandoned; the frame is not
  // at fault); any other code when the frame cannot be stored as it is (its values break a
  // constraint, or it would open more than max_pending_intervals gaps in its device's coverage):
  // the caller refuses that frame and goes on without it.
  common::result<written> write(const common::batch& batch, std::span<const std::uint8_t> frame,
                                std::int64_t received_ms, std::vector<pushed>& pushes);

  // Inside a transaction: acknowledges without storing a frame that passed its MAC but is
  // refused (its meaning, or the store refused its values): its seqs [first, last] join the
  // device's coverage, so its agent moves past it instead of resending it for ever; the caller
  // keeps the frame as a dead letter. Does nothing for an unknown device, or where the range
  // would open more than max_pending_intervals gaps.
  common::status refuse(const std::string& device_id, std::uint64_t first, std::uint64_t last);

  // Out-of-order intervals a device's coverage may hold above its stored_through. An agent's
  // resends close its gaps in order, so it never nears this; a device that sends scattered seqs
  // on purpose would otherwise grow the coverage (and every write of it) without end.
  static constexpr std::size_t max_pending_intervals = 1024;

  struct ack {
    std::string device_id;
    std::uint64_t stored_through = 0;
  };
  // Inside the same transaction, last: writes the coverage of every device written since the
  // previous call. The acks may be published only once the transaction has committed.
  common::result<std::vector<ack>> persist(std::int64_t now_ms);
  // The run states stored since the previous take_states(), per unit; for unit_status (inside
  // the transaction) and the live view and push stream (after the commit).
  std::map<std::string, unit_states> take_states() { return std::exchange(states_, {}); }
  // The transaction did not commit and has been rolled back: what it gained is forgotten (the
  // coverage is read again next time, the projector's memory now).
  common::status rollback();

  projector& projection() { return projector_; }

 private:
  intake(store& db, projector p, unit_resolver units)
      : store_(&db), projector_(std::move(p)), units_(std::move(units)) {}
  struct device_progress {
    seq_coverage coverage;
    std::uint64_t late = 0;  // late arrivals stored in this transaction
  };
  common::result<device_progress*> progress_of(const std::string& device_id);

  store* store_;
  projector projector_;
  unit_resolver units_;
  std::map<std::string, device_progress> touched_;  // this transaction's, per device
  std::map<std::string, unit_states> states_;       // this transaction's run states per unit
};

}  // namespace hoistway::cloud
