// The wire codec: domain records <-> FlatBuffers (records.fbs, frame.fbs, ack.fbs).
#include "hoistway/common/wire_codec.hpp"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <type_traits>

#include "hoistway/common/crypto.hpp"
#include "hoistway/wire/ack_generated.h"
#include "hoistway/wire/frame_generated.h"

namespace hoistway::common::wire {
namespace {

namespace fb = hoistway::wire;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

// Sane-time window: records older than ~10 years or more than a day ahead are rejected.
constexpr std::int64_t max_age_ms = 10LL * 366 * 24 * 3600 * 1000;
constexpr std::int64_t max_future_ms = 24LL * 3600 * 1000;
constexpr std::size_t max_string = 256;

template <typename E>
bool in_range(E value) {
  return static_cast<unsigned>(value) <= static_cast<unsigned>(E::MAX);
}

std::string str(const flatbuffers::String* s) { return s != nullptr ? s->str() : std::string(); }

Offset<flatbuffers::String> opt_string(FlatBufferBuilder& fbb, const std::string& s) {
  return s.empty() ? 0 : fbb.CreateString(s);
}

// ---- encoding -----------------------------------------------------------------------------

std::pair<fb::RecordBody, Offset<void>> encode_body(FlatBufferBuilder& fbb,
                                                    const record_body& body) {
  return std::visit(
      [&fbb](const auto& v) -> std::pair<fb::RecordBody, Offset<void>> {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, run_state>) {
          auto faults = v.fault_codes.empty() ? 0 : fbb.CreateVector(v.fault_codes);
          // Fields go in largest first: the builder pads each scalar to its own alignment, so
          // this order leaves no padding inside the table (the wire format does not change).
          fb::RunStateBuilder b(fbb);
          if (!faults.IsNull()) b.add_fault_codes(faults);
          b.add_position_mm(v.position_mm);
          b.add_speed_mm_s(v.speed_mm_s);
          b.add_floor(v.floor);
          b.add_load_kg(v.load_kg);
          b.add_direction(static_cast<fb::Direction>(v.dir));
          b.add_door(static_cast<fb::DoorState>(v.door));
          b.add_mode(static_cast<fb::Mode>(v.mode));
          b.add_in_door_zone(v.in_door_zone);
          b.add_alarm(v.alarm);
          b.add_snapshot(v.snapshot);
          b.add_in_service(v.in_service);
          return {fb::RecordBody::RunState, b.Finish().Union()};
        } else if constexpr (std::is_same_v<T, trip>) {
          return {fb::RecordBody::Trip,
                  fb::CreateTrip(fbb, v.from_floor, v.to_floor, v.start_ms, v.end_ms, v.duration_ms,
                                 v.peak_speed_mm_s, v.distance_mm)
                      .Union()};
        } else if constexpr (std::is_same_v<T, door_cycle>) {
          return {fb::RecordBody::DoorCycle,
                  fb::CreateDoorCycle(fbb, v.floor, v.open_ms, v.reopens).Union()};
        } else if constexpr (std::is_same_v<T, fault_event>) {
          return {
              fb::RecordBody::Fault,
              fb::CreateFault(fbb, v.code, static_cast<fb::Severity>(v.level), v.raised).Union()};
        } else if constexpr (std::is_same_v<T, entrapment>) {
          return {fb::RecordBody::Entrapment,
                  fb::CreateEntrapment(fbb, v.started, v.floor, v.position_mm, v.load_kg, v.alarm)
                      .Union()};
        } else if constexpr (std::is_same_v<T, mode_change>) {
          return {
              fb::RecordBody::ModeChange,
              fb::CreateModeChange(fbb, static_cast<fb::Mode>(v.from), static_cast<fb::Mode>(v.to))
                  .Union()};
        } else if constexpr (std::is_same_v<T, power_change>) {
          return {fb::RecordBody::PowerChange, fb::CreatePowerChange(fbb, v.lost).Union()};
        } else if constexpr (std::is_same_v<T, earthquake_operation>) {
          return {fb::RecordBody::EarthquakeOperation,
                  fb::CreateEarthquakeOperation(fbb, v.started, v.floor).Union()};
        } else if constexpr (std::is_same_v<T, technician_visit>) {
          auto id = opt_string(fbb, v.visit_id);
          auto tech = opt_string(fbb, v.technician);
          return {fb::RecordBody::TechnicianVisit,
                  fb::CreateTechnicianVisit(fbb, v.started, id, tech).Union()};
        } else if constexpr (std::is_same_v<T, checklist_item>) {
          auto id = opt_string(fbb, v.visit_id);
          auto item = opt_string(fbb, v.item);
          auto note = opt_string(fbb, v.note);
          return {fb::RecordBody::ChecklistItem,
                  fb::CreateChecklistItem(fbb, id, item, v.ok, note).Union()};
        } else if constexpr (std::is_same_v<T, usage_rollup>) {
          return {fb::RecordBody::UsageRollup,
                  fb::CreateUsageRollup(fbb, v.interval_start_ms, v.interval_s, v.trips, v.starts,
                                        v.door_cycles, v.running_s, v.distance_mm)
                      .Union()};
        } else if constexpr (std::is_same_v<T, clock_jump>) {
          return {fb::RecordBody::ClockJump, fb::CreateClockJump(fbb, v.delta_ms).Union()};
        } else {
          static_assert(std::is_same_v<T, outbox_drop>);
          return {
              fb::RecordBody::OutboxDrop,
              fb::CreateOutboxDrop(fbb, v.dropped_samples, v.dropped_other, v.first_seq, v.last_seq)
                  .Union()};
        }
      },
      body);
}

Offset<fb::Record> encode_record_table(FlatBufferBuilder& fbb, const record& rec) {
  auto [type, body] = encode_body(fbb, rec.body);
  fb::RecordBuilder b(fbb);  // largest fields first: no padding inside the table
  b.add_seq(rec.seq);
  b.add_wall_ms(rec.wall_ms);
  b.add_mono_ms(rec.mono_ms);
  b.add_body(body);
  b.add_boot(rec.boot);
  b.add_car(rec.car);
  b.add_body_type(type);
  return b.Finish();
}

// ---- decoding -----------------------------------------------------------------------------

bool valid_string(const flatbuffers::String* s) { return s == nullptr || s->size() <= max_string; }

result<record_body> decode_body(const fb::Record& in) {
  // A union may name a member and carry no table (the FlatBuffers verifier accepts that): every
  // body_as_X() below would then be null.
  if (in.body_type() != fb::RecordBody::NONE && in.body() == nullptr) {
    return fail(errc::corrupt, "record body type " +
                                   std::to_string(static_cast<unsigned>(in.body_type())) +
                                   " has no body");
  }
  switch (in.body_type()) {
    case fb::RecordBody::RunState: {
      const auto* v = in.body_as_RunState();
      if (!in_range(v->direction()) || !in_range(v->door()) || !in_range(v->mode())) {
        return fail(errc::corrupt, "run state has an unknown enum value");
      }
      run_state out;
      out.position_mm = v->position_mm();
      out.speed_mm_s = v->speed_mm_s();
      out.floor = v->floor();
      out.dir = static_cast<direction>(v->direction());
      out.door = static_cast<door_state>(v->door());
      out.load_kg = v->load_kg();
      out.mode = static_cast<car_mode>(v->mode());
      out.in_door_zone = v->in_door_zone();
      out.alarm = v->alarm();
      if (v->fault_codes() != nullptr) {
        if (v->fault_codes()->size() > 64) return fail(errc::corrupt, "too many fault codes");
        out.fault_codes.assign(v->fault_codes()->begin(), v->fault_codes()->end());
      }
      out.snapshot = v->snapshot();
      out.in_service = v->in_service();
      return out;
    }
    case fb::RecordBody::Trip: {
      const auto* v = in.body_as_Trip();
      return trip{v->from_floor(),  v->to_floor(),        v->start_ms(),   v->end_ms(),
                  v->duration_ms(), v->peak_speed_mm_s(), v->distance_mm()};
    }
    case fb::RecordBody::DoorCycle: {
      const auto* v = in.body_as_DoorCycle();
      return door_cycle{v->floor(), v->open_ms(), v->reopens()};
    }
    case fb::RecordBody::Fault: {
      const auto* v = in.body_as_Fault();
      if (!in_range(v->severity())) return fail(errc::corrupt, "fault has an unknown severity");
      return fault_event{v->code(), static_cast<severity>(v->severity()), v->raised()};
    }
    case fb::RecordBody::Entrapment: {
      const auto* v = in.body_as_Entrapment();
      return entrapment{v->started(), v->floor(), v->position_mm(), v->load_kg(), v->alarm()};
    }
    case fb::RecordBody::ModeChange: {
      const auto* v = in.body_as_ModeChange();
      if (!in_range(v->from()) || !in_range(v->to())) {
        return fail(errc::corrupt, "mode change has an unknown mode");
      }
      return mode_change{static_cast<car_mode>(v->from()), static_cast<car_mode>(v->to())};
    }
    case fb::RecordBody::PowerChange:
      return power_change{in.body_as_PowerChange()->lost()};
    case fb::RecordBody::EarthquakeOperation: {
      const auto* v = in.body_as_EarthquakeOperation();
      return earthquake_operation{v->started(), v->floor()};
    }
    case fb::RecordBody::TechnicianVisit: {
      const auto* v = in.body_as_TechnicianVisit();
      if (!valid_string(v->visit_id()) || !valid_string(v->technician())) {
        return fail(errc::corrupt, "technician visit string too long");
      }
      return technician_visit{v->started(), str(v->visit_id()), str(v->technician())};
    }
    case fb::RecordBody::ChecklistItem: {
      const auto* v = in.body_as_ChecklistItem();
      if (!valid_string(v->visit_id()) || !valid_string(v->item()) || !valid_string(v->note())) {
        return fail(errc::corrupt, "checklist string too long");
      }
      return checklist_item{str(v->visit_id()), str(v->item()), v->ok(), str(v->note())};
    }
    case fb::RecordBody::UsageRollup: {
      const auto* v = in.body_as_UsageRollup();
      return usage_rollup{v->interval_start_ms(), v->interval_s(), v->trips(),      v->starts(),
                          v->door_cycles(),       v->running_s(),  v->distance_mm()};
    }
    case fb::RecordBody::ClockJump:
      return clock_jump{in.body_as_ClockJump()->delta_ms()};
    case fb::RecordBody::OutboxDrop: {
      const auto* v = in.body_as_OutboxDrop();
      return outbox_drop{v->dropped_samples(), v->dropped_other(), v->first_seq(), v->last_seq()};
    }
    case fb::RecordBody::NONE:
      break;
  }
  return fail(errc::corrupt, "record has no body or an unknown body type");
}

result<record> decode_record_table(const fb::Record& in) {
  auto body = decode_body(in);
  if (!body) return std::unexpected(body.error());
  return record{in.seq(), in.car(), in.wall_ms(), in.mono_ms(), in.boot(), std::move(*body)};
}

flatbuffers::Verifier tight_verifier(std::span<const std::uint8_t> bytes) {
  // Depth: envelope → batch → records → record → body → vector. Tables: one per record and body.
  return flatbuffers::Verifier(
      bytes.data(), bytes.size(), /*max_depth=*/8,
      /*max_tables=*/static_cast<flatbuffers::uoffset_t>(2 * max_records_per_batch + 16));
}

// Physical bounds of the usage figures: a trip or an open door lasts less than a day; no car
// travels 10 km in one trip (the tallest buildings are under 1 km); a roll-up covers at most a
// day, runs no longer than it lasts, and stays far below 2^53 mm (exact in JSON).
constexpr std::int64_t max_trip_ms = 24LL * 3600 * 1000;
constexpr std::uint32_t max_trip_distance_mm = 10'000'000;
constexpr std::uint32_t max_rollup_s = 24 * 3600;
constexpr std::uint64_t max_rollup_distance_mm = 1'000'000'000'000ULL;

}  // namespace

