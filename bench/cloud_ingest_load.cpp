// bench_cloud_ingest: the MQTT ends of the ingest throughput benchmark (issue 5) and its junk
// publisher (issue 13), driven by bench/cloud_ingest.py, which starts the broker and
// hoistway-ingest and computes the ratios.
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
//   bench_cloud_ingest junk --uri URI --devices FILE --hostile ID --stranger ID --known FILE
//                           [--rate N] [--seconds S] [--max-frame-bytes B] [--seed N]
//                           [--skip KIND,...]
//     The junk publisher (issue 13): N junk frames a second (default 1,000), evenly paced, for S
//     seconds or, without --seconds, until its stdin closes. FILE (as for publish) holds the two
//     junk devices, each on a connection of its own: --hostile, a device the ingest knows, sends
//     cut-short and bit-flipped copies of its real frames, frames signed with a wrong key and
//     signed-but-meaningless frames (tests/support/forge.hpp, at increasing seqs); --stranger, a
//     device revoked in the store whose broker entry is still there, sends random bytes,
//     frames over max_frame_bytes, frames naming devices nobody provisioned, frames signed
//     with its old key, and frames on the topics of the measured devices (--known: their ids
//     only) and of unprovisioned ones, which the broker's ACL lets no one but their owner write.
//     The kinds take turns, one ninth of the rate each (--skip leaves a kind's turns unsent, for
//     finding what one kind costs). Prints what it published per kind.
//
// Output is key=value lines on stdout; times are CLOCK_MONOTONIC nanoseconds (std::steady_clock),
// comparable across the processes of one machine. Prints figures; asserts nothing on time.
#include <array>
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
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include "hoistway/cloud/ingest/verifier.hpp"
#include "hoistway/cloud/server/server_config.hpp"
#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/crypto.hpp"
#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/topics.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "record_mix.hpp"
#ifdef HOISTWAY_BENCH_FORGE
#include "forge.hpp"
#endif

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

// A devices file: one device a line, "device_id key_hex mqtt_password"; nullopt (after saying
// why on stderr) when a key is not hex.
std::optional<std::vector<device>> read_devices(const std::string& path) {
  std::vector<device> devices;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    device d;
    std::string key_hex;
    if (!(fields >> d.id >> key_hex >> d.password)) continue;
    auto key = hc::crypto::from_hex(key_hex);
    if (!key) {
      std::fprintf(stderr, "%s: bad key for %s\n", path.c_str(), d.id.c_str());
      return std::nullopt;
    }
    d.key = std::move(*key);
    devices.push_back(std::move(d));
  }
  return devices;
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

  auto read = read_devices(arg(args, "devices", ""));
  if (!read) return 65;
  auto devices = std::move(*read);
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
  // Flushed at once: the script reads the other processes' CPU when it sees this line.
  std::printf("cpu_before_t0_s=%.3f\n", process_cpu_seconds());
  std::fflush(stdout);
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
  // As hoistway-ingest configures its link (cloud/server/src/server_config.cpp).
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

// The junk kinds, in the order the publisher cycles through them (one of each per cycle, so
// each is 1/9 of the rate), with the connection that sends each. `stranger` is a device whose
// broker entry outlived its revocation in the store; `hostile` a device the ingest knows, with
// its own key and credentials, sending what no agent of ours would.
enum class junk : std::uint8_t {
  random,
  truncated,
  bitflip,
  unknown_device,
  wrong_mac,
  oversized,
  forged,
  revoked,
  foreign_topic,
};
struct junk_kind {
  junk id;
  const char* name;
  bool from_stranger;
};
constexpr junk_kind junk_kinds[] = {
    {junk::random, "random", true},         // random bytes
    {junk::truncated, "truncated", false},  // a real frame of the hostile device, cut short
    {junk::bitflip, "bitflip", false},      // a real frame of the hostile device, 1-4 bits flipped
    {junk::unknown_device, "unknown-device",
     true},  // an envelope naming a device nobody provisioned, own topic
    {junk::wrong_mac, "wrong-mac",
     false},                               // the hostile device's own frame signed with another key
    {junk::oversized, "oversized", true},  // over the ingest's max_frame_bytes
    {junk::forged, "forged", false},   // signed by the hostile device, meaningless (hoistway_forge)
    {junk::revoked, "revoked", true},  // well-formed and signed by the revoked device's old key
    {junk::foreign_topic, "foreign-topic",
     true},  // on a measured device's (or a ghost's) topic: the ACL's case
};
constexpr std::size_t junk_kind_count = std::size(junk_kinds);
// The kinds are indexed by their id (the counts below, --skip).
static_assert([] {
  for (std::size_t k = 0; k < junk_kind_count; ++k) {
    if (static_cast<std::size_t>(junk_kinds[k].id) != k) return false;
  }
  return true;
}());

