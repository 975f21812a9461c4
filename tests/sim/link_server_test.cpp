// The controller-link server against real sockets: requests and responses through the common
// codec, several requests per connection, concurrent clients, malformed requests.
#include <doctest/doctest.h>

#include <utility>  // before Asio: its awaitable.hpp needs std::exchange

#include <unistd.h>
#include <boost/asio.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "hoistway/common/link_codec.hpp"
#include "hoistway/sim/building.hpp"
#include "hoistway/sim/group_model.hpp"
#include "hoistway/sim/link_server.hpp"
#include "sim_test_util.hpp"
#include "temp_dir.hpp"

namespace asio = boost::asio;
namespace codec = hoistway::common::link;
using local_stream = asio::local::stream_protocol;

namespace {

std::vector<std::uint8_t> round_trip(local_stream::socket& s, std::span<const std::uint8_t> msg) {
  const auto framed = codec::frame_message(msg);
  asio::write(s, asio::buffer(framed));
  std::array<std::uint8_t, 4> header{};
  asio::read(s, asio::buffer(header));
  auto length = codec::parse_length_prefix(std::span<const std::uint8_t, 4>(header));
  REQUIRE(length);
  std::vector<std::uint8_t> body(*length);
  asio::read(s, asio::buffer(body));
  return body;
}

struct served_sim {
  explicit served_sim(const std::filesystem::path& p)
      : path(p), model(hoistway::sim::test::office_building(2), {}, 7) {
    model.advance_to(60'000);
    auto started = hoistway::sim::link_server::start(io, path, [this] { return model.state(); });
    REQUIRE(started);
    server = std::move(*started);
    thread = std::thread([this] { io.run(); });
  }
  ~served_sim() {
    asio::post(io, [this] { server->stop(); });
    thread.join();
  }
  std::filesystem::path path;
  asio::io_context io;
  hoistway::sim::group_model model;
  std::unique_ptr<hoistway::sim::link_server> server;
  std::thread thread;
};

using hoistway::testing::temp_dir;

}  // namespace

TEST_CASE("link server answers read_state requests, several per connection and client") {
  temp_dir dir("hoistway-sim-test");
  const std::filesystem::path path = dir.file("ok.sock");
  {
    served_sim sim(path);
    CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
           std::filesystem::perms::group_read | std::filesystem::perms::group_write));
    asio::io_context client_io;
    local_stream::socket a(client_io);
    local_stream::socket b(client_io);
    a.connect(local_stream::endpoint(path.string()));
    b.connect(local_stream::endpoint(path.string()));
    const auto request = codec::encode_request(codec::request_kind::read_state);
    for (int i = 0; i < 3; ++i) {
      for (auto* s : {&a, &b}) {
        auto response = codec::decode_response(round_trip(*s, request));
        REQUIRE(response);
        CHECK(response->controller_id == "test-office");
        CHECK(response->cars.size() == 2);
        CHECK(response->floors == 10);
        CHECK(response->sim_time_ms == 60'000);
        // The landing table and each car's own counters, as real controllers offer them.
        CHECK(response->landing_levels_mm.size() == 10);
        CHECK(response->landing_levels_mm[1] == 4'500);
        for (std::size_t car = 0; car < response->cars.size(); ++car) {
          const auto& c = response->cars[car];
          REQUIRE(c.counters.has_value());
          const auto& stats = sim.model.statistics().cars[car];
          CHECK(c.counters->trips == stats.trips);
          CHECK(c.counters->door_cycles == stats.door_cycles);
          CHECK(c.counters->distance_mm == stats.distance_mm);
        }
      }
    }
  }
  CHECK_FALSE(std::filesystem::exists(path));  // stop() removes the socket file
}

TEST_CASE("link server rejects a malformed request with an error response and closes") {
  temp_dir dir("hoistway-sim-test");
  const std::filesystem::path path = dir.file("bad.sock");
  served_sim sim(path);
  asio::io_context client_io;
  local_stream::socket s(client_io);
  s.connect(local_stream::endpoint(path.string()));
  const std::vector<std::uint8_t> garbage{1, 2, 3, 4, 5, 6, 7, 8};
  auto response = codec::decode_response(round_trip(s, garbage));
  REQUIRE_FALSE(response);
  CHECK(response.error().code == hoistway::common::errc::unavailable);
  std::array<std::uint8_t, 1> byte{};
  boost::system::error_code ec;
  asio::read(s, asio::buffer(byte), ec);
  CHECK(ec == asio::error::eof);

  // A zero length prefix is rejected too.
  local_stream::socket z(client_io);
  z.connect(local_stream::endpoint(path.string()));
  const std::array<std::uint8_t, 4> zero{};
  asio::write(z, asio::buffer(zero));
  std::array<std::uint8_t, 4> header{};
  asio::read(z, asio::buffer(header));
  auto length = codec::parse_length_prefix(std::span<const std::uint8_t, 4>(header));
  REQUIRE(length);
  std::vector<std::uint8_t> body(*length);
  asio::read(z, asio::buffer(body));
  CHECK_FALSE(codec::decode_response(body));
}

TEST_CASE("link server replaces a stale socket file but not a regular file") {
  temp_dir dir("hoistway-sim-test");
  const std::filesystem::path path = dir.file("stale.sock");
  { served_sim first(path); }
  { served_sim second(path); }  // would fail to bind if the stale file were kept
  const std::filesystem::path regular = dir.file("regular");
  { std::ofstream(regular) << "x"; }
  asio::io_context io;
  auto started = hoistway::sim::link_server::start(io, regular,
                                                   [] { return hoistway::common::group_state{}; });
  CHECK_FALSE(started);
}