bool valid_text(std::string_view text) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned c = *p;
    if (c == 0) return false;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;  // a continuation byte first, an overlong lead (C0, C1) or above F4
    }
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    const bool overlong = (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    p += extra + 1;
  }
  return true;
}

std::string meaning_error(const record& rec) {
  if (rec.car > max_car)
    return "car " + std::to_string(rec.car) + " is above " + std::to_string(max_car);
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, trip>) {
          if (v.end_ms < v.start_ms || v.end_ms - v.start_ms > max_trip_ms ||
              v.duration_ms > max_trip_ms) {
            return "trip times are not a trip's";
          }
          if (v.distance_mm > max_trip_distance_mm) return "trip distance is not a trip's";
        } else if constexpr (std::is_same_v<T, usage_rollup>) {
          if (v.interval_s == 0 || v.interval_s > max_rollup_s || v.running_s > v.interval_s ||
              v.distance_mm > max_rollup_distance_mm) {
            return "usage roll-up figures are out of bounds";
          }
        } else if constexpr (std::is_same_v<T, outbox_drop>) {
          if (v.first_seq > v.last_seq) return "outbox drop range is reversed";
        } else if constexpr (std::is_same_v<T, technician_visit>) {
          if (!valid_text(v.visit_id) || !valid_text(v.technician)) {
            return "technician visit text is not UTF-8";
          }
        } else if constexpr (std::is_same_v<T, checklist_item>) {
          if (!valid_text(v.visit_id) || !valid_text(v.item) || !valid_text(v.note)) {
            return "checklist text is not UTF-8";
          }
        }
        return {};
      },
      rec.body);
}

