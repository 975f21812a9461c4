// bench_cloud_ingest: the two MQTT ends of the ingest throughput benchmark (issue 5), driven by
// bench/cloud_ingest.py, which starts the broker and hoistway-ingest and computes the ratio.
//
//   bench_cloud_ingest publish --uri URI --devices FILE [--frames N] [--min-records A]
//                              [--max-records B] [--wait-acks] [--timeout S]
//     FILE has one device a line: "device_id key_hex mqtt_password". Each device connects as
//     itself (its own MQTT user, so the broker's ACL applies as in production) and subscribes to
//     its own ack topic. Every frame is encoded and signed before the clock starts, exactly as
//     the agent makes them (wire::encode_frame): per device, strictly increasing seqs from 1 in
//     frames of A..B records, mostly run-state samples with some trips and door cycles. Frames
//     go out interleaved across devices, QoS 1, as fast as Paho takes them. With --wait-acks it
//     waits until every device's stored-ack covers its last seq (the ingest acks only after the
//     commit). Then it waits for its stdin to close before disconnecting.
//
//   bench_cloud_ingest subscribe --uri URI --user U --password P --expect-frames N
//                                [--group G] [--check-store PATH] [--timeout S]
//     The do-nothing subscriber: the same link, QoS, session kind, in-flight window and
//     shared-subscription filter as hoistway-ingest ($share/G/hoistway/v1/dev/+/up), counting
//     messages until N have arrived.
//     With --check-store PATH it is the checks-only subscriber instead: on Paho's callback
//     thread, as hoistway-ingest does, it runs every frame through the ingest's checks
//     (cloud::verifier: size, identifier, device read from the store at PATH, HMAC, FlatBuffers
//     verifier, decoding, meaning) and stores nothing. What that arm reaches bounds what any
//     ingest that checks every frame as the issue asks can reach on the same machine.
//
// Output is key=value lines on stdout; times are CLOCK_MONOTONIC nanoseconds (std::steady_clock),
// comparable across the processes of one machine. Prints figures; asserts nothing on time.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include "hoistway/cloud/ingest_config.hpp"
#include "hoistway/cloud/store.hpp"
#include "hoistway/cloud/verifier.hpp"
#include "hoistway/common/crypto.hpp"
#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/topics.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "record_mix.hpp"

namespace hc = hoistway::common;
using steady = std::chrono::steady_clock;

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now().time_since_epoch())
      .count();
}

struct device {
  std::string id;
  std::vector<std::uint8_t> key;
  std::string password;
  std::vector<std::vector<std::uint8_t>> frames;
  std::uint64_t last_seq = 0;
  std::unique_ptr<hc::mqtt::link> link;
};

// One record as an agent derives it: mostly run-state samples, a trip and a door cycle in ten
// (bench/record_mix.hpp), two cars per device.
hc::record make_record(std::uint64_t seq, std::int64_t wall_ms) {
  hc::record r;
  r.seq = seq;
  r.car = static_cast<std::uint8_t>(seq % 2);
  r.wall_ms = wall_ms;
  r.mono_ms = static_cast<std::int64_t>(seq) * 100;
  r.boot = 1;
  r.body = hoistway::bench::mixed_body(seq, wall_ms);
  return r;
}

std::map<std::string, std::string> parse_args(int argc, char** argv, int first) {
  std::map<std::string, std::string> out;
  for (int i = first; i < argc; ++i) {
    std::string key = argv[i];
    if (key.rfind("--", 0) != 0) continue;
    key = key.substr(2);
    if (i + 1 < argc && std::strncmp(argv[i + 1], "--", 2) != 0) {
      out[key] = argv[++i];
    } else {
      out[key] = "1";
    }
  }
  return out;
}

std::string arg(const std::map<std::string, std::string>& args, const std::string& key,
                const std::string& fallback) {
  const auto it = args.find(key);
  return it == args.end() ? fallback : it->second;
}

long arg_int(const std::map<std::string, std::string>& args, const std::string& key,
             long fallback) {
  const auto it = args.find(key);
  return it == args.end() ? fallback : std::atol(it->second.c_str());
}

// User + system CPU seconds of this process, all threads.
double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

void wait_for_stdin_eof() {
  std::string line;
  while (std::getline(std::cin, line)) {
  }
}

