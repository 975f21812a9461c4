// bench_edge_codec: encode + sign cost per record (frames of 256 records, as the agent sends
// them), and frame bytes per record beside the same records as compact JSON. Prints figures.
#include <chrono>
#include <cstdio>
#include <vector>

#include "hoistway/common/crypto.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "hoistway/edge/cli/protocol.hpp"
#include "record_mix.hpp"

namespace hc = hoistway::common;

namespace {

// A realistic mix: mostly run-state samples, some trips and door cycles.
std::vector<hc::record> make_records(std::size_t n) {
  std::vector<hc::record> out;
  std::int64_t wall = 1'795'600'000'000;
  for (std::size_t i = 0; i < n; ++i) {
    hc::record r;
    r.seq = 1000 + i;
    r.car = static_cast<std::uint8_t>(i % 2);
    r.wall_ms = wall + static_cast<std::int64_t>(i) * 100;
    r.mono_ms = static_cast<std::int64_t>(i) * 100;
    r.boot = 7;
    r.body = hoistway::bench::mixed_body(i, r.wall_ms);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

int main() {
  constexpr std::size_t per_frame = 256;
  constexpr int frames = 2000;
  const auto key = hc::crypto::random_bytes(32);
  hc::batch b;
  b.device_id = "office-1";
  b.boot = 7;
  b.boot_id = hc::crypto::random_uuid();
  b.sent_at_ms = 1'795'600'000'000;
  b.outbox_floor = 1000;
  b.covers_from = 1000;
  b.records = make_records(per_frame);

  std::size_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < frames; ++i) bytes += hc::wire::encode_frame(b, 1, key).size();
  const auto elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double per_record_us = elapsed * 1e6 / (frames * static_cast<double>(per_frame));

  // The outbox encodes each record once more on its own (encode_record) when it stores it.
  const auto start2 = std::chrono::steady_clock::now();
  std::size_t sink = 0;
  for (int i = 0; i < frames; ++i) {
    for (const auto& r : b.records) sink += hc::wire::encode_record(r).size();
  }
  const auto elapsed2 =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start2).count();

  std::size_t json_bytes = 0;
  {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& r : b.records) array.push_back(hoistway::edge::cli::to_json(r));
    json_bytes = array.dump().size();
  }
  const double frame_per_record = static_cast<double>(bytes) / frames / per_frame;
  const double json_per_record = static_cast<double>(json_bytes) / per_frame;
  std::printf("encode+sign: %.3f us per record (frames of %zu records, %d frames; target < 5 us)\n",
              per_record_us, per_frame, frames);
  std::printf("encode_record (outbox row): %.3f us per record (%zu bytes per %zu records)\n",
              elapsed2 * 1e6 / (frames * static_cast<double>(per_frame)), sink / frames, per_frame);
  std::printf(
      "frame bytes per record: %.1f; same records as compact JSON: %.1f; ratio %.3f "
      "(target <= 0.25)\n",
      frame_per_record, json_per_record, frame_per_record / json_per_record);
  return 0;
}
