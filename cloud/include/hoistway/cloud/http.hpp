// HTTP for the cloud: plain request/response values, and a server that carries them. The server
// is the only code that uses Boost.Beast; handlers see only these values, so routes are tested
// without sockets.
//
// Threading: the server runs one io_context on its own thread(s); handlers are called on those
// threads and must be thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
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
};

// A response body that goes on (Server-Sent Events): the server sends the headers, then whatever
// take() returns, each time notify says there may be more, until the client goes away.
class http_stream {
 public:
  virtual ~http_stream() = default;
  // Called once, before the first take(). `notify` may be called from any thread, any number of
  // times, until the stream is destroyed.
  virtual void start(std::function<void()> notify) = 0;
  // Text to send now; empty if nothing is ready. Called on the connection's thread.
  virtual std::string take() = 0;
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<http_stream> stream;  // set: a streaming response; body is ignored
};

using http_handler = std::function<http_response(const http_request&)>;

// Splits a request target into a decoded path and query; false if it is malformed.
bool parse_target(const std::string& target, std::string& path,
                  std::map<std::string, std::string>& query);

struct http_server_stats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> rejected{0};  // unparsable, too large, or timed out
  std::atomic<std::uint64_t> streams_open{0};
  // Handler latency histogram (Prometheus buckets, seconds).
  static constexpr std::array<double, 8> bounds{0.0005, 0.001, 0.0025, 0.005,
                                                0.01,   0.05,  0.25,   1.0};
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> latency_buckets{};
  std::atomic<std::uint64_t> latency_sum_us{0};
  void observe(std::chrono::microseconds elapsed);
};

struct http_server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port (see port())
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 * 1024;
  int threads = 1;
};

class http_server {
 public:
  static common::result<std::unique_ptr<http_server>> create(const http_server_options& options,
                                                             http_handler handler);
  virtual ~http_server() = default;
  virtual std::uint16_t port() const = 0;
  // Starts serving on background threads.
  virtual void start() = 0;
  // Closes the listener and every connection; joins the threads. Idempotent.
  virtual void stop() = 0;
  virtual const http_server_stats& stats() const = 0;
};

}  // namespace hoistway::cloud
