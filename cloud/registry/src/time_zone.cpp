// Time zones from the system's TZif files (RFC 8536): the transitions and their offsets.
#include "hoistway/cloud/registry/time_zone.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace hoistway::cloud {
namespace {

struct zone {
  std::vector<std::int64_t> transitions;  // seconds since the epoch, ascending
  std::vector<int> offsets;               // minutes, the offset from each transition on
  int initial = 0;                        // before the first transition
};

bool name_ok(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' ||
      name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

std::uint64_t be(const std::vector<unsigned char>& d, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v = (v << 8) | d[at + i];
  return v;
}

// Parses a TZif file; nullopt if it is not one (or is cut short).
std::optional<zone> parse(const std::vector<unsigned char>& d) {
  auto header = [&d](std::size_t at, std::array<std::uint64_t, 6>& counts) {
    if (d.size() < at + 44 || d[at] != 'T' || d[at + 1] != 'Z' || d[at + 2] != 'i' ||
        d[at + 3] != 'f') {
      return false;
    }
    for (std::size_t i = 0; i < 6; ++i) counts[i] = be(d, at + 20 + 4 * i, 4);
    return true;
  };
  std::array<std::uint64_t, 6> c{};  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  if (!header(0, c)) return std::nullopt;
  const bool v2 = d[4] >= '2';
  auto block_size = [](const std::array<std::uint64_t, 6>& k, std::size_t time_bytes) {
    return k[3] * time_bytes + k[3] + k[4] * 6 + k[5] + k[2] * (time_bytes + 4) + k[1] + k[0];
  };
  std::size_t at = 44;
  std::size_t time_bytes = 4;
  if (v2) {
    at += block_size(c, 4);
    if (!header(at, c)) return std::nullopt;
    at += 44;
    time_bytes = 8;
  }
  if (c[4] == 0 || c[4] > 256 || c[3] > 100'000 || d.size() < at + block_size(c, time_bytes))
    return std::nullopt;
  zone z;
  const auto times = at;
  const auto indices = times + c[3] * time_bytes;
  const auto types = indices + c[3];
  auto offset_of = [&](std::size_t type) {
    const auto raw = static_cast<std::uint32_t>(be(d, types + type * 6, 4));
    return static_cast<int>(static_cast<std::int32_t>(raw)) / 60;
  };
  for (std::size_t i = 0; i < c[3]; ++i) {
    auto t = be(d, times + i * time_bytes, time_bytes);
    const auto seconds =
        time_bytes == 8
            ? static_cast<std::int64_t>(t)
            : static_cast<std::int64_t>(static_cast<std::int32_t>(static_cast<std::uint32_t>(t)));
    const auto type = d[indices + i];
    if (type >= c[4]) return std::nullopt;
    z.transitions.push_back(seconds);
    z.offsets.push_back(offset_of(type));
  }
  // Before the first transition: the first standard-time type (RFC 8536 §3.2), else type 0.
  z.initial = offset_of(0);
  for (std::size_t t = 0; t < c[4]; ++t) {
    if (d[types + t * 6 + 4] == 0) {
      z.initial = offset_of(t);
      break;
    }
  }
  return z;
}

std::shared_ptr<const zone> load(std::string_view name, const std::string& dir) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const zone>, std::less<>> cache;
  const auto key = dir + "/" + std::string(name);
  {
    std::lock_guard lock(mutex);
    if (const auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::ifstream in(key, std::ios::binary);
  if (!in) return nullptr;
  std::vector<unsigned char> data;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.insert(data.end(), buffer, buffer + in.gcount());
    if (data.size() > 256 * 1024) return nullptr;  // no zone file is this large
  }
  auto parsed = parse(data);
  if (!parsed) return nullptr;
  auto z = std::make_shared<const zone>(std::move(*parsed));
  std::lock_guard lock(mutex);
  cache.emplace(key, z);  // only files that exist and parse: bounded by the directory
  return z;
}

}  // namespace

bool valid_time_zone(std::string_view name, const std::string& zoneinfo_dir) {
  return name_ok(name) && load(name, zoneinfo_dir) != nullptr;
}

std::optional<int> utc_offset_minutes(std::string_view name, std::int64_t at_ms,
                                      const std::string& zoneinfo_dir) {
  if (!name_ok(name)) return std::nullopt;
  const auto z = load(name, zoneinfo_dir);
  if (!z) return std::nullopt;
  const auto seconds = at_ms / 1000;
  const auto it = std::upper_bound(z->transitions.begin(), z->transitions.end(), seconds);
  if (it == z->transitions.begin()) return z->initial;
  return z->offsets[static_cast<std::size_t>(std::distance(z->transitions.begin(), it)) - 1];
}

std::string format_utc_offset(int minutes) {
  const char sign = minutes < 0 ? '-' : '+';
  const int m = minutes < 0 ? -minutes : minutes;
  std::string out(1, sign);
  out += static_cast<char>('0' + m / 600);
  out += static_cast<char>('0' + (m / 60) % 10);
  out += ':';
  out += static_cast<char>('0' + (m % 60) / 10);
  out += static_cast<char>('0' + m % 10);
  return out;
}

}  // namespace hoistway::cloud