std::string_view to_string(reject_reason reason) noexcept {
  switch (reason) {
    case reject_reason::oversized:
      return "oversized";
    case reject_reason::bad_identifier:
      return "bad_identifier";
    case reject_reason::bad_envelope:
      return "bad_envelope";
    case reject_reason::device_mismatch:
      return "device_mismatch";
    case reject_reason::unknown_device:
      return "unknown_device";
    case reject_reason::bad_mac:
      return "bad_mac";
    case reject_reason::bad_payload:
      return "bad_payload";
    case reject_reason::bad_meaning:
      return "bad_meaning";
    case reject_reason::unprocessable:
      return "unprocessable";
    case reject_reason::rate_limited:
      return "rate_limited";
  }
  return "unknown";
}

std::vector<std::uint8_t> encode_record(const record& rec) {
  FlatBufferBuilder fbb(128);
  fbb.Finish(encode_record_table(fbb, rec));
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

result<record> decode_record(std::span<const std::uint8_t> bytes) {
  auto verifier = tight_verifier(bytes);
  if (!verifier.VerifyBuffer<fb::Record>(nullptr)) {
    return fail(errc::corrupt, "record failed FlatBuffers verification");
  }
  return decode_record_table(*flatbuffers::GetRoot<fb::Record>(bytes.data()));
}

std::vector<std::uint8_t> encode_frame(const batch& b, std::uint32_t key_id,
                                       std::span<const std::uint8_t> key) {
  FlatBufferBuilder inner(256 + 64 * b.records.size());
  std::vector<Offset<fb::Record>> records;
  records.reserve(b.records.size());
  for (const auto& rec : b.records) records.push_back(encode_record_table(inner, rec));
  // Strings go in with their length (CreateString(std::string)), never as C strings: an embedded
  // NUL must survive or be rejected by the receiver, not be cut silently.
  auto device = inner.CreateString(b.device_id);
  auto boot_id = inner.CreateString(b.boot_id);
  auto record_vec = inner.CreateVector(records);
  auto batch_offset = fb::CreateBatch(inner, device, b.boot, boot_id, b.sent_at_ms, b.outbox_floor,
                                      record_vec, b.covers_from);
  inner.Finish(batch_offset);
  const std::span<const std::uint8_t> payload(inner.GetBufferPointer(), inner.GetSize());
  const auto mac = crypto::hmac_sha256(key, payload);

  FlatBufferBuilder outer(inner.GetSize() + 128);
  auto payload_vec = outer.CreateVector(payload.data(), payload.size());
  auto mac_vec = outer.CreateVector(mac.data(), mac.size());
  auto envelope_device = outer.CreateString(b.device_id);
  outer.Finish(fb::CreateEnvelope(outer, envelope_device, key_id, payload_vec, mac_vec),
               fb::EnvelopeIdentifier());
  return {outer.GetBufferPointer(), outer.GetBufferPointer() + outer.GetSize()};
}

decode_result<envelope_view> open_envelope(std::span<const std::uint8_t> frame,
                                           std::size_t max_frame_bytes) {
  if (frame.size() > max_frame_bytes) {
    return std::unexpected(rejection{reject_reason::oversized,
                                     std::to_string(frame.size()) + " bytes exceeds the cap of " +
                                         std::to_string(max_frame_bytes)});
  }
  if (frame.size() < 8 || !fb::EnvelopeBufferHasIdentifier(frame.data())) {
    return std::unexpected(rejection{reject_reason::bad_identifier, "not an HWF1 frame"});
  }
  // The envelope is four fields; its payload is verified separately, after the MAC, with the
  // tight limits (the generated verifier would otherwise check the nested buffer first, loosely).
  flatbuffers::Verifier::Options options;
  options.max_depth = 4;
  options.max_tables = 8;
  options.check_nested_flatbuffers = false;
  flatbuffers::Verifier verifier(frame.data(), frame.size(), options);
  if (!verifier.VerifyBuffer<fb::Envelope>(fb::EnvelopeIdentifier())) {
    return std::unexpected(rejection{reject_reason::bad_envelope, "envelope failed verification"});
  }
  const auto* env = fb::GetEnvelope(frame.data());
  if (env->device_id() == nullptr || env->device_id()->size() == 0 ||
      env->device_id()->size() > 64 || env->payload() == nullptr || env->mac() == nullptr) {
    return std::unexpected(
        rejection{reject_reason::bad_envelope, "envelope lacks device_id, payload or mac"});
  }
  return envelope_view{env->device_id()->string_view(),
                       env->key_id(),
                       {env->payload()->data(), env->payload()->size()},
                       {env->mac()->data(), env->mac()->size()}};
}

bool verify_mac(const envelope_view& envelope, std::span<const std::uint8_t> key) {
  const auto expected = crypto::hmac_sha256(key, envelope.payload);
  return crypto::constant_time_equal(expected, envelope.mac);
}

decode_result<batch> decode_payload(const envelope_view& envelope, std::int64_t now_ms) {
  auto verifier = tight_verifier(envelope.payload);
  if (!verifier.VerifyBuffer<fb::Batch>(nullptr)) {
    return std::unexpected(rejection{reject_reason::bad_payload, "batch failed verification"});
  }
  const auto* in = flatbuffers::GetRoot<fb::Batch>(envelope.payload.data());
  // The seqs the frame claims, for a receiver that acknowledges a frame it refuses to store.
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  if (in->records() != nullptr && in->records()->size() > 0) {
    const auto* first = in->records()->Get(0);
    const auto* last = in->records()->Get(in->records()->size() - 1);
    if (first != nullptr && last != nullptr && first->seq() > 0 && first->seq() <= last->seq()) {
      first_seq = first->seq();
      last_seq = last->seq();
    }
  }
  auto meaning = [&](std::string detail) {
    return std::unexpected(
        rejection{reject_reason::bad_meaning, std::move(detail), first_seq, last_seq});
  };
  if (in->device_id() == nullptr || in->device_id()->string_view() != envelope.device_id) {
    return meaning("batch device_id differs from the envelope's");
  }
  if (in->records() == nullptr || in->records()->size() == 0)
    return meaning("batch has no records");
  if (in->records()->size() > max_records_per_batch) return meaning("batch has too many records");
  if (!valid_string(in->boot_id()) || !valid_text(str(in->boot_id()))) {
    return meaning("boot_id too long or not UTF-8");
  }
  batch out;
  out.device_id = std::string(envelope.device_id);
  out.boot = in->boot();
  out.boot_id = str(in->boot_id());
  out.sent_at_ms = in->sent_at_ms();
  out.outbox_floor = in->outbox_floor();
  out.covers_from = in->covers_from();
  out.records.reserve(in->records()->size());
  std::uint64_t previous_seq = 0;
  for (const auto* rec : *in->records()) {
    auto decoded = decode_record_table(*rec);
    if (!decoded) return meaning(decoded.error().message);
    if (decoded->seq == 0 || decoded->seq <= previous_seq) {
      return meaning("record sequence numbers are not strictly increasing");
    }
    if (decoded->wall_ms < now_ms - max_age_ms || decoded->wall_ms > now_ms + max_future_ms) {
      return meaning("record wall time " + std::to_string(decoded->wall_ms) + " is not sane");
    }
    if (decoded->boot > out.boot) return meaning("record boot is after the batch's boot");
    if (auto why = meaning_error(*decoded); !why.empty()) {
      return meaning("record " + std::to_string(decoded->seq) + ": " + why);
    }
    if (previous_seq == 0 && (decoded->seq < out.covers_from || decoded->seq < out.outbox_floor)) {
      return meaning("first record lies below covers_from or outbox_floor");
    }
    previous_seq = decoded->seq;
    out.records.push_back(std::move(*decoded));
  }
  return out;
}

namespace {
crypto::sha256_digest ack_mac(std::string_view device_id, std::uint64_t stored_through,
                              std::span<const std::uint8_t> key) {
  std::vector<std::uint8_t> message(device_id.begin(), device_id.end());
  message.push_back(0);
  for (int shift = 56; shift >= 0; shift -= 8) {
    message.push_back(static_cast<std::uint8_t>(stored_through >> shift));
  }
  auto ack_key = crypto::purpose_key(key, crypto::key_purpose::stored_ack);
  const auto mac = crypto::hmac_sha256(ack_key, message);
  crypto::secure_zero(ack_key);
  return mac;
}
}  // namespace

stored_ack sign_ack(std::string device_id, std::uint64_t stored_through, std::uint32_t key_id,
                    std::span<const std::uint8_t> key) {
  const auto mac = ack_mac(device_id, stored_through, key);
  return {std::move(device_id), stored_through, key_id, {mac.begin(), mac.end()}};
}

bool verify_ack(const stored_ack& ack, std::span<const std::uint8_t> key) {
  if (ack.mac.size() != crypto::sha256_digest{}.size()) return false;
  return crypto::constant_time_equal(ack_mac(ack.device_id, ack.stored_through, key), ack.mac);
}

std::vector<std::uint8_t> encode_ack(const stored_ack& ack) {
  FlatBufferBuilder fbb(128);
  auto device = fbb.CreateString(ack.device_id);
  auto mac = ack.mac.empty() ? 0 : fbb.CreateVector(ack.mac);
  fbb.Finish(fb::CreateStoredAck(fbb, device, ack.stored_through, ack.key_id, mac),
             fb::StoredAckIdentifier());
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

result<stored_ack> decode_ack(std::span<const std::uint8_t> bytes) {
  if (bytes.size() > 1024 || bytes.size() < 8 || !fb::StoredAckBufferHasIdentifier(bytes.data())) {
    return fail(errc::corrupt, "not an HWA1 stored-ack");
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size(), 4, 4);
  if (!fb::VerifyStoredAckBuffer(verifier))
    return fail(errc::corrupt, "stored-ack failed verification");
  const auto* ack = fb::GetStoredAck(bytes.data());
  if (ack->mac() != nullptr && ack->mac()->size() > 64) {
    return fail(errc::corrupt, "stored-ack MAC is too long");
  }
  stored_ack out{str(ack->device_id()), ack->stored_through(), ack->key_id(), {}};
  if (ack->mac() != nullptr) out.mac.assign(ack->mac()->begin(), ack->mac()->end());
  return out;
}

}  // namespace hoistway::common::wire
