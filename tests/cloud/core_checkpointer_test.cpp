// Tests of the store's WAL checkpoints (store.hpp): once the writer leaves them to a
// checkpointer, its commits no longer copy pages into the database file; the checkpointer does,
// beside it, and what was committed reads back the same through a fresh connection.
#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "hoistway/cloud/store/store.hpp"
#include "temp_dir.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace fs = std::filesystem;

// Appends `frames` rows of 4 KiB (about a page each) for device d1 in one transaction.
void append(hc::store& st, int frames) {
  const std::vector<std::uint8_t> bytes(4096, 0x5A);
  auto tx = st.begin();
  REQUIRE_OK(tx);
  for (int i = 0; i < frames; ++i) {
    const auto seq = static_cast<std::uint64_t>(i + 1);
    REQUIRE(st.append_frame({"d1", 1000 + i, seq, seq, "", bytes}));
  }
  REQUIRE(tx->commit());
}

}  // namespace

TEST_CASE("checkpointer: the writer's commits stay in the WAL until the checkpointer copies them") {
  hoistway::testing::temp_dir dir("checkpointer");
  const auto path = (dir.path() / "cloud.db").string();
  auto st = hc::store::open(path);
  REQUIRE_OK(st);
  REQUIRE(st->provision({"d1", 1, std::vector<std::uint8_t>(32, 1), {}}));
  REQUIRE(st->leave_checkpoints());
  const auto before = fs::file_size(path);

  {
    // A checkpointer that does not come round during the test: 2,000 pages (past SQLite's
    // default of 1,000 automatic checkpoints) stay in the WAL.
    auto idle = hc::checkpointer::start(path, std::chrono::hours(1));
    REQUIRE_OK(idle);
    append(*st, 2000);
    CHECK(fs::file_size(path) == before);
    CHECK(fs::file_size(path + "-wal") > 2000u * 4096u);
  }

  auto copier = hc::checkpointer::start(path, std::chrono::milliseconds(10));
  REQUIRE_OK(copier);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (fs::file_size(path) < before + 2000u * 4096u &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(fs::file_size(path) >= before + 2000u * 4096u);

  // What was committed reads back the same through a fresh connection.
  auto reader = hc::store::open(path);
  REQUIRE_OK(reader);
  auto held = reader->count("frames");
  REQUIRE(held.has_value());
  CHECK(*held == 2000);
}
