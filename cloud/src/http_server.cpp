// The HTTP server on Boost.Beast: the only translation unit that includes Beast (it is heavy
// to compile). Structure after Beast's examples: a listener accepts, a session per connection
// reads one request at a time with a deadline and writes one response at a time.
#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "hoistway/cloud/http.hpp"

namespace hoistway::cloud {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

constexpr auto read_timeout = std::chrono::seconds(30);

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out, bool plus_is_space) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out.push_back(static_cast<char>((hi << 4) | lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return true;
}

class server_impl;

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket&& socket, server_impl& server);
  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&session::read, shared_from_this()));
  }
  void close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->stream_open_) return self->end_stream();
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    });
  }

 private:
  void read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
  void reject(unsigned status, std::string_view reason);
  // Streaming responses (Server-Sent Events).
  void start_stream(std::shared_ptr<http_stream> body, unsigned version);
  void pump();
  void heartbeat();
  void end_stream();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
  server_impl& server_;
  std::string remote_;
  std::shared_ptr<http_stream> body_stream_;
  std::shared_ptr<bhttp::response<bhttp::empty_body>> stream_head_;
  std::shared_ptr<bhttp::response_serializer<bhttp::empty_body>> stream_serializer_;
  std::optional<asio::steady_timer> heartbeat_;
  std::string chunk_;
  bool writing_ = false;
  bool stream_open_ = false;
};

class server_impl final : public http_server {
 public:
  server_impl(http_server_options options, http_handler handler)
      : options_(std::move(options)), handler_(std::move(handler)), acceptor_(io_) {}

  ~server_impl() override { stop(); }

  common::status listen() {
    beast::error_code ec;
    const auto address = asio::ip::make_address(options_.address, ec);
    if (ec) return common::fail(common::errc::invalid_argument, "http address: " + ec.message());
    const tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return common::fail(common::errc::unavailable, "http listen on " + options_.address + ":" +
                                                         std::to_string(options_.port) + ": " +
                                                         ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    return {};
  }

  std::uint16_t port() const override { return port_; }

  void start() override {
    accept();
    for (int i = 0; i < std::max(1, options_.threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
  }

  void stop() override {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      std::lock_guard lock(sessions_mutex_);
      for (const auto& weak : sessions_) {
        if (auto s = weak.lock()) s->close();
      }
    });
    // Give sessions their close handlers, then stop the loop.
    asio::post(io_, [this] { io_.stop(); });
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  const http_server_stats& stats() const override { return stats_; }

  const http_server_options& options() const { return options_; }
  http_server_stats& mutable_stats() { return stats_; }
  http_response handle(const http_request& request) {
    try {
      return handler_(request);
    } catch (const std::exception& e) {
      spdlog::error("handler threw on {} {}: {}", request.method, request.target, e.what());
      return {500,
              "application/problem+json",
              R"({"type":"about:blank","title":"Internal Server Error","status":500})",
              {},
              nullptr};
    }
  }
  void track(const std::shared_ptr<session>& s) {
    std::lock_guard lock(sessions_mutex_);
    // Forget sessions that ended, so the set stays the size of the open connections.
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = it->expired() ? sessions_.erase(it) : std::next(it);
    }
    sessions_.insert(s);
  }

 private:
  void accept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           [this](beast::error_code ec, tcp::socket socket) {
                             if (ec) {
                               if (ec != asio::error::operation_aborted)
                                 spdlog::warn("accept: {}", ec.message());
                               if (!acceptor_.is_open()) return;
                             } else {
                               auto s = std::make_shared<session>(std::move(socket), *this);
                               track(s);
                               s->run();
                             }
                             accept();
                           });
  }

  http_server_options options_;
  http_handler handler_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
  http_server_stats stats_;
  std::mutex sessions_mutex_;
  std::set<std::weak_ptr<session>, std::owner_less<std::weak_ptr<session>>> sessions_;
};

session::session(tcp::socket&& socket, server_impl& server)
    : stream_(std::move(socket)), server_(server) {
  beast::error_code ec;
  const auto endpoint = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = endpoint.address().to_string();
}

void session::read() {
  parser_.emplace();
  parser_->body_limit(server_.options().max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(server_.options().max_header_bytes));
  stream_.expires_after(read_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&session::on_read, shared_from_this()));
}

void session::reject(unsigned status, std::string_view reason) {
  ++server_.mutable_stats().rejected;
  response_ =
      std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(status), 11);
  response_->set(bhttp::field::content_type, "application/problem+json");
  response_->set(bhttp::field::connection, "close");
  response_->body() = R"({"type":"about:blank","title":")" + std::string(reason) +
                      R"(","status":)" + std::to_string(status) + "}";
  response_->prepare_payload();
  bhttp::async_write(stream_, *response_,
                     beast::bind_front_handler(&session::on_write, shared_from_this(), false));
}

