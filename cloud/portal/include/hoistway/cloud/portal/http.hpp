// HTTP for the cloud: plain request/response values, and a server that carries them. The server
// is the only code that uses Boost.Beast; handlers see only these values, so routes are tested
// without sockets.
//
// Threading: handlers must not block the I/O thread: the server calls them on its worker pool.
// - I/O threads (`threads`, default 1) run the io_context: they accept, read and parse requests,
//   queue them for the workers, and write the answers. They never call a handler. What they
//   answer themselves (a refused connection, a 400/413/431, a full queue's 503) costs no more
//   than the parse.
// - Worker threads call the handler, one request at a time each, so a handler may block (SQLite,
//   password hashing, mail queueing). Handlers must be thread-safe. Each lane (`lane_of`) has
//   its threads and its bounded queue: `workers` for the fast lane, `slow_workers` for the slow
//   one (at nice +10), so a flood of slow requests never holds a fast request's thread or core.
// - An http_stream's start() and take() are called on the connection's strand (an I/O thread):
//   they must be cheap and must never block (read memory, never the store).
// - Each connection has at most one write in flight: the worker's answer is posted back to the
//   connection's strand, which writes it and only then reads the next request.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hoistway/common/result.hpp"

namespace hoistway::cloud {

struct http_request {
  std::string method;                          // "GET", "POST", …
  std::string target;                          // as sent: path and query
  std::string path;                            // percent-decoded path
  std::map<std::string, std::string> query;    // percent-decoded
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string remote_address;

  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
  // The value of one cookie of the Cookie header ("" if it has none). A browser sends each name
  // once for one path.
  std::string cookie(std::string_view name) const;
};

// A response body that goes on (Server-Sent Events): the server sends the headers, then whatever
// take() returns, each time notify says there may be more and at least every `stream_check`
// even without a notify (so the stream can re-check whether it may go on), until the client goes
// away or finished() says the stream has ended.
class http_stream {
 public:
  virtual ~http_stream() = default;
  // Called once, on the connection's strand, before the first take(). `notify` may be called
  // from any thread, any number of times, until the stream is destroyed.
  virtual void start(std::function<void()> notify) = 0;
  // Text to send now; empty if nothing is ready. Called on the connection's strand: cheap, never
  // blocking.
  virtual std::string take() = 0;
  // True once the stream has said its last word: the server sends what the last take() returned
  // and closes the connection.
  virtual bool finished() const { return false; }
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<http_stream> stream;  // set: a streaming response; body is ignored
};

using http_handler = std::function<http_response(const http_request&)>;

// Which queue and threads a request gets. Slow routes (password hashing, mail) have threads of
// their own, so they never hold up the fast ones.
enum class http_lane : std::size_t { fast, slow };
inline constexpr std::size_t http_lane_count = 2;
std::string_view to_string(http_lane lane);

// Splits a request target into a decoded path and query; false if it is malformed.
bool parse_target(const std::string& target, std::string& path,
                  std::map<std::string, std::string>& query);

// Why the server answered or closed a connection itself, before or instead of the handler.
enum class http_reject : std::size_t {
  bad_request,       // unparsable request or target (400)
  body_too_large,    // 413
  header_too_large,  // 431
  header_timeout,    // the request line and headers did not arrive within header_timeout
  body_timeout,      // the body did not arrive within body_timeout
  write_timeout,     // the client did not take the answer (or a stream chunk) within write_timeout
  queue_full,        // the lane's queue was full: 503 with Retry-After
};
inline constexpr std::size_t http_reject_count = 7;
std::string_view to_string(http_reject reason);

// Why a connection was closed at once after accept().
enum class http_refusal : std::size_t {
  max_connections,  // the server holds max_connections already
  per_address,      // this address holds max_connections_per_address already
};
inline constexpr std::size_t http_refusal_count = 2;
std::string_view to_string(http_refusal reason);

// What max_connections_per_address counts a peer under: an IPv4 address as it is, an IPv6
// address by its /64 (one subscriber's network holds 2^64 addresses: counting them one by one
// would cap nothing).
std::string connection_cap_key(const std::string& address);

struct http_server_stats {
  std::atomic<std::uint64_t> requests{0};  // parsed and handed to the workers
  std::array<std::atomic<std::uint64_t>, http_reject_count> rejected{};
  std::atomic<std::uint64_t> idle_closed{0};  // keep-alive connections idle past idle_timeout
  std::atomic<std::uint64_t> connections_accepted{0};
  std::array<std::atomic<std::uint64_t>, http_refusal_count> connections_refused{};
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> accept_errors{0};  // EMFILE, ENFILE, ENOBUFS, …: each one backs off
  std::array<std::atomic<std::uint64_t>, http_lane_count> queue_depth{};  // waiting, per lane
  std::atomic<std::uint64_t> workers_busy{0};
  std::atomic<std::uint64_t> streams_open{0};
  // Time from parsed to picked up by a worker, per lane.
  std::array<std::atomic<std::uint64_t>, http_lane_count> queue_wait_sum_us{};
  std::array<std::atomic<std::uint64_t>, http_lane_count> queue_wait_count{};
  // Handler latency histogram (Prometheus buckets, seconds).
  static constexpr std::array<double, 8> bounds{0.0005, 0.001, 0.0025, 0.005,
                                                0.01,   0.05,  0.25,   1.0};
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> latency_buckets{};
  std::atomic<std::uint64_t> latency_sum_us{0};
  void observe(std::chrono::microseconds elapsed);
  void reject(http_reject reason) { ++rejected[static_cast<std::size_t>(reason)]; }
  std::uint64_t rejected_total() const;
};

struct http_server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see port())
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  int threads = 1;          // I/O threads
  int workers = 4;          // handler threads of the fast lane
  int slow_workers = 1;     // handler threads of the slow lane, nice +10 (0: no slow lane)
  std::size_t queue = 256;  // pending requests per lane; beyond: 503 with Retry-After
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_address = 64;
  std::chrono::milliseconds header_timeout{10'000};  // connect (or first byte) → end of headers
  std::chrono::milliseconds body_timeout{30'000};    // end of headers → end of body
  std::chrono::milliseconds idle_timeout{30'000};    // keep-alive: answer → next first byte
  std::chrono::milliseconds write_timeout{30'000};   // each answer, each stream chunk
  std::chrono::milliseconds stream_check{2'000};     // take() at least this often on a stream
  std::function<http_lane(const http_request&)> lane_of;  // unset: every request is fast
  // Where the server counts (stats()): made by the caller when what reads the counts (the
  // routes' /metrics) must exist before the server; null: the server makes its own.
  std::shared_ptr<http_server_stats> stats;
};

class http_server {
 public:
  static common::result<std::unique_ptr<http_server>> create(const http_server_options& options,
                                                             http_handler handler);
  virtual ~http_server() = default;
  virtual std::uint16_t port() const = 0;
  // Starts serving on background threads.
  virtual void start() = 0;
  // Closes the listener and every connection; drops queued requests, waits for the handlers
  // running and joins the threads. Idempotent.
  virtual void stop() = 0;
  virtual const http_server_stats& stats() const = 0;
};

}  // namespace hoistway::cloud
