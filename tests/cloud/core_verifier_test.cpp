// Tests of the frame checks (verifier.hpp) on a real store file: a good frame decodes; every
// failed check answers its own reason; a device added, re-keyed or disabled after the verifier
// read the table is seen at the next frame once a second has passed, and not before; a device
// disabled while it keeps sending is refused within 10 s.
#include "hoistway/cloud/ingest/verifier.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hoistway/cloud/store/store.hpp"
#include "hoistway/common/records.hpp"
#include "hoistway/common/sqlite.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/wire_codec.hpp"
#include "temp_dir.hpp"

namespace {

namespace hc = hoistway::cloud;
namespace common = hoistway::common;
using common::wire::reject_reason;

const std::vector<std::uint8_t> key_a(32, 0xA1);
const std::vector<std::uint8_t> key_b(32, 0xB2);

std::vector<std::uint8_t> frame_of(const std::string& device, std::int64_t now_ms,
                                   const std::vector<std::uint8_t>& key, std::uint32_t key_id = 1) {
  common::batch b;
  b.device_id = device;
  b.boot = 1;
  b.boot_id = "boot-1";
  b.sent_at_ms = now_ms;
  common::run_state s;
  s.in_service = true;
  s.mode = common::car_mode::normal;
  b.records.push_back(common::record{1, 0, now_ms - 500, 1000, 1, s});
  b.records.push_back(common::record{2, 0, now_ms - 400, 1100, 1, common::door_cycle{3, 4000, 0}});
  return common::wire::encode_frame(b, key_id, key);
}

std::string up(const std::string& device) { return "hoistway/v1/dev/" + device + "/up"; }

struct fixture {
  hoistway::testing::temp_dir dir{"verifier"};
  std::string path = (dir.path() / "cloud.db").string();
  std::shared_ptr<common::manual_clock> clock = std::make_shared<common::manual_clock>();
  std::optional<hc::store> admin;  // hoistway-admin's side: another connection on the store
  std::optional<hc::verifier> v;

  fixture() {
    auto s = hc::store::open(path);
    REQUIRE_OK(s);
    admin.emplace(std::move(*s));
    REQUIRE(admin->provision({"d1", 1, key_a, {}}));
    auto own = hc::store::open(path);
    REQUIRE_OK(own);
    auto made = hc::verifier::open(std::move(*own), clock, 64 * 1024);
    REQUIRE_OK(made);
    v.emplace(std::move(*made));
  }

  common::wire::decode_result<common::batch> check(const std::string& topic_device,
                                                   const std::vector<std::uint8_t>& frame) {
    return v->check(up(topic_device), frame, clock->wall_ms());
  }

  void set_active(const std::string& device, bool active) {
    auto stmt = admin->db().prepare("UPDATE devices SET active = ?2 WHERE device_id = ?1");
    REQUIRE(stmt.has_value());
    REQUIRE(stmt->bind(1, device).bind(2, active).run());
  }
};

reject_reason reason_of(const common::wire::decode_result<common::batch>& r) {
  REQUIRE_FALSE(r.has_value());
  return r.error().reason;
}

}  // namespace

TEST_CASE("verifier: a good frame decodes to its batch") {
  fixture f;
  auto r = f.check("d1", frame_of("d1", f.clock->wall_ms(), key_a));
  REQUIRE_OK(r);
  CHECK(r->device_id == "d1");
  REQUIRE(r->records.size() == 2);
  CHECK(r->records[0].seq == 1);
  CHECK(std::holds_alternative<common::door_cycle>(r->records[1].body));
}

