// Tests of the HTTP server (http.hpp) over real loopback sockets: handlers run on the worker pool
// (a blocked handler does not hold up another request; the slow lane never takes every worker),
// a full queue answers 503 at once, connection caps, header/body/idle deadlines, streams that end
// or re-check without a notify; and the [http] section of ingest.toml.
//
// Order, not time: a test blocks a handler on a promise and shows another request completing
// meanwhile. Deadlines are set short (hundreds of ms) and the tests wait for the server's action
// with a generous bound; none asserts how fast anything is.
#include "hoistway/cloud/portal/http.hpp"

#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "require_ok.hpp"

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hoistway/cloud/server/server_config.hpp"
#include "ingest_toml.hpp"
#include "temp_dir.hpp"

namespace {

namespace hc = hoistway::cloud;
using namespace std::chrono_literals;

// Polls until `done()` or the bound passes; the bound only keeps a broken server from hanging
// the suite.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds bound = 10s) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

// A blocking loopback client socket, optionally bound to a source address (127.0.0.x).
class client {
 public:
  explicit client(std::uint16_t port, const char* source = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    timeval tv{10, 0};  // a read never hangs the suite
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (source != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, source, &local.sin_addr);
      REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  client(const client&) = delete;
  client& operator=(const client&) = delete;
  ~client() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool send(const std::string& text) {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // What arrives until the peer closes (or the 10 s read timeout).
  std::string read_all() {
    std::string out;
    char buf[4096];
    while (true) {
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }
  // One response with a Content-Length (keep-alive).
  std::string read_response() {
    std::string out;
    char buf[4096];
    while (true) {
      const auto head_end = out.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const auto cl = out.find("Content-Length: ");
        std::size_t length = 0;
        if (cl != std::string::npos && cl < head_end) length = std::stoul(out.substr(cl + 16));
        if (out.size() >= head_end + 4 + length) return out;
      }
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  // True once the server has closed the connection (a read sees EOF or a reset).
  bool closed_by_server() {
    char c = 0;
    const auto n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  int fd_ = -1;
};

std::string get(const std::string& path, bool keep_alive = false) {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" +
         (keep_alive ? std::string() : std::string("Connection: close\r\n")) + "\r\n";
}

unsigned status_of(const std::string& response) {
  if (response.size() < 12 || response.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return static_cast<unsigned>(std::stoul(response.substr(9, 3)));
}

std::string body_of(const std::string& response) {
  const auto at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : response.substr(at + 4);
}

hc::http_response text(std::string body) {
  return {200, "text/plain", std::move(body), {}, nullptr};
}

// A handler whose "/block…" requests wait until released; everything else answers at once.
struct gate {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};
  std::mutex mutex;
  std::vector<std::string> order;  // paths, in the order their handlers finished

  hc::http_handler handler() {
    return [this](const hc::http_request& r) {
      if (r.path.starts_with("/block") || r.path.starts_with("/slow")) {
        ++entered;
        released.wait();
      }
      std::lock_guard lock(mutex);
      order.push_back(r.path);
      return text("answered " + r.path);
    };
  }
  bool finished(const std::string& path) {
    std::lock_guard lock(mutex);
    return std::find(order.begin(), order.end(), path) != order.end();
  }
};

std::unique_ptr<hc::http_server> serve(hc::http_server_options options, hc::http_handler handler) {
  options.port = 0;
  auto server = hc::http_server::create(options, std::move(handler));
  REQUIRE_OK(server);
  (*server)->start();
  return std::move(*server);
}

std::uint64_t rejected(const hc::http_server& s, hc::http_reject reason) {
  return s.stats().rejected[static_cast<std::size_t>(reason)].load();
}

}  // namespace

TEST_CASE("http server: a handler blocked on a worker does not hold up another request") {
  gate g;
  hc::http_server_options o;
  o.workers = 2;
  auto server = serve(o, g.handler());
  std::string blocked_answer;
  std::thread blocked([&] {
    client c(server->port());
    REQUIRE(c.send(get("/block")));
    blocked_answer = c.read_all();
  });
  REQUIRE(eventually([&] { return g.entered == 1; }));

  client fast(server->port());
  REQUIRE(fast.send(get("/fast")));
  const auto answer = fast.read_all();
  CHECK(status_of(answer) == 200);
  CHECK(body_of(answer) == "answered /fast");
  CHECK_FALSE(g.finished("/block"));  // still blocked while /fast was answered

  g.release.set_value();
  blocked.join();
  CHECK(status_of(blocked_answer) == 200);
  CHECK(g.order == std::vector<std::string>{"/fast", "/block"});
  server->stop();
}

TEST_CASE("http server: slow-lane requests never hold the fast lane's workers") {
  gate g;
  hc::http_server_options o;
  o.workers = 1;
  o.slow_workers = 1;
  o.lane_of = [](const hc::http_request& r) {
    return r.path.starts_with("/slow") ? hc::http_lane::slow : hc::http_lane::fast;
  };
  auto server = serve(o, g.handler());
  std::vector<std::thread> slow;
  std::vector<std::string> slow_answers(3);
  for (int i = 0; i < 3; ++i) {
    slow.emplace_back([&, i] {
      client c(server->port());
      REQUIRE(c.send(get("/slow" + std::to_string(i))));
      slow_answers[static_cast<std::size_t>(i)] = c.read_all();
    });
  }
  // One slow request runs, two wait in the slow lane: the fast lane's worker stays free.
  const auto slow_lane = static_cast<std::size_t>(hc::http_lane::slow);
  REQUIRE(
      eventually([&] { return g.entered == 1 && server->stats().queue_depth[slow_lane] == 2; }));
  for (int i = 0; i < 3; ++i) {
    client fast(server->port());
    REQUIRE(fast.send(get("/fast" + std::to_string(i))));
    const auto answer = fast.read_all();
    CHECK(status_of(answer) == 200);
  }
  CHECK(g.entered == 1);  // no second slow request ran meanwhile
  g.release.set_value();
  for (auto& t : slow) t.join();
  for (const auto& a : slow_answers) CHECK(status_of(a) == 200);
  REQUIRE(g.order.size() == 6);
  CHECK(g.order[0] == "/fast0");
  CHECK(g.order[1] == "/fast1");
  CHECK(g.order[2] == "/fast2");
  server->stop();
}

TEST_CASE("http server: a full queue answers 503 with Retry-After at once, counted") {
  gate g;
  hc::http_server_options o;
  o.workers = 1;
  o.slow_workers = 1;
  o.queue = 1;
  auto server = serve(o, g.handler());
  std::vector<std::thread> held;
  std::vector<std::string> held_answers(2);
  held.emplace_back([&] {
    client c(server->port());
    REQUIRE(c.send(get("/block0")));
    held_answers[0] = c.read_all();
  });
  REQUIRE(eventually([&] { return g.entered == 1; }));
  held.emplace_back([&] {
    client c(server->port());
    REQUIRE(c.send(get("/block1")));
    held_answers[1] = c.read_all();
  });
  REQUIRE(eventually([&] {
    return server->stats().queue_depth[static_cast<std::size_t>(hc::http_lane::fast)] == 1;
  }));

  client over(server->port());
  REQUIRE(over.send(get("/fast")));
  const auto answer = over.read_all();  // while the worker is still blocked
  CHECK(status_of(answer) == 503);
  CHECK(answer.find("Retry-After: 1\r\n") != std::string::npos);
  CHECK(answer.find("application/problem+json") != std::string::npos);
  CHECK(rejected(*server, hc::http_reject::queue_full) == 1);
  CHECK_FALSE(g.finished("/fast"));

  g.release.set_value();
  for (auto& t : held) t.join();
  CHECK(status_of(held_answers[0]) == 200);
  CHECK(status_of(held_answers[1]) == 200);
  server->stop();
}

TEST_CASE("http server: connections over the per-address or the total cap are closed at once") {
  gate g;
  g.release.set_value();
  hc::http_server_options o;
  o.max_connections = 3;
  o.max_connections_per_address = 2;
  auto server = serve(o, g.handler());
  const auto& stats = server->stats();
  auto refused = [&stats](hc::http_refusal r) {
    return stats.connections_refused[static_cast<std::size_t>(r)].load();
  };

  auto a1 = std::make_unique<client>(server->port());
  client a2(server->port());
  REQUIRE(eventually([&] { return stats.connections_open == 2; }));
  client a3(server->port());  // the kernel accepts it; the server closes it at once
  CHECK(a3.closed_by_server());
  CHECK(refused(hc::http_refusal::per_address) == 1);

  client b1(server->port(), "127.0.0.2");  // another address: the third connection in all
  REQUIRE(eventually([&] { return stats.connections_open == 3; }));
  client c1(server->port(), "127.0.0.3");
  CHECK(c1.closed_by_server());
  CHECK(refused(hc::http_refusal::max_connections) == 1);

  // A connection that ends gives its place back.
  a1.reset();
  REQUIRE(eventually([&] { return stats.connections_open == 2; }));
  client again(server->port());
  REQUIRE(again.send(get("/ok")));
  CHECK(status_of(again.read_all()) == 200);
  server->stop();
}

TEST_CASE("http server: the per-address cap counts an IPv6 peer by its /64") {
  CHECK(hc::connection_cap_key("192.0.2.7") == "192.0.2.7");
  CHECK(hc::connection_cap_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
  CHECK(hc::connection_cap_key("2001:db8:1:2::1") ==
        hc::connection_cap_key("2001:db8:1:2:ffff::9"));
  CHECK(hc::connection_cap_key("2001:db8:1:3::1") != hc::connection_cap_key("2001:db8:1:2::1"));
  CHECK(hc::connection_cap_key("::1") == "::/64");
  CHECK(hc::connection_cap_key("::ffff:192.0.2.7") == "192.0.2.7");
}

TEST_CASE("http server: a client dripping its header is cut off at header_timeout") {
  gate g;
  g.release.set_value();
  hc::http_server_options o;
  o.header_timeout = 300ms;
  auto server = serve(o, g.handler());

  client slow(server->port());
  const std::string header = "GET /slowloris HTTP/1.1\r\nHost: test\r\nX-Padding: ";
  std::size_t sent = 0;
  bool cut = false;
  // One byte every 20 ms, forever if the server let it: only a deadline on the whole header
  // ends this (each single read is quick).
  for (int i = 0; i < 1000 && !cut; ++i) {
    const std::string byte(
        1, i < static_cast<int>(header.size()) ? header[static_cast<std::size_t>(i)] : 'a');
    if (!slow.send(byte)) {
      cut = true;
      break;
    }
    ++sent;
    std::this_thread::sleep_for(20ms);
    cut = rejected(*server, hc::http_reject::header_timeout) == 1;
  }
  CHECK(cut);
  CHECK(slow.closed_by_server());
  CHECK(rejected(*server, hc::http_reject::header_timeout) == 1);
  CHECK_FALSE(g.finished("/slowloris"));

  // Meanwhile (and after) a normal request is answered.
  client ok(server->port());
  REQUIRE(ok.send(get("/ok")));
  CHECK(status_of(ok.read_all()) == 200);
  server->stop();
}

TEST_CASE("http server: a body that does not arrive in body_timeout is cut off") {
  gate g;
  g.release.set_value();
  hc::http_server_options o;
  o.body_timeout = 300ms;
  auto server = serve(o, g.handler());
  client c(server->port());
  REQUIRE(c.send("POST /upload HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nabc"));
  CHECK(c.closed_by_server());
  CHECK(eventually([&] { return rejected(*server, hc::http_reject::body_timeout) == 1; }));
  CHECK_FALSE(g.finished("/upload"));
  server->stop();
}

TEST_CASE("http server: an idle keep-alive connection is closed after idle_timeout") {
  gate g;
  g.release.set_value();
  hc::http_server_options o;
  o.idle_timeout = 300ms;
  o.header_timeout = 5s;
  auto server = serve(o, g.handler());
  client c(server->port());
  REQUIRE(c.send(get("/one", true)));
  CHECK(status_of(c.read_response()) == 200);
  REQUIRE(c.send(get("/two", true)));  // the same connection serves the next request
  CHECK(status_of(c.read_response()) == 200);
  CHECK(c.closed_by_server());
  CHECK(eventually([&] { return server->stats().idle_closed == 1; }));
  CHECK(server->stats().rejected_total() == 0);  // idling is no misdeed
  server->stop();
}

TEST_CASE("http server: oversized bodies and headers are refused with their status") {
  gate g;
  g.release.set_value();
  hc::http_server_options o;
  o.max_body_bytes = 1024;
  o.max_header_bytes = 1024;
  auto server = serve(o, g.handler());
  {
    client c(server->port());
    REQUIRE(c.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n"));
    CHECK(status_of(c.read_all()) == 413);
  }
  {
    client c(server->port());
    REQUIRE(c.send("GET /x HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n"));
    CHECK(status_of(c.read_all()) == 431);
  }
  {
    client c(server->port());
    REQUIRE(c.send("NOT HTTP\r\n\r\n"));
    CHECK(status_of(c.read_all()) == 400);
  }
  CHECK(rejected(*server, hc::http_reject::body_too_large) == 1);
  CHECK(rejected(*server, hc::http_reject::header_too_large) == 1);
  CHECK(rejected(*server, hc::http_reject::bad_request) == 1);
  CHECK(g.order.empty());
  server->stop();
}

namespace {

// A stream that never notifies: it says one thing per take() and ends after `words` of them, so
// it can only finish if the server takes from it on its own (every stream_check).
class counting_stream final : public hc::http_stream {
 public:
  explicit counting_stream(int words) : words_(words) {}
  void start(std::function<void()> /*notify*/) override {}
  // Every other call has nothing: the server's own take() right after a write finds nothing,
  // so each next word waits for a stream_check.
  std::string take() override {
    if (said_ >= words_ || ++calls_ % 2 == 0) return {};
    ++said_;
    return "data: " + std::to_string(said_) + "\n\n";
  }
  bool finished() const override { return said_ >= words_; }

 private:
  int words_;
  int said_ = 0;
  int calls_ = 0;
};

}  // namespace

TEST_CASE("http server: a stream is taken from every stream_check and closed once finished") {
  hc::http_server_options o;
  o.stream_check = 50ms;
  auto server = serve(o, [](const hc::http_request&) {
    hc::http_response r;
    r.content_type = "text/event-stream";
    r.stream = std::make_shared<counting_stream>(3);
    return r;
  });
  client c(server->port());
  REQUIRE(c.send(get("/stream")));
  const auto all = c.read_all();  // ends: the server closed the stream after the last word
  CHECK(status_of(all) == 200);
  CHECK(all.find("data: 1\n\n") != std::string::npos);
  CHECK(all.find("data: 2\n\n") != std::string::npos);
  CHECK(all.find("data: 3\n\n") != std::string::npos);
  CHECK(all.find("\r\n0\r\n\r\n") != std::string::npos);  // the chunked body's proper end
  CHECK(eventually([&] { return server->stats().streams_open == 0; }));
  server->stop();
}

TEST_CASE("http server: stop() with a handler still running returns once it finishes") {
  gate g;
  auto server = serve({}, g.handler());
  std::thread blocked([&] {
    client c(server->port());
    REQUIRE(c.send(get("/block")));
    (void)c.read_all();  // closed by the stop, answered or not
  });
  REQUIRE(eventually([&] { return g.entered == 1; }));
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    g.release.set_value();
  });
  server->stop();  // returns: the running handler was let finish, the threads are joined
  releaser.join();
  blocked.join();
  CHECK(g.finished("/block"));
}

TEST_CASE("ingest config: [http] is read strictly, with reasons") {
  hoistway::testing::temp_dir dir{"hoistway-http-config"};
  auto load = [&dir](const std::string& text) {
    return hoistway::testing::load_ingest_toml(dir, text);
  };
  auto fails_with = [&dir](const std::string& text, const std::string& what) {
    hoistway::testing::check_ingest_toml_fails(dir, text, what);
  };
  SUBCASE("defaults without a section") {
    auto c = load("");
    REQUIRE_OK(c);
    const auto& h = c->http;
    CHECK(h.threads == 1);
    CHECK(h.workers == 4);
    CHECK(h.slow_workers == 1);
    CHECK(h.queue == 256);
    CHECK(h.max_connections == 1024);
    CHECK(h.max_connections_per_address == 64);
    CHECK(h.max_body_bytes == 64 * 1024);
    CHECK(h.header_timeout == 10s);
    CHECK(h.body_timeout == 30s);
    CHECK(h.idle_timeout == 30s);
    CHECK(h.write_timeout == 30s);
    CHECK(h.max_streams == 256);
    CHECK(h.max_streams_per_key == 8);
    CHECK(h.stream_check == 2s);
    CHECK(h.metrics_listen.empty());
    CHECK(h.metrics_token_file.empty());
  }
  SUBCASE("every key") {
    auto c = load(
        "[http]\naddress = \"0.0.0.0\"\nport = 9000\nthreads = 2\nworkers = 8\nslow_workers = 3\n"
        "queue = 32\nmax_connections = 500\nmax_connections_per_address = 10\n"
        "max_body_bytes = 4096\nheader_timeout_ms = 2000\nbody_timeout_ms = 3000\n"
        "idle_timeout_ms = 4000\nwrite_timeout_ms = 5000\nmax_streams = 20\n"
        "max_streams_per_key = 2\nstream_check_ms = 500\nmetrics_listen = \"127.0.0.1:9464\"\n"
        "metrics_token_file = \"/etc/hoistway/metrics-token\"\n");
    REQUIRE_OK(c);
    const auto& h = c->http;
    CHECK(c->http_address == "0.0.0.0");
    CHECK(c->http_port == 9000);
    CHECK(h.threads == 2);
    CHECK(h.workers == 8);
    CHECK(h.slow_workers == 3);
    CHECK(h.queue == 32);
    CHECK(h.max_connections == 500);
    CHECK(h.max_connections_per_address == 10);
    CHECK(h.max_body_bytes == 4096);
    CHECK(h.header_timeout == 2s);
    CHECK(h.body_timeout == 3s);
    CHECK(h.idle_timeout == 4s);
    CHECK(h.write_timeout == 5s);
    CHECK(h.max_streams == 20);
    CHECK(h.max_streams_per_key == 2);
    CHECK(h.stream_check == 500ms);
    CHECK(h.metrics_listen == "127.0.0.1:9464");
    CHECK(h.metrics_token_file == "/etc/hoistway/metrics-token");
  }
  SUBCASE("bad values") {
    fails_with("[http]\nworkers = 0\n", "http.workers: must be between");
    fails_with("[http]\nslow_workers = 0\n", "http.slow_workers: must be between");
    fails_with("[http]\nmax_connections = 10\nmax_connections_per_address = 11\n",
               "http.max_connections_per_address: must not exceed");
    fails_with("[http]\nqueue = 0\n", "http.queue: must be between");
    fails_with("[http]\nheader_timeout_ms = 10\n", "http.header_timeout_ms: must be between");
    fails_with("[http]\nmetrics_listen = \"9464\"\n", "http.metrics_listen: must be host:port");
    fails_with("[http]\nmetrics_listen = \"localhost:99999\"\n", "http.metrics_listen");
    fails_with("[http]\nthreads = \"2\"\n", "expected an integer");
    fails_with("[http]\nmax_conections = 5\n", "http.max_conections: unknown key");
  }
}

TEST_CASE("ingest config: config/ingest.example.toml states the [http] defaults") {
  const auto root = std::filesystem::path(HOISTWAY_SOURCE_DIR);
  auto c = hc::server_config::load((root / "config" / "ingest.example.toml").string());
  REQUIRE_OK(c);
  const hc::http_config d;
  const auto& h = c->http;
  CHECK(h.threads == d.threads);
  CHECK(h.workers == d.workers);
  CHECK(h.slow_workers == d.slow_workers);
  CHECK(h.queue == d.queue);
  CHECK(h.max_connections == d.max_connections);
  CHECK(h.max_connections_per_address == d.max_connections_per_address);
  CHECK(h.max_body_bytes == d.max_body_bytes);
  CHECK(h.header_timeout == d.header_timeout);
  CHECK(h.body_timeout == d.body_timeout);
  CHECK(h.idle_timeout == d.idle_timeout);
  CHECK(h.write_timeout == d.write_timeout);
  CHECK(h.max_streams == d.max_streams);
  CHECK(h.max_streams_per_key == d.max_streams_per_key);
  CHECK(h.stream_check == d.stream_check);
  CHECK(h.metrics_listen == d.metrics_listen);
  CHECK(h.metrics_token_file == d.metrics_token_file);
}

TEST_CASE("http server: every Set-Cookie is sent, and HEAD gets GET's headers without the body") {
  auto server = serve({}, [](const hc::http_request& r) {
    hc::http_response out = text("twelve bytes");
    out.headers.emplace_back("Set-Cookie", "a=1; Path=/");
    out.headers.emplace_back("Set-Cookie", "b=2; Path=/");
    out.headers.emplace_back("Cache-Control", "no-cache");  // replaces the server's no-store
    if (r.method == "HEAD") out.headers.emplace_back("X-Was", "head");
    return out;
  });
  {
    client c(server->port());
    REQUIRE(c.send(get("/x")));
    const auto answer = c.read_all();
    CHECK(answer.find("Set-Cookie: a=1; Path=/\r\n") != std::string::npos);
    CHECK(answer.find("Set-Cookie: b=2; Path=/\r\n") != std::string::npos);
    CHECK(answer.find("Cache-Control: no-cache\r\n") != std::string::npos);
    CHECK(answer.find("no-store") == std::string::npos);
    CHECK(body_of(answer) == "twelve bytes");
  }
  {
    client c(server->port());
    REQUIRE(c.send("HEAD /x HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"));
    const auto answer = c.read_all();
    CHECK(status_of(answer) == 200);
    CHECK(answer.find("X-Was: head") != std::string::npos);
    CHECK(answer.find("Content-Length: 12\r\n") != std::string::npos);
    CHECK(body_of(answer).empty());
  }
  server->stop();
}
