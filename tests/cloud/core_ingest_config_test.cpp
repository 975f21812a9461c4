// Tests of the [ingest] section of ingest.toml (server/server_config.hpp): defaults, every key, and
// values out of range or unknown keys refused with the key named.
#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <chrono>
#include <filesystem>
#include <string>

#include "hoistway/cloud/server/server_config.hpp"
#include "ingest_toml.hpp"
#include "temp_dir.hpp"

namespace {
namespace hc = hoistway::cloud;
}  // namespace

TEST_CASE("ingest config: [ingest] is read strictly, with reasons") {
  hoistway::testing::temp_dir dir{"hoistway-ingest-config"};
  auto load = [&dir](const std::string& ingest) {
    return hoistway::testing::load_ingest_toml(dir, ingest);
  };
  auto fails_with = [&dir](const std::string& ingest, const std::string& what) {
    hoistway::testing::check_ingest_toml_fails(dir, ingest, what);
  };

  SUBCASE("defaults without a section") {
    auto c = load("");
    REQUIRE_OK(c);
    CHECK(c->max_frame_bytes == 256 * 1024);
    CHECK(c->max_batch_frames == 512);
    CHECK(c->offline_after == std::chrono::seconds(30));
    CHECK(c->ack_interval == std::chrono::milliseconds(100));
    CHECK(c->dead_letters_per_s == 50);
    CHECK(c->dead_letters_max_rows == 10'000);
    CHECK(c->dead_letters_days == 14);
    CHECK(c->device_records_per_s == 20'000);
    CHECK(c->device_burst_records == 400'000);
  }
  SUBCASE("every key") {
    auto c = load(
        "[ingest]\nmax_frame_bytes = 65536\nmax_batch_frames = 64\noffline_after_s = 90\n"
        "ack_interval_ms = 0\ndead_letters_per_s = 0\ndead_letters_max_rows = 500\n"
        "dead_letters_days = 2\ndevice_records_per_s = 0\ndevice_burst_records = 5000\n");
    REQUIRE_OK(c);
    CHECK(c->max_frame_bytes == 65536);
    CHECK(c->max_batch_frames == 64);
    CHECK(c->offline_after == std::chrono::seconds(90));
    CHECK(c->ack_interval == std::chrono::milliseconds(0));
    CHECK(c->dead_letters_per_s == 0);
    CHECK(c->dead_letters_max_rows == 500);
    CHECK(c->dead_letters_days == 2);
    CHECK(c->device_records_per_s == 0);
    CHECK(c->device_burst_records == 5000);
  }
  SUBCASE("bad values") {
    fails_with("[ingest]\nack_interval_ms = -1\n", "ingest.ack_interval_ms: must be between 0 and");
    fails_with("[ingest]\nack_interval_ms = 5001\n", "ingest.ack_interval_ms: must be between");
    fails_with("[ingest]\nack_interval_ms = \"100\"\n", "expected an integer");
    fails_with("[ingest]\nmax_batch_frames = 0\n", "ingest.max_batch_frames: must be between");
    fails_with("[ingest]\nack_interval = 100\n", "ingest.ack_interval: unknown key");
    fails_with("[ingest]\ndead_letters_max_rows = 99\n",
               "ingest.dead_letters_max_rows: must be between");
    fails_with("[ingest]\ndead_letters_days = 0\n", "ingest.dead_letters_days: must be between");
    fails_with("[ingest]\ndevice_burst_records = 100\n",
               "ingest.device_burst_records: must be between");
  }
}

TEST_CASE("ingest config: config/ingest.example.toml states the [ingest] defaults") {
  const auto root = std::filesystem::path(HOISTWAY_SOURCE_DIR);
  auto c = hc::server_config::load((root / "config" / "ingest.example.toml").string());
  REQUIRE_OK(c);
  const hc::server_config defaults;
  CHECK(c->max_frame_bytes == defaults.max_frame_bytes);
  CHECK(c->max_batch_frames == defaults.max_batch_frames);
  CHECK(c->offline_after == defaults.offline_after);
  CHECK(c->ack_interval == defaults.ack_interval);
  CHECK(c->dead_letters_per_s == defaults.dead_letters_per_s);
  CHECK(c->dead_letters_max_rows == defaults.dead_letters_max_rows);
  CHECK(c->dead_letters_days == defaults.dead_letters_days);
  CHECK(c->device_records_per_s == defaults.device_records_per_s);
  CHECK(c->device_burst_records == defaults.device_burst_records);
}