void session::on_read(beast::error_code ec, std::size_t /*bytes*/) {
  if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
      ec == asio::error::eof || ec == asio::error::connection_reset) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return;
  }
  if (ec == beast::error::timeout) {
    ++server_.mutable_stats().rejected;
    return;
  }
  if (ec == bhttp::error::body_limit) return reject(413, "Payload Too Large");
  if (ec == bhttp::error::header_limit) return reject(431, "Request Header Fields Too Large");
  if (ec) return reject(400, "Bad Request");

  ++server_.mutable_stats().requests;
  auto& req = parser_->get();
  http_request request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  request.remote_address = remote_;
  if (!parse_target(request.target, request.path, request.query)) {
    return reject(400, "Bad Request");
  }
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[name] = std::string(field.value());
  }
  request.body = std::move(req.body());
  const bool keep_alive = req.keep_alive();
  const auto version = req.version();

  const auto started = std::chrono::steady_clock::now();
  http_response result = server_.handle(request);
  server_.mutable_stats().observe(std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started));
  if (result.stream && result.status == 200) return start_stream(std::move(result.stream), version);
  response_ = std::make_shared<bhttp::response<bhttp::string_body>>(
      static_cast<bhttp::status>(result.status), version);
  response_->set(bhttp::field::server, "hoistway");
  response_->set(bhttp::field::content_type, result.content_type);
  response_->set(bhttp::field::cache_control, "no-store");
  for (const auto& [name, value] : result.headers) response_->set(name, value);
  response_->keep_alive(keep_alive);
  response_->body() = std::move(result.body);
  response_->prepare_payload();
  bhttp::async_write(stream_, *response_,
                     beast::bind_front_handler(&session::on_write, shared_from_this(), keep_alive));
}

void session::start_stream(std::shared_ptr<http_stream> body, unsigned version) {
  body_stream_ = std::move(body);
  stream_head_ = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::ok, version);
  stream_head_->set(bhttp::field::server, "hoistway");
  stream_head_->set(bhttp::field::content_type, "text/event-stream");
  stream_head_->set(bhttp::field::cache_control, "no-store");
  stream_head_->chunked(true);
  stream_serializer_ =
      std::make_shared<bhttp::response_serializer<bhttp::empty_body>>(*stream_head_);
  stream_.expires_never();
  stream_open_ = true;
  ++server_.mutable_stats().streams_open;
  writing_ = true;
  bhttp::async_write_header(stream_, *stream_serializer_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              self->writing_ = false;
                              if (ec) return self->end_stream();
                              std::weak_ptr<session> weak = self;
                              auto executor = self->stream_.get_executor();
                              self->body_stream_->start([weak, executor] {
                                asio::post(executor, [weak] {
                                  if (auto s = weak.lock()) s->pump();
                                });
                              });
                              self->heartbeat_.emplace(self->stream_.get_executor());
                              self->heartbeat();
                              self->pump();
                            });
}

void session::pump() {
  if (!stream_open_ || writing_) return;
  chunk_ = body_stream_->take();
  if (chunk_.empty()) return;
  writing_ = true;
  asio::async_write(stream_, bhttp::make_chunk(asio::buffer(chunk_)),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) return self->end_stream();
                      self->pump();
                    });
}

// A comment line every 15 s keeps proxies from closing the stream and finds dead clients.
void session::heartbeat() {
  heartbeat_->expires_after(std::chrono::seconds(15));
  heartbeat_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || !self->stream_open_) return;
    if (!self->writing_) {
      self->chunk_ = ": keep-alive\n\n";
      self->writing_ = true;
      asio::async_write(self->stream_, bhttp::make_chunk(asio::buffer(self->chunk_)),
                        [self](beast::error_code wec, std::size_t) {
                          self->writing_ = false;
                          if (wec) return self->end_stream();
                          self->pump();
                        });
    }
    self->heartbeat();
  });
}

void session::end_stream() {
  if (!stream_open_) return;
  stream_open_ = false;
  --server_.mutable_stats().streams_open;
  if (heartbeat_) heartbeat_->cancel();
  body_stream_.reset();
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

void session::on_write(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
  if (ec) return;
  if (!keep_alive) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return;
  }
  response_.reset();
  read();
}

}  // namespace

void http_server_stats::observe(std::chrono::microseconds elapsed) {
  const double seconds = static_cast<double>(elapsed.count()) / 1e6;
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  ++latency_buckets[i];
  latency_sum_us += static_cast<std::uint64_t>(elapsed.count());
}

bool parse_target(const std::string& target, std::string& path,
                  std::map<std::string, std::string>& query) {
  if (target.empty() || target.front() != '/') return false;
  const auto q = target.find('?');
  if (!percent_decode(std::string_view(target).substr(0, q), path, false)) return false;
  if (path.find('\0') != std::string::npos) return false;
  query.clear();
  if (q == std::string::npos) return true;
  std::string_view rest = std::string_view(target).substr(q + 1);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string key;
    std::string value;
    if (!percent_decode(pair.substr(0, eq), key, true)) return false;
    if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), value, true))
      return false;
    query[key] = value;
  }
  return true;
}

common::result<std::unique_ptr<http_server>> http_server::create(const http_server_options& options,
                                                                 http_handler handler) {
  auto server = std::make_unique<server_impl>(options, std::move(handler));
  if (auto st = server->listen(); !st) return std::unexpected(st.error());
  return std::unique_ptr<http_server>(std::move(server));
}

}  // namespace hoistway::cloud
