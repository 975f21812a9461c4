// Frames no agent of ours would send (see forge.hpp).
#include "forge.hpp"

#include <flatbuffers/flatbuffers.h>

#include <fstream>
#include <iterator>
#include <map>
#include <stdexcept>

#include "hoistway/common/crypto.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "hoistway/wire/frame_generated.h"

namespace hoistway::testing::forge {
namespace {

namespace hc = hoistway::common;
namespace fb = hoistway::wire;

std::int64_t fixed_now_ms = 0;  // 0: the system clock
std::int64_t now_ms() { return fixed_now_ms != 0 ? fixed_now_ms : hc::system_clock().wall_ms(); }

// A frame whose one record names `type` and carries no body (or an unknown member when `type`
// is past the union), signed as the agent signs: the payload verifies, the MAC is good.
std::vector<std::uint8_t> raw_frame(const std::string& device, std::uint32_t key_id,
                                    const std::vector<std::uint8_t>& key, std::uint64_t seq,
                                    std::uint8_t type, bool with_body) {
  flatbuffers::FlatBufferBuilder inner;
  flatbuffers::Offset<void> body = 0;
  if (with_body) body = fb::CreateClockJump(inner, 1).Union();
  fb::RecordBuilder record(inner);
  record.add_seq(seq);
  record.add_wall_ms(now_ms());
  record.add_body_type(static_cast<fb::RecordBody>(type));
  if (with_body) record.add_body(body);
  const auto rec = record.Finish();
  const auto device_offset = inner.CreateString(device);
  const auto boot_id = inner.CreateString("forged");
  const auto records = inner.CreateVector(&rec, 1);
  inner.Finish(fb::CreateBatch(inner, device_offset, 1, boot_id, now_ms(), 0, records, seq));
  const std::span<const std::uint8_t> payload(inner.GetBufferPointer(), inner.GetSize());
  const auto mac = hc::crypto::hmac_sha256(key, payload);
  flatbuffers::FlatBufferBuilder outer;
  const auto payload_vec = outer.CreateVector(payload.data(), payload.size());
  const auto mac_vec = outer.CreateVector(mac.data(), mac.size());
  const auto envelope_device = outer.CreateString(device);
  outer.Finish(fb::CreateEnvelope(outer, envelope_device, key_id, payload_vec, mac_vec),
               fb::EnvelopeIdentifier());
  return {outer.GetBufferPointer(), outer.GetBufferPointer() + outer.GetSize()};
}

// A frame the codec encodes (a well-formed envelope) around records that mean nothing.
std::vector<std::uint8_t> codec_frame(const std::string& device, std::uint32_t key_id,
                                      const std::vector<std::uint8_t>& key,
                                      std::vector<hc::record> records) {
  hc::batch b;
  b.device_id = device;
  b.boot = 1;
  b.boot_id = "forged";
  b.sent_at_ms = now_ms();
  b.covers_from = records.empty() ? 0 : records.front().seq;
  b.records = std::move(records);
  return hc::wire::encode_frame(b, key_id, key);
}

hc::record record_at(std::uint64_t seq, hc::record_body body) {
  const auto now = now_ms();
  return {seq, 0, now, 1000, 1, std::move(body)};
}

using maker = std::vector<std::uint8_t> (*)(const std::string&, std::uint32_t,
                                            const std::vector<std::uint8_t>&, std::uint64_t);

const std::map<std::string, std::pair<std::string, maker>>& kinds() {
  static const std::map<std::string, std::pair<std::string, maker>> all = {
      {"good",
       {"a well-formed frame of one clock-jump record",
        [](const std::string& d, std::uint32_t k, const std::vector<std::uint8_t>& key,
           std::uint64_t seq) {
          return codec_frame(d, k, key, {record_at(seq, hc::clock_jump{1})});
        }}},
      {"bodiless",
       {"a record naming RunState with no body (a null table)",
        [](const std::string& d, std::uint32_t k, const std::vector<std::uint8_t>& key,
           std::uint64_t seq) { return raw_frame(d, k, key, seq, 1, false); }}},
      {"bodiless-visit",
       {"a record naming TechnicianVisit with no body",
        [](const std::string& d, std::uint32_t k, const std::vector<std::uint8_t>& key,
           std::uint64_t seq) { return raw_frame(d, k, key, seq, 9, false); }}},
      {"unknown-body",
       {"a record whose union member is past the schema's last",
        [](const std::string& d, std::uint32_t k, const std::vector<std::uint8_t>& key,
           std::uint64_t seq) { return raw_frame(d, k, key, seq, 200, true); }}},
      {"bad-utf8",
       {"a technician visit whose names are not UTF-8",
        [](const std::string& d, std::uint32_t k, const std::vector<std::uint8_t>& key,
           std::uint64_t seq) {
          return codec_frame(
              d, k, key,
              {record_at(seq, hc::technician_visit{true, "visit-\xff\xfe", "tech\xc0\xaf"})});
        }}},
      {"car-out-of-range",
       {"a record on car 250",
        [](const std::string& d, std::uint32_t k, const std::vector<std::uint8_t>& key,
           std::uint64_t seq) {
          auto rec = record_at(seq, hc::door_cycle{1, 3000, 0});
          rec.car = 250;
          return codec_frame(d, k, key, {rec});
        }}},
      {"reversed-trip",
       {"a trip that ends before it starts",
        [](const std::string& d, std::uint32_t k, const std::vector<std::uint8_t>& key,
           std::uint64_t seq) {
          const auto now = now_ms();
          return codec_frame(d, k, key,
                             {record_at(seq, hc::trip{0, 3, now, now - 60'000, 10, 1000, 9000})});
        }}},
      {"far-future",
       {"a record a year ahead of the cloud's clock",
        [](const std::string& d, std::uint32_t k, const std::vector<std::uint8_t>& key,
           std::uint64_t seq) {
          auto rec = record_at(seq, hc::clock_jump{1});
          rec.wall_ms += 366LL * 86'400'000;
          return codec_frame(d, k, key, {rec});
        }}},
  };
  return all;
}

}  // namespace

std::vector<std::uint8_t> read_key(const std::string& path) {
  std::ifstream in(path);
  std::string hex((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == ' ')) hex.pop_back();
  auto key = hc::crypto::from_hex(hex);
  if (!key) throw std::runtime_error(path + ": " + key.error().message);
  return *key;
}

void set_now_ms(std::int64_t wall_ms) { fixed_now_ms = wall_ms; }

std::vector<std::string> hostile_kinds() {
  std::vector<std::string> out;
  for (const auto& [name, entry] : kinds()) {
    if (name != "good") out.push_back(name);
  }
  return out;
}

std::map<std::string, std::string> all_kinds() {
  std::map<std::string, std::string> out;
  for (const auto& [name, entry] : kinds()) out.emplace(name, entry.first);
  return out;
}

std::optional<std::vector<std::uint8_t>> frame(const std::string& kind, const std::string& device,
                                               std::uint32_t key_id,
                                               const std::vector<std::uint8_t>& key,
                                               std::uint64_t seq) {
  const auto it = kinds().find(kind);
  if (it == kinds().end()) return std::nullopt;
  return it->second.second(device, key_id, key, seq);
}

}  // namespace hoistway::testing::forge
