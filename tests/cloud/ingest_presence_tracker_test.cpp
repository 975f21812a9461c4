// Tests of the writer's presence bookkeeping (ingest/presence_tracker.hpp): silence past
// offline_after and a last will make a device offline, a stored frame brings it back; an alert
// state is changed once; a replayed announcement from an earlier connect is not taken.
#include "hoistway/cloud/ingest/presence_tracker.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <utility>
#include <vector>

namespace {

namespace hc = hoistway::cloud;
namespace presence = hoistway::common::presence;
using changes = std::vector<std::pair<std::string, bool>>;

presence::announcement announced(presence::status state, std::uint32_t boot,
                                 std::uint64_t session) {
  presence::announcement a;
  a.state = state;
  a.device_id = "d1";
  a.boot = boot;
  a.session = session;
  return a;
}

TEST_CASE("presence_tracker: silence past offline_after, then a frame") {
  hc::presence_tracker p(std::chrono::milliseconds(30'000));
  CHECK(p.changes(0).empty());  // a device never heard is nobody's concern
  p.heard("d1", 1'000);
  CHECK(p.changes(31'000).empty());  // exactly offline_after: not yet
  CHECK(p.changes(31'001) == changes{{"d1", true}});
  p.marked("d1", true);
  CHECK(p.changes(40'000).empty());  // the alert is open: nothing more to change
  p.heard("d1", 41'000);
  CHECK(p.changes(41'000) == changes{{"d1", false}});
  p.marked("d1", false);
  CHECK(p.changes(41'000).empty());
}

TEST_CASE("presence_tracker: a last will is offline until a frame is stored") {
  hc::presence_tracker p(std::chrono::milliseconds(30'000));
  p.heard("d1", 0);
  p.said_offline("d1");
  CHECK(p.changes(1).size() == 1);
  p.marked("d1", true);
  // A birth alone does not clear it (the will's word stands until the device delivers again).
  p.taken("d1", announced(presence::status::online, 1, 2));
  CHECK(p.changes(2).empty());
  p.heard("d1", 3);
  CHECK(p.changes(3) == changes{{"d1", false}});
}

TEST_CASE("presence_tracker: only a newer connect's announcement is taken") {
  hc::presence_tracker p(std::chrono::milliseconds(30'000));
  const auto birth = announced(presence::status::online, 1, 2);
  CHECK(p.takes("d1", birth));  // nothing taken yet
  p.taken("d1", birth);
  REQUIRE(p.last_taken("d1") != nullptr);
  CHECK(p.last_taken("d1")->session == 2);
  CHECK_FALSE(p.takes("d1", announced(presence::status::offline, 1, 1)));  // an older will
  CHECK(p.takes("d1", announced(presence::status::online, 2, 1)));         // a later boot
  // What the current transaction took counts instead of what committed.
  const auto pending = announced(presence::status::online, 3, 1);
  CHECK_FALSE(p.takes("d1", announced(presence::status::online, 2, 5), &pending));
}

}  // namespace