// A frame of `n` live-traffic records from `seq` for `device`, signed with `key`.
std::vector<std::uint8_t> live_frame(const std::string& device, std::span<const std::uint8_t> key,
                                     std::uint64_t seq, std::size_t n) {
  hc::batch b;
  b.device_id = device;
  b.boot = 1;
  b.boot_id = hc::crypto::random_uuid();
  b.outbox_floor = 1;
  const auto wall = hc::system_clock().wall_ms() - 60'000;
  b.sent_at_ms = wall + 60'000;
  b.covers_from = seq;
  for (std::size_t k = 0; k < n; ++k) {
    b.records.push_back(make_record(seq + k, wall + static_cast<std::int64_t>(k) * 100));
  }
  return hc::wire::encode_frame(b, 1, key);
}

int junk_publisher(const std::map<std::string, std::string>& args) {
  const auto uri = arg(args, "uri", "tcp://127.0.0.1:1883");
  const auto rate = arg_int(args, "rate", 1000);
  const auto seconds = arg_int(args, "seconds", 0);
  const auto max_frame_bytes = static_cast<std::size_t>(arg_int(args, "max-frame-bytes", 262'144));
  auto read = read_devices(arg(args, "devices", ""));
  if (!read) return 65;
  device* hostile = nullptr;
  device* stranger = nullptr;
  for (auto& d : *read) {
    if (d.id == arg(args, "hostile", "")) hostile = &d;
    if (d.id == arg(args, "stranger", "")) stranger = &d;
  }
  // Ids of the measured devices (only the first column of their file is read: the junk never
  // has their keys).
  std::vector<std::string> known;
  {
    std::ifstream in(arg(args, "known", ""));
    for (std::string line; std::getline(in, line);) {
      std::istringstream fields(line);
      if (std::string id; fields >> id) known.push_back(id);
    }
  }
  // --skip KIND,...: those kinds' turns pass unsent, so the others keep their own rates (to
  // find what one kind costs, not to lighten the mix).
  std::array<bool, junk_kind_count> skip{};
  {
    std::istringstream names(arg(args, "skip", ""));
    for (std::string name; std::getline(names, name, ',');) {
      std::size_t k = 0;
      while (k < junk_kind_count && name != junk_kinds[k].name) ++k;
      if (k == junk_kind_count) {
        std::fprintf(stderr, "junk: --skip: no kind %s\n", name.c_str());
        return 64;
      }
      skip[k] = true;
    }
  }
  if (hostile == nullptr || stranger == nullptr || rate <= 0 || known.empty()) {
    std::fprintf(stderr,
                 "junk: needs --devices FILE with the --hostile and --stranger devices, --known "
                 "FILE (the measured devices) and --rate > 0\n");
    return 64;
  }
#ifndef HOISTWAY_BENCH_FORGE
  std::fprintf(stderr, "junk: built without hoistway_forge (tests off): no forged frames\n");
  return 69;
#else
  const auto forged_kinds = hoistway::testing::forge::hostile_kinds();

  // What can be made before the clock starts is: real frames of the hostile device to cut and
  // flip, frames under another key, frames naming ghosts or the measured devices.
  std::mt19937_64 rng(static_cast<std::uint64_t>(arg_int(args, "seed", 13)));
  std::vector<std::uint8_t> wrong_key(32);
  for (auto& b : wrong_key) b = static_cast<std::uint8_t>(rng());
  constexpr std::size_t pool = 32;
  std::vector<std::vector<std::uint8_t>> real, wrong_mac, ghosts, revoked, impostors;
  std::vector<std::string> foreign_topics;
  for (std::size_t i = 0; i < pool; ++i) {
    const auto n = 1 + i % 4;  // the live traffic's 1-4 records
    // Seqs far above the forged frames' so a flipped copy that happens to survive the checks is
    // stored apart from them.
    real.push_back(live_frame(hostile->id, hostile->key, 1'000'000'000 + i * 4, n));
    wrong_mac.push_back(live_frame(hostile->id, wrong_key, 1 + i * 4, n));
    const auto ghost = "ghost-" + std::to_string(i);
    ghosts.push_back(live_frame(ghost, wrong_key, 1, n));
    revoked.push_back(live_frame(stranger->id, stranger->key, 1 + i * 4, n));
    // Half aimed at measured devices (with a wrong MAC: the junk has no key of theirs), half at
    // ghosts; both on the named device's own topic, which only that device may write.
    const auto& target = i % 2 == 0 ? known[i % known.size()] : ghost;
    impostors.push_back(live_frame(target, wrong_key, 1, n));
    foreign_topics.push_back(hc::topics::up(target));
  }
  std::vector<std::uint8_t> oversized(max_frame_bytes + 4096);
  for (auto& b : oversized) b = static_cast<std::uint8_t>(rng());
  std::vector<std::uint8_t> scratch;

  // One connection per junk device, as itself.
  for (auto* d : {hostile, stranger}) {
    hc::mqtt::options o;
    o.server_uri = uri;
    o.client_id = d->id;
    o.username = d->id;
    o.password = d->password;
    auto link = hc::mqtt::link::create(o);
    if (!link) {
      std::fprintf(stderr, "%s\n", link.error().message.c_str());
      return 69;
    }
    d->link = std::move(*link);
    (void)d->link->connect();
  }
  const auto connect_deadline = steady::now() + std::chrono::seconds(30);
  for (auto* d : {hostile, stranger}) {
    while (!d->link->connected() && steady::now() < connect_deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!d->link->connected()) {
      std::fprintf(stderr, "junk: %s did not connect\n", d->id.c_str());
      return 69;
    }
  }

  // Without --seconds, runs until its stdin closes (the script closes it after the measured run).
  std::atomic<bool> stop{false};
  std::thread stdin_watch;
  if (seconds <= 0) {
    stdin_watch = std::thread([&] {
      wait_for_stdin_eof();
      stop = true;
    });
  }
  std::array<std::uint64_t, junk_kind_count> published{};
  std::array<std::uint64_t, junk_kind_count> refused{};  // Paho could not take it (buffer full)
  std::uint64_t forged_seq = 1;
  std::int64_t max_lag_ns = 0;
  const auto period_ns = 1'000'000'000 / rate;
  const auto t_start = now_ns();
  const auto t_stop = seconds > 0 ? t_start + seconds * 1'000'000'000LL : 0;
  std::printf("started=1 t_start_ns=%lld\n", static_cast<long long>(t_start));
  std::fflush(stdout);
  for (std::uint64_t i = 0; !stop; ++i) {
    // Evenly paced: frame i is due at t_start + i periods; a late one goes at once.
    const auto due = t_start + static_cast<std::int64_t>(i) * period_ns;
    if (t_stop != 0 && due >= t_stop) break;
    const auto k = i % junk_kind_count;
    if (skip[k]) continue;
    if (const auto now = now_ns(); now < due) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
    } else {
      max_lag_ns = std::max(max_lag_ns, now - due);
    }
    const auto j = (i / junk_kind_count) % pool;
    auto& d = junk_kinds[k].from_stranger ? *stranger : *hostile;
    auto topic = hc::topics::up(d.id);
    std::span<const std::uint8_t> payload;
    switch (junk_kinds[k].id) {
      case junk::random: {  // random bytes, 1 B to 4 KiB
        scratch.resize(1 + rng() % 4096);
        for (auto& b : scratch) b = static_cast<std::uint8_t>(rng());
        payload = scratch;
        break;
      }
      case junk::truncated: {  // truncated: a prefix of a real frame
        scratch.assign(real[j].begin(),
                       real[j].begin() + static_cast<std::ptrdiff_t>(rng() % real[j].size()));
        payload = scratch;
        break;
      }
      case junk::bitflip: {  // bit-flipped: 1-4 bits anywhere in a real frame
        scratch = real[j];
        for (auto flips = 1 + rng() % 4; flips > 0; --flips) {
          const auto bit = rng() % (scratch.size() * 8);
          scratch[bit / 8] = static_cast<std::uint8_t>(scratch[bit / 8] ^ (1U << (bit % 8)));
        }
        payload = scratch;
        break;
      }
      case junk::unknown_device:
        payload = ghosts[j];
        break;
      case junk::wrong_mac:
        payload = wrong_mac[j];
        break;
      case junk::oversized:
        payload = std::span(oversized).first(max_frame_bytes + 1 + rng() % 4096);
        break;
      case junk::forged: {  // a forged kind, in turn, at the hostile device's next seq
        scratch = *hoistway::testing::forge::frame(forged_kinds[forged_seq % forged_kinds.size()],
                                                   d.id, 1, d.key, forged_seq);
        ++forged_seq;
        payload = scratch;
        break;
      }
      case junk::revoked:
        payload = revoked[j];
        break;
      case junk::foreign_topic:
        topic = foreign_topics[j];
        payload = impostors[j];
        break;
    }
    if (d.link->publish(topic, payload, hc::mqtt::qos::at_least_once, hc::mqtt::retain::no)) {
      ++published[k];
    } else {
      ++refused[k];
    }
  }
  const auto t_end = now_ns();
  // Hand over what Paho still holds before counting it delivered.
  for (auto* d : {hostile, stranger}) d->link->disconnect(std::chrono::milliseconds(2000));
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < junk_kind_count; ++k) {
    std::printf("published_%s=%llu refused_%s=%llu\n", junk_kinds[k].name,
                static_cast<unsigned long long>(published[k]), junk_kinds[k].name,
                static_cast<unsigned long long>(refused[k]));
    total += published[k];
  }
  const auto elapsed = static_cast<double>(t_end - t_start) / 1e9;
  std::printf("t_end_ns=%lld\nseconds=%.3f\nper_s=%.1f\nmax_lag_ms=%.1f\n",
              static_cast<long long>(t_end), elapsed,
              elapsed > 0 ? static_cast<double>(total) / elapsed : 0.0,
              static_cast<double>(max_lag_ns) / 1e6);
  std::printf("junk_published=%llu\njunk_done=1\n", static_cast<unsigned long long>(total));
  std::fflush(stdout);
  if (stdin_watch.joinable()) stdin_watch.join();
  return 0;
#endif
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: bench_cloud_ingest publish --uri URI --devices FILE [--frames N] "
                 "[--min-records A] [--max-records B] [--wait-acks] [--timeout S]\n"
                 "       bench_cloud_ingest subscribe --uri URI --user U --password P "
                 "--expect-frames N [--group G] [--check-store PATH] [--timeout S]\n"
                 "       bench_cloud_ingest junk --uri URI --devices FILE --hostile ID "
                 "--stranger ID --known FILE [--rate N] [--seconds S] [--max-frame-bytes B] "
                 "[--seed N] [--skip KIND,...]\n");
    return 64;
  }
  const auto args = parse_args(argc, argv, 2);
  if (std::strcmp(argv[1], "publish") == 0) return publish(args);
  if (std::strcmp(argv[1], "subscribe") == 0) return subscribe(args);
  if (std::strcmp(argv[1], "junk") == 0) return junk_publisher(args);
  std::fprintf(stderr, "unknown mode %s\n", argv[1]);
  return 64;
}
