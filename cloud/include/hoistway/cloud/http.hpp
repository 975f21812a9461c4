// HTTP for the cloud: plain request/response values, and a server that carries them. The server
// is the only code that uses Boost.Beast; handlers see only these values, so routes are tested
// without sockets.
//
// Threading: the server runs one io_context on its own thread(s); handlers are called on those
// threads and must be thread-safe.
#pragma once

#include <atomic>
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
  std::string method;                        // "GET", "POST", …
  std::string target;                        // as sent: path and query
  std::string path;                          // percent-decoded path
  std::map<std::string, std::string> query;  // percent-decoded
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string remote_address;

  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

using http_handler = std::function<http_response(const http_request&)>;

// Splits a request target into a decoded path and query; false if it is malformed.
bool parse_target(const std::string& target, std::string& path,
                  std::map<std::string, std::string>& query);

struct http_server_stats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> rejected{0};  // unparsable, too large, or timed out
};

struct http_server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;           // 0: any free port (see port())
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
