// Tests of the ingest writer's intake (intake.hpp) at its bounds: a refused frame is
// acknowledged without being stored (its seqs join the coverage), and no device can grow its
// coverage past max_pending_intervals gaps.
#include "hoistway/cloud/ingest/intake.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "temp_dir.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace common = hoistway::common;

const std::vector<std::uint8_t> device_key(32, 0x17);

struct fixture {
  hoistway::testing::temp_dir dir{"hoistway-intake"};
  std::optional<hc::store> st;
  std::optional<hc::intake> writer;
  std::int64_t now = common::system_clock().wall_ms();

  fixture() {
    auto s = hc::store::open(dir.file("cloud.db"));
    REQUIRE_OK(s);
    st.emplace(std::move(*s));
    REQUIRE(st->provision({"d1", 1, device_key, {"U1"}}));
    auto w = hc::intake::open(
        *st, [](const std::string&, std::uint8_t) { return std::optional<std::string>("U1"); });
    REQUIRE_OK(w);
    writer.emplace(std::move(*w));
  }

  common::batch frame_of(std::uint64_t first, std::uint64_t last) {
    common::batch b;
    b.device_id = "d1";
    b.boot = 1;
    b.boot_id = "boot-1";
    b.sent_at_ms = now;
    b.covers_from = first;
    for (auto seq = first; seq <= last; ++seq) {
      b.records.push_back({seq, 0, now, 0, 1, common::clock_jump{1}});
    }
    return b;
  }

  // One transaction: `write` frames, then persist and commit; answers the ack, if any.
  template <typename F>
  std::optional<std::uint64_t> transaction(F&& body) {
    auto tx = st->begin();
    REQUIRE(tx.has_value());
    body();
    auto acks = writer->persist(now);
    REQUIRE(acks.has_value());
    REQUIRE(tx->commit());
    if (acks->empty()) return std::nullopt;
    return acks->front().stored_through;
  }

  common::result<hc::intake::written> write(const common::batch& b) {
    const auto bytes = common::wire::encode_frame(b, 1, device_key);
    std::vector<hc::pushed> pushes;
    return writer->write(b, bytes, now, pushes);
  }

  std::int64_t frames_stored() {
    auto n = st->count("frames");
    REQUIRE(n.has_value());
    return *n;
  }
};

}  // namespace

TEST_CASE("intake: a refused frame is acknowledged, not stored") {
  fixture f;
  auto ack = f.transaction([&] { REQUIRE(f.writer->refuse("d1", 1, 3)); });
  CHECK(ack == std::optional<std::uint64_t>(3));
  CHECK(f.frames_stored() == 0);
  // The next good frame goes on from there; a resend of the refused seqs is a duplicate.
  ack = f.transaction([&] {
    auto w = f.write(f.frame_of(4, 5));
    REQUIRE(w.has_value());
    CHECK(w->fresh == 2);
  });
  CHECK(ack == std::optional<std::uint64_t>(5));
  f.transaction([&] {
    auto w = f.write(f.frame_of(2, 3));
    REQUIRE(w.has_value());
    CHECK(w->fresh == 0);
    CHECK(w->duplicate == 2);
  });
}

TEST_CASE("intake: refusing for a device the store does not know acknowledges nothing") {
  fixture f;
  auto ack = f.transaction([&] { REQUIRE(f.writer->refuse("nobody", 1, 3)); });
  CHECK_FALSE(ack.has_value());
  // A range that makes no sense is ignored.
  ack = f.transaction([&] { REQUIRE(f.writer->refuse("d1", 5, 4)); });
  CHECK_FALSE(ack.has_value());
}

TEST_CASE("intake: no device grows its coverage past max_pending_intervals gaps") {
  fixture f;
  const auto cap = hc::intake::max_pending_intervals;
  // Every other seq, from 2: each frame opens a gap below it.
  f.transaction([&] {
    for (std::uint64_t i = 1; i <= cap; ++i) {
      auto w = f.write(f.frame_of(2 * i, 2 * i));
      REQUIRE_OK(w);
    }
  });
  auto coverage = f.st->coverage("d1");
  REQUIRE(coverage.has_value());
  CHECK((*coverage)->pending_intervals() == cap);
  f.transaction([&] {
    // One more gap is refused, as the values' fault (not the store's).
    auto w = f.write(f.frame_of(2 * cap + 2, 2 * cap + 2));
    REQUIRE_FALSE(w.has_value());
    CHECK(w.error().code == common::errc::conflict);
    // Nor does refusing that frame open it.
    REQUIRE(f.writer->refuse("d1", 2 * cap + 2, 2 * cap + 2));
    // What closes a gap, or adjoins one, is still taken.
    auto closing = f.write(f.frame_of(1, 1));
    REQUIRE_OK(closing);
    auto adjoining = f.write(f.frame_of(2 * cap + 1, 2 * cap + 1));
    REQUIRE_OK(adjoining);
  });
  coverage = f.st->coverage("d1");
  REQUIRE(coverage.has_value());
  CHECK((*coverage)->pending_intervals() <= cap);
  CHECK((*coverage)->stored_through() == 2);
}