int publish(const std::map<std::string, std::string>& args) {
  const auto uri = arg(args, "uri", "tcp://127.0.0.1:1883");
  const auto frames_per_device = static_cast<std::size_t>(arg_int(args, "frames", 40));
  const auto min_records = static_cast<std::size_t>(arg_int(args, "min-records", 32));
  const auto max_records = static_cast<std::size_t>(arg_int(args, "max-records", 256));
  const bool wait_acks = args.contains("wait-acks");
  const auto timeout = std::chrono::seconds(arg_int(args, "timeout", 120));

  std::vector<device> devices;
  {
    std::ifstream in(arg(args, "devices", ""));
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      device d;
      std::string key_hex;
      if (!(fields >> d.id >> key_hex >> d.password)) continue;
      auto key = hc::crypto::from_hex(key_hex);
      if (!key) {
        std::fprintf(stderr, "bad key for %s\n", d.id.c_str());
        return 65;
      }
      d.key = std::move(*key);
      devices.push_back(std::move(d));
    }
  }
  if (devices.empty() || min_records == 0 || max_records < min_records) {
    std::fprintf(stderr, "publish: no devices, or bad --min-records/--max-records\n");
    return 64;
  }

  // Pre-encode every frame. Wall times are 100 ms apart and end a minute before now.
  std::uint64_t total_records = 0;
  std::size_t total_bytes = 0;
  const auto wall_now = hc::system_clock().wall_ms();
  for (std::size_t i = 0; i < devices.size(); ++i) {
    auto& d = devices[i];
    std::mt19937 rng(static_cast<std::uint32_t>(1000 + i));
    std::uniform_int_distribution<std::size_t> size(min_records, max_records);
    std::vector<std::size_t> sizes(frames_per_device);
    std::uint64_t count = 0;
    for (auto& s : sizes) count += (s = size(rng));
    const std::int64_t wall0 = wall_now - 60'000 - static_cast<std::int64_t>(count) * 100;
    hc::batch b;
    b.device_id = d.id;
    b.boot = 1;
    b.boot_id = hc::crypto::random_uuid();
    b.outbox_floor = 1;  // a publishing agent holds everything unacknowledged
    std::uint64_t seq = 1;
    for (const auto n : sizes) {
      b.sent_at_ms = wall_now;
      b.covers_from = seq;
      b.records.clear();
      for (std::size_t k = 0; k < n; ++k, ++seq) {
        b.records.push_back(make_record(seq, wall0 + static_cast<std::int64_t>(seq) * 100));
      }
      d.frames.push_back(hc::wire::encode_frame(b, 1, d.key));
      total_bytes += d.frames.back().size();
    }
    d.last_seq = seq - 1;
    total_records += d.last_seq;
  }

  // Connect every device as itself; each listens for its own acks.
  std::mutex mutex;
  std::condition_variable acked_cv;
  std::size_t devices_acked = 0;
  std::int64_t last_ack_ns = 0;
  std::atomic<std::uint64_t> acks_received{0};
  std::vector<std::uint64_t> acked_through(devices.size(), 0);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    auto& d = devices[i];
    hc::mqtt::options o;
    o.server_uri = uri;
    o.client_id = d.id;
    o.username = d.id;
    o.password = d.password;
    o.max_buffered = static_cast<int>(frames_per_device) + 100;
    auto link = hc::mqtt::link::create(o);
    if (!link) {
      std::fprintf(stderr, "%s\n", link.error().message.c_str());
      return 69;
    }
    d.link = std::move(*link);
    d.link->set_subscriptions({{hc::topics::ack(d.id), hc::mqtt::qos::at_least_once}});
    d.link->on_message([&, i](hc::mqtt::message m) {
      const auto t = now_ns();
      ++acks_received;
      auto ack = hc::wire::decode_ack(m.payload);
      if (!ack) return;
      std::lock_guard lock(mutex);
      const bool was_done = acked_through[i] >= devices[i].last_seq;
      acked_through[i] = std::max(acked_through[i], ack->stored_through);
      if (!was_done && acked_through[i] >= devices[i].last_seq) {
        ++devices_acked;
        last_ack_ns = t;
        acked_cv.notify_all();
      }
    });
    (void)d.link->connect();
  }
  const auto connect_deadline = steady::now() + std::chrono::seconds(30);
  for (auto& d : devices) {
    while (!d.link->connected() && steady::now() < connect_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!d.link->connected()) {
      std::fprintf(stderr, "publish: %s did not connect\n", d.id.c_str());
      return 69;
    }
  }
  // Let the ack subscriptions (made after each connect) settle.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::printf("devices=%zu frames=%zu records=%llu bytes=%zu\n", devices.size(),
              devices.size() * frames_per_device, static_cast<unsigned long long>(total_records),
              total_bytes);
  std::fflush(stdout);

  // The CPU spent so far (encoding, connecting) is outside the measured window.
  std::printf("cpu_before_t0_s=%.3f\n", process_cpu_seconds());
  const auto t0 = now_ns();
  std::uint64_t retries = 0;
  for (std::size_t f = 0; f < frames_per_device; ++f) {
    for (auto& d : devices) {
      while (!d.link->publish(hc::topics::up(d.id), d.frames[f], hc::mqtt::qos::at_least_once,
                              hc::mqtt::retain::no)) {
        ++retries;  // Paho's buffer is full: let it drain
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  }
  const auto t_published = now_ns();
  std::printf("t0_ns=%lld\nt_published_ns=%lld\npublish_retries=%llu\n", static_cast<long long>(t0),
              static_cast<long long>(t_published), static_cast<unsigned long long>(retries));
  std::fflush(stdout);

  int rc = 0;
  if (wait_acks) {
    std::unique_lock lock(mutex);
    if (acked_cv.wait_for(lock, timeout, [&] { return devices_acked == devices.size(); })) {
      std::printf("t_acked_ns=%lld\n", static_cast<long long>(last_ack_ns));
    } else {
      std::printf("timeout=1 devices_acked=%zu\n", devices_acked);
      rc = 75;
    }
  }
  std::printf("acks_received=%llu\n", static_cast<unsigned long long>(acks_received.load()));
  std::printf("done=1\n");
  std::fflush(stdout);
  wait_for_stdin_eof();
  for (auto& d : devices) d.link->disconnect(std::chrono::milliseconds(500));
  return rc;
}

int subscribe(const std::map<std::string, std::string>& args) {
  const auto expect = static_cast<std::uint64_t>(arg_int(args, "expect-frames", 0));
  const auto timeout = std::chrono::seconds(arg_int(args, "timeout", 120));
  // As hoistway-ingest configures its link (cloud/src/ingest_config.cpp).
  hc::mqtt::options o;
  o.server_uri = arg(args, "uri", "tcp://127.0.0.1:1883");
  o.client_id = arg(args, "client-id", "bench-null-subscriber");
  o.username = arg(args, "user", "");
  o.password = arg(args, "password", "");
  o.session_kind = hc::mqtt::session::persistent;
  o.max_inflight = 256;
  auto link = hc::mqtt::link::create(o);
  if (!link) {
    std::fprintf(stderr, "%s\n", link.error().message.c_str());
    return 69;
  }
  const auto group = arg(args, "group", "bench");
  std::string up(hc::topics::all_up);
  if (!group.empty()) up = "$share/" + group + "/" + up;
  (*link)->set_subscriptions({{up, hc::mqtt::qos::at_least_once},
                              {std::string(hc::topics::all_state), hc::mqtt::qos::at_least_once}});

  // The checks-only arm: the ingest's verifier, on its own connection to a copy of the store.
  std::optional<hoistway::cloud::verifier> checks;
  const auto clock = std::make_shared<hc::system_clock>();
  if (const auto path = arg(args, "check-store", ""); !path.empty()) {
    auto db = hoistway::cloud::store::open(path);
    if (!db) {
      std::fprintf(stderr, "subscribe: %s\n", db.error().message.c_str());
      return 66;
    }
    auto opened = hoistway::cloud::verifier::open(std::move(*db), clock,
                                                  hoistway::cloud::ingest_config{}.max_frame_bytes);
    if (!opened) {
      std::fprintf(stderr, "subscribe: %s\n", opened.error().message.c_str());
      return 66;
    }
    checks.emplace(std::move(*opened));
  }

  std::mutex mutex;
  std::condition_variable done_cv;
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint64_t checked_records = 0;
  std::uint64_t rejected = 0;
  std::int64_t first_ns = 0;
  std::int64_t last_ns = 0;
  (*link)->on_message([&](hc::mqtt::message m) {
    std::size_t records = 0;
    bool refused = false;
    if (checks && hc::topics::device_of(m.topic, "up")) {
      const auto verdict = checks->check(m.topic, m.payload, clock->wall_ms());
      refused = !verdict;
      if (verdict) records = verdict->records.size();
    }
    const auto t = now_ns();
    std::lock_guard lock(mutex);
    checked_records += records;
    rejected += refused ? 1 : 0;
    if (frames++ == 0) first_ns = t;
    last_ns = t;
    bytes += m.payload.size();
    if (frames == expect) done_cv.notify_all();
  });
  std::atomic<bool> up_now{false};
  (*link)->on_connection([&](bool connected, const std::string&) { up_now = connected; });
  (void)(*link)->connect();
  const auto deadline = steady::now() + std::chrono::seconds(30);
  while (!up_now && steady::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!up_now) {
    std::fprintf(stderr, "subscribe: not connected\n");
    return 69;
  }
  std::printf("subscribed=1\n");
  std::fflush(stdout);
  int rc = 0;
  {
    std::unique_lock lock(mutex);
    if (!done_cv.wait_for(lock, timeout, [&] { return frames >= expect; })) rc = 75;
    std::printf(
        "frames=%llu\nbytes=%llu\nchecked_records=%llu\nrejected=%llu\n"
        "t_first_ns=%lld\nt_last_ns=%lld\n",
        static_cast<unsigned long long>(frames), static_cast<unsigned long long>(bytes),
        static_cast<unsigned long long>(checked_records), static_cast<unsigned long long>(rejected),
        static_cast<long long>(first_ns), static_cast<long long>(last_ns));
    if (rc != 0) std::printf("timeout=1\n");
    std::fflush(stdout);
  }
  (*link)->disconnect(std::chrono::milliseconds(500));
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: bench_cloud_ingest publish --uri URI --devices FILE [--frames N] "
                 "[--min-records A] [--max-records B] [--wait-acks] [--timeout S]\n"
                 "       bench_cloud_ingest subscribe --uri URI --user U --password P "
                 "--expect-frames N [--group G] [--check-store PATH] [--timeout S]\n");
    return 64;
  }
  const auto args = parse_args(argc, argv, 2);
  if (std::strcmp(argv[1], "publish") == 0) return publish(args);
  if (std::strcmp(argv[1], "subscribe") == 0) return subscribe(args);
  std::fprintf(stderr, "unknown mode %s\n", argv[1]);
  return 64;
}
