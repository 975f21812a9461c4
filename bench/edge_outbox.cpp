// bench_edge_outbox: outbox append rate (durable commits, synchronous=FULL) in batches, and one
// record per commit (the agent's worst case: one commit per read). Prints figures.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "hoistway/edge/outbox.hpp"

namespace hc = hoistway::common;
namespace fs = std::filesystem;

namespace {

hc::record sample(std::int64_t i) {
  hc::run_state s;
  s.position_mm = static_cast<std::int32_t>(i * 10);
  s.floor = static_cast<std::int16_t>(i % 10);
  s.door = hc::door_state::closed;
  s.mode = hc::car_mode::normal;
  s.in_service = true;
  return {0, static_cast<std::uint8_t>(i % 2), 1'795'600'000'000 + i, i, 1, s};
}

double run(const std::string& path, std::size_t batch, std::size_t total) {
  fs::remove(path);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");
  auto box = hoistway::edge::outbox::open({path, 10'000'000});
  if (!box) {
    std::fprintf(stderr, "outbox: %s\n", box.error().message.c_str());
    return 0;
  }
  std::vector<hc::record> records;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t done = 0; done < total; done += batch) {
    records.clear();
    for (std::size_t i = 0; i < batch; ++i)
      records.push_back(sample(static_cast<std::int64_t>(done + i)));
    if (auto st = box->append(records); !st) {
      std::fprintf(stderr, "append: %s\n", st.error().message.c_str());
      return 0;
    }
  }
  const auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(total) / s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : fs::temp_directory_path().string();
  const std::string path = dir + "/bench-outbox-" + std::to_string(::getpid()) + ".db";
  for (const std::size_t batch : {std::size_t{100}, std::size_t{1000}}) {
    std::printf("append, %4zu records per commit: %.0f records/s (target >= 20000)\n", batch,
                run(path, batch, 100'000));
  }
  std::printf("append, %4d record per commit:  %.0f records/s (fsync-bound)\n", 1,
              run(path, 1, 500));
  fs::remove(path);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");
  return 0;
}
