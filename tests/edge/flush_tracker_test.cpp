// hoistctl flush's waiting requests (flush_tracker.hpp): progress until the acks reach each
// request's target, then the answer; a request whose client left is dropped unanswered.
#include "hoistway/edge/flush_tracker.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {

namespace edge = hoistway::edge;
using nlohmann::json;

// A reply that keeps what it was told, as the CLI socket would send it.
struct recorded_reply final : edge::cli_reply {
  std::vector<json> lines;
  bool finished = false;
  bool client_here = true;
  void send(std::string line) override { lines.push_back(json::parse(line)); }
  void done() override { finished = true; }
  bool open() const override { return client_here; }
};

}  // namespace

TEST_CASE("flush: progress lines until the acks reach the target, then the answer") {
  edge::flush_tracker flushes;
  auto reply = std::make_shared<recorded_reply>();
  flushes.add(reply, 10, 25);
  CHECK(flushes.size() == 1);

  flushes.report(10, 15, false);
  REQUIRE(reply->lines.size() == 1);
  CHECK(reply->lines[0]["progress"] ==
        json{{"from", 10}, {"target", 25}, {"acked_through", 10}, {"connected", false}});
  flushes.report(24, 1, true);
  REQUIRE(reply->lines.size() == 2);
  CHECK(reply->lines[1]["progress"]["acked_through"] == 24);
  CHECK(reply->lines[1]["progress"]["connected"] == true);
  CHECK_FALSE(reply->finished);

  flushes.report(25, 0, true);
  REQUIRE(reply->lines.size() == 3);
  CHECK(reply->lines[2] == json{{"ok", true}, {"flushed_through", 25}, {"depth", 0}});
  CHECK(reply->finished);
  CHECK(flushes.empty());
  flushes.report(30, 0, true);  // answered once only
  CHECK(reply->lines.size() == 3);
}

TEST_CASE("flush: each request waits for its own target") {
  edge::flush_tracker flushes;
  auto early = std::make_shared<recorded_reply>();
  auto late = std::make_shared<recorded_reply>();
  flushes.add(early, 0, 5);
  flushes.add(late, 3, 9);
  flushes.report(7, 2, true);
  CHECK(early->finished);
  CHECK(early->lines.back()["flushed_through"] == 5);
  CHECK_FALSE(late->finished);
  CHECK(late->lines.back()["progress"]["from"] == 3);
  CHECK(flushes.size() == 1);
  flushes.report(9, 0, true);
  CHECK(late->finished);
  CHECK(flushes.empty());
}

TEST_CASE("flush: a request already covered is answered at the first report") {
  edge::flush_tracker flushes;
  auto reply = std::make_shared<recorded_reply>();
  flushes.add(reply, 12, 12);  // nothing committed beyond what the cloud has
  flushes.report(12, 0, false);
  REQUIRE(reply->lines.size() == 1);
  CHECK(reply->lines[0]["ok"] == true);
  CHECK(reply->finished);
}

TEST_CASE("flush: a client that left is forgotten unanswered, clear() forgets every request") {
  edge::flush_tracker flushes;
  auto gone = std::make_shared<recorded_reply>();
  auto waiting = std::make_shared<recorded_reply>();
  flushes.add(gone, 0, 5);
  flushes.add(waiting, 0, 5);
  gone->client_here = false;
  flushes.report(1, 4, true);
  CHECK(gone->lines.empty());
  CHECK_FALSE(gone->finished);
  CHECK(flushes.size() == 1);
  flushes.clear();
  CHECK(flushes.empty());
  flushes.report(5, 0, true);
  CHECK_FALSE(waiting->finished);
}