TEST_CASE("verifier: each failed check answers its reason") {
  fixture f;
  const auto now = f.clock->wall_ms();
  auto good = frame_of("d1", now, key_a);

  SUBCASE("not an up-link topic") {
    CHECK(reason_of(f.v->check("hoistway/v1/dev/d1/state", good, now)) ==
          reject_reason::device_mismatch);
  }
  SUBCASE("the topic names another device") {
    CHECK(reason_of(f.check("d2", good)) == reject_reason::device_mismatch);
  }
  SUBCASE("oversized") {
    std::vector<std::uint8_t> big(64 * 1024 + 1, 0);
    CHECK(reason_of(f.check("d1", big)) == reject_reason::oversized);
  }
  SUBCASE("truncated") {
    good.resize(good.size() / 2);
    CHECK(reason_of(f.check("d1", good)) != reject_reason::oversized);
  }
  SUBCASE("a flipped bit in the payload") {
    good[good.size() - 40] ^= 0x10;
    const auto reason = reason_of(f.check("d1", good));
    CHECK((reason == reject_reason::bad_mac || reason == reject_reason::bad_envelope));
  }
  SUBCASE("signed with another key") {
    CHECK(reason_of(f.check("d1", frame_of("d1", now, key_b))) == reject_reason::bad_mac);
  }
  SUBCASE("an unknown key id") {
    CHECK(reason_of(f.check("d1", frame_of("d1", now, key_a, 7))) == reject_reason::bad_mac);
  }
  SUBCASE("an unknown device") {
    CHECK(reason_of(f.check("d9", frame_of("d9", now, key_a))) == reject_reason::unknown_device);
  }
  SUBCASE("records from two days in the future") {
    CHECK(reason_of(f.check("d1", frame_of("d1", now + 48LL * 3600 * 1000, key_a))) ==
          reject_reason::bad_meaning);
  }
}

TEST_CASE("verifier: the device table is read again, at most once a second") {
  fixture f;
  SUBCASE("a device added later") {
    REQUIRE(f.admin->provision({"d2", 1, key_b, {}}));
    // The table was read just now (at open): not again within the second.
    CHECK(reason_of(f.check("d2", frame_of("d2", f.clock->wall_ms(), key_b))) ==
          reject_reason::unknown_device);
    f.clock->advance(1000);
    CHECK(f.check("d2", frame_of("d2", f.clock->wall_ms(), key_b)).has_value());
  }
  SUBCASE("a device re-keyed") {
    REQUIRE(f.admin->provision({"d1", 2, key_b, {}}));
    f.clock->advance(1000);
    CHECK(f.check("d1", frame_of("d1", f.clock->wall_ms(), key_b, 2)).has_value());
    CHECK(reason_of(f.check("d1", frame_of("d1", f.clock->wall_ms(), key_a, 1))) ==
          reject_reason::bad_mac);
  }
  SUBCASE("a device disabled while it keeps sending, then enabled again") {
    f.set_active("d1", false);
    // A known device's good frames make the verifier look again only every 10 s.
    f.clock->advance(9'000);
    CHECK(f.check("d1", frame_of("d1", f.clock->wall_ms(), key_a)).has_value());
    f.clock->advance(1'000);
    CHECK(reason_of(f.check("d1", frame_of("d1", f.clock->wall_ms(), key_a))) ==
          reject_reason::unknown_device);
    f.set_active("d1", true);
    CHECK(reason_of(f.check("d1", frame_of("d1", f.clock->wall_ms(), key_a))) ==
          reject_reason::unknown_device);  // within the second of the last read
    f.clock->advance(1000);
    CHECK(f.check("d1", frame_of("d1", f.clock->wall_ms(), key_a)).has_value());
  }
}

TEST_CASE("verifier: a device over its record budget is refused, and only that device") {
  fixture f;
  REQUIRE(f.admin->provision({"d2", 1, key_b, {}}));
  auto own = hc::store::open(f.path);
  REQUIRE(own.has_value());
  // 10 records a second, a burst of 6: frame_of() holds 2 records.
  auto made = hc::verifier::open(std::move(*own), f.clock, 64 * 1024, {10, 6});
  REQUIRE(made.has_value());
  auto& v = *made;
  auto check = [&](const std::string& device, const std::vector<std::uint8_t>& key) {
    return v.check(up(device), frame_of(device, f.clock->wall_ms(), key), f.clock->wall_ms());
  };
  for (int i = 0; i < 3; ++i) CHECK(check("d1", key_a).has_value());
  const auto over = check("d1", key_a);
  CHECK(reason_of(over) == reject_reason::rate_limited);
  CHECK(over.error().first_seq == 0);     // never acknowledged: the agent sends it again
  CHECK(check("d2", key_b).has_value());  // another device's budget is its own
  f.clock->advance(200);                  // two records' worth
  CHECK(check("d1", key_a).has_value());
  CHECK(reason_of(check("d1", key_a)) == reject_reason::rate_limited);
  // A frame that fails its MAC is not charged (a stranger cannot spend a device's budget).
  f.clock->advance(1000);
  for (int i = 0; i < 10; ++i) CHECK(reason_of(check("d1", key_b)) == reject_reason::bad_mac);
  CHECK(check("d1", key_a).has_value());
}
