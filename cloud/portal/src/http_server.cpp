// The HTTP server on Boost.Beast: the only translation unit that includes Beast (it is heavy
// to compile). Structure after Beast's examples: a listener accepts, a session per connection
// reads one request at a time with deadlines and writes one response at a time. What the I/O
// threads do is bounded: they parse and write; handlers run on a worker pool (see http.hpp).
//
// Every way an outsider can hold a resource is bounded and counted: connections (in total and
// per address), the time a request may take to arrive (header, body), an idle keep-alive, the
// time a client may take to read an answer, and the requests waiting for a worker (per lane).
// accept() errors (EMFILE at the descriptor limit) back off instead of spinning.
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "hoistway/cloud/portal/http.hpp"

namespace hoistway::cloud {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using steady = std::chrono::steady_clock;

// A comment line this often keeps proxies from closing a quiet stream and finds dead clients.
constexpr auto heartbeat_every = std::chrono::seconds(15);
// accept() failures (EMFILE, ENFILE, ENOBUFS, …) retry after this, doubling up to the max: the
// pending connection stays in the backlog, so retrying at once would spin a core.
constexpr auto accept_backoff_min = std::chrono::milliseconds(100);
constexpr auto accept_backoff_max = std::chrono::milliseconds(1000);
// Lines an outsider can provoke are written at most this often, with the count of those left out.
constexpr auto log_every = std::chrono::seconds(10);
// The slow lane's threads run at this nice value: under a flood of password hashing the cores
// go to the I/O thread and the fast handlers first (CFS weights 110 to 1024 against nice 0).
constexpr int slow_lane_nice = 10;
// How long the first byte of a request may take to arrive is the idle timeout; the bytes read
// while waiting for it are at most this many (the parser takes the rest).
constexpr std::size_t first_read_bytes = 4096;

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

// At most one line per `every`: admit() says whether this one may be written, and how many were
// left out since the last one written.
class log_limiter {
 public:
  explicit log_limiter(steady::duration every) : every_(every) {}
  std::optional<std::uint64_t> admit() {
    std::lock_guard lock(mutex_);
    const auto now = steady::now();
    if (written_ && now - last_ < every_) {
      ++suppressed_;
      return std::nullopt;
    }
    written_ = true;
    last_ = now;
    return std::exchange(suppressed_, 0);
  }

 private:
  std::mutex mutex_;
  steady::duration every_;
  steady::time_point last_{};
  bool written_ = false;
  std::uint64_t suppressed_ = 0;
};

// One lane's handler threads and their bounded queue.
class worker_group {
 public:
  using job = std::move_only_function<void()>;

  worker_group(http_lane lane, int threads, std::size_t queue_limit, int nice,
               http_server_stats& stats)
      : lane_(static_cast<std::size_t>(lane)),
        threads_wanted_(std::max(0, threads)),
        queue_limit_(std::max<std::size_t>(1, queue_limit)),
        nice_(nice),
        stats_(stats) {}
  worker_group(const worker_group&) = delete;
  worker_group& operator=(const worker_group&) = delete;
  ~worker_group() { stop(); }

  bool has_threads() const { return threads_wanted_ > 0; }

  void start() {
    for (int i = 0; i < threads_wanted_; ++i) threads_.emplace_back([this] { run(); });
  }

  // False when the queue is full (or the group is stopping): the caller answers 503.
  bool try_submit(job j) {
    {
      std::lock_guard lock(mutex_);
      if (stopped_ || queue_.size() >= queue_limit_) return false;
      queue_.push_back(std::move(j));
      ++stats_.queue_depth[lane_];
    }
    cv_.notify_one();
    return true;
  }

  // Drops what waits, lets the running handlers finish, joins. Idempotent.
  void stop() {
    std::deque<job> dropped;
    {
      std::lock_guard lock(mutex_);
      stopped_ = true;
      dropped.swap(queue_);
      stats_.queue_depth[lane_] -= dropped.size();
    }
    cv_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    threads_.clear();
    // The dropped jobs (and the connections they hold) go here, outside the lock.
  }

 private:
  void run() {
    if (nice_ != 0) {
      // Linux: a thread is a task with its own nice value. Failing leaves it at the process's.
      (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), nice_);
    }
    while (true) {
      job j;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
        if (stopped_) return;
        j = std::move(queue_.front());
        queue_.pop_front();
        --stats_.queue_depth[lane_];
      }
      ++stats_.workers_busy;
      j();
      j = nullptr;  // release what the job held (its connection) before taking the next
      --stats_.workers_busy;
    }
  }

  const std::size_t lane_;
  const int threads_wanted_;
  const std::size_t queue_limit_;
  const int nice_;
  http_server_stats& stats_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<job> queue_;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

// The handler threads: a group per lane. The slow lane (password hashing, mail) has threads of
// its own, at a lower CPU priority, so however many slow requests wait, the fast lane's threads
// are free for the fast routes, and when the cores are busy hashing the I/O thread and the fast
// handlers get them first.
class worker_pool {
 public:
  using job = worker_group::job;

  worker_pool(int workers, int slow_workers, std::size_t queue_limit, http_server_stats& stats)
      : fast_(http_lane::fast, std::max(1, workers), queue_limit, 0, stats),
        slow_(http_lane::slow, slow_workers, queue_limit, slow_lane_nice, stats) {}

  void start() {
    fast_.start();
    slow_.start();
  }
  bool try_submit(http_lane lane, job j) {
    return lane == http_lane::slow && slow_.has_threads() ? slow_.try_submit(std::move(j))
                                                          : fast_.try_submit(std::move(j));
  }
  void stop() {
    fast_.stop();
    slow_.stop();
  }

 private:
  worker_group fast_;
  worker_group slow_;
};

std::string peer_key(const asio::ip::address& address) {
  if (!address.is_v6()) return address.to_string();
  if (address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  auto bytes = address.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

class server_impl;

class session : public std::enable_shared_from_this<session> {
 public:
  // `peer`: what the per-address cap counts this connection under (see peer_key()).
  session(tcp::socket&& socket, server_impl& server, std::string remote, std::string peer);
  ~session();
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&session::read_header, shared_from_this()));
  }
  void close() {
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->stream_open_) return self->end_stream();
      self->shut();
    });
  }

 private:
  void wait_next();
  void on_first_bytes(beast::error_code ec, std::size_t bytes);
  void read_header();
  void on_header(beast::error_code ec, std::size_t bytes);
  void on_body(beast::error_code ec, std::size_t bytes);
  // Maps a read error to its answer or silence; true if the session goes on.
  bool read_failed(beast::error_code ec, http_reject timeout_reason);
  void queue_request();
  void respond(http_response result, bool keep_alive, unsigned version, bool head);
  void reject(http_reject reason, unsigned status, std::string_view title);
  void write_response(bool keep_alive);
  void on_write(bool keep_alive, beast::error_code ec, std::size_t bytes);
  void shut();
  // Streaming responses (Server-Sent Events).
  void start_stream(std::shared_ptr<http_stream> body, unsigned version);
  void pump();
  void tick();
  void write_chunk(bool last);
  void on_chunk(bool last, beast::error_code ec);
  void watch_peer();
  void end_stream();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
  server_impl& server_;
  std::string remote_;
  std::string peer_;
  std::shared_ptr<http_stream> body_stream_;
  std::shared_ptr<bhttp::response<bhttp::empty_body>> stream_head_;
  std::shared_ptr<bhttp::response_serializer<bhttp::empty_body>> stream_serializer_;
  std::optional<asio::steady_timer> ticker_;
  std::array<char, 512> peer_bytes_{};  // what a stream's client sends (nothing, normally)
  steady::time_point last_write_{};
  std::string chunk_;
  bool writing_ = false;
  bool stream_open_ = false;
};

class server_impl final : public http_server {
 public:
  server_impl(http_server_options options, http_handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        stats_holder_(options_.stats ? options_.stats : std::make_shared<http_server_stats>()),
        stats_(*stats_holder_),
        pool_(options_.workers, options_.slow_workers, options_.queue, stats_),
        accept_strand_(asio::make_strand(io_)),
        acceptor_(accept_strand_),
        accept_timer_(accept_strand_) {}

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
    pool_.start();
    asio::dispatch(accept_strand_, [this] { accept(); });
    for (int i = 0; i < std::max(1, options_.threads); ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
  }

  void stop() override {
    if (stopped_.exchange(true)) return;
    asio::post(accept_strand_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      accept_timer_.cancel();
      std::lock_guard lock(sessions_mutex_);
      for (const auto& weak : sessions_) {
        if (auto s = weak.lock()) s->close();
      }
    });
    // Running handlers finish (their answers are posted and dropped); waiting ones are dropped.
    pool_.stop();
    // Give sessions their close handlers, then stop the loop.
    asio::post(io_, [this] { io_.stop(); });
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  const http_server_stats& stats() const override { return stats_; }

  const http_server_options& options() const { return options_; }
  http_server_stats& mutable_stats() { return stats_; }
  // Without slow-lane threads every request takes the fast lane.
  http_lane lane_of(const http_request& request) const {
    if (!options_.lane_of || options_.slow_workers <= 0) return http_lane::fast;
    return options_.lane_of(request);
  }
  bool submit(http_lane lane, worker_pool::job job) {
    return pool_.try_submit(lane, std::move(job));
  }

  // Called on a worker thread.
  http_response handle(const http_request& request) {
    try {
      return handler_(request);
    } catch (const std::exception& e) {
      if (const auto left_out = handler_errors_.admit()) {
        spdlog::error("handler threw on {} {}: {} ({} similar lines left out)", request.method,
                      request.path, e.what(), *left_out);
      }
      return {500,
              "application/problem+json",
              R"({"type":"about:blank","title":"Internal Server Error","status":500})",
              {},
              nullptr};
    }
  }

  // A session's end: its connection no longer counts against the caps.
  void release(const std::string& address) {
    std::lock_guard lock(connections_mutex_);
    --total_connections_;
    --stats_.connections_open;
    const auto it = per_address_.find(address);
    if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
  }

 private:
  // Counts the connection against both caps, or says which cap refuses it.
  std::optional<http_refusal> admit(const std::string& address) {
    std::lock_guard lock(connections_mutex_);
    if (total_connections_ >= options_.max_connections) return http_refusal::max_connections;
    auto& n = per_address_[address];
    if (n >= options_.max_connections_per_address) {
      if (n == 0) per_address_.erase(address);
      return http_refusal::per_address;
    }
    ++n;
    ++total_connections_;
    ++stats_.connections_open;
    return std::nullopt;
  }

  void track(const std::shared_ptr<session>& s) {
    std::lock_guard lock(sessions_mutex_);
    // Forget sessions that ended, so the set stays the size of the open connections.
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      it = it->expired() ? sessions_.erase(it) : std::next(it);
    }
    sessions_.insert(s);
  }

  // On accept_strand_.
  void accept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           [this](beast::error_code ec, tcp::socket socket) {
                             if (ec) return accept_failed(ec);
                             backoff_ = std::chrono::milliseconds(0);
                             accepted(std::move(socket));
                             accept();
                           });
  }

  void accept_failed(beast::error_code ec) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    ++stats_.accept_errors;
    backoff_ =
        backoff_.count() == 0 ? accept_backoff_min : std::min(backoff_ * 2, accept_backoff_max);
    if (const auto left_out = accept_errors_.admit()) {
      spdlog::warn("http accept: {}; retrying in {} ms ({} similar lines left out)", ec.message(),
                   backoff_.count(), *left_out);
    }
    accept_timer_.expires_after(backoff_);
    accept_timer_.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec && acceptor_.is_open()) accept();
    });
  }

  void accepted(tcp::socket socket) {
    beast::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return;  // the peer has gone already; the socket closes here
    auto address = endpoint.address();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {
      address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    }
    auto remote = address.to_string();
    auto peer = peer_key(address);
    if (const auto refusal = admit(peer)) {
      ++stats_.connections_refused[static_cast<std::size_t>(*refusal)];
      if (const auto left_out = refusals_.admit()) {
        spdlog::warn("http: refused a connection from {} ({}; {} more refusals left out)", remote,
                     to_string(*refusal), *left_out);
      }
      socket.close(ec);
      return;
    }
    ++stats_.connections_accepted;
    auto s =
        std::make_shared<session>(std::move(socket), *this, std::move(remote), std::move(peer));
    track(s);
    s->run();
  }

  // Declared before io_: sessions still held by io_'s handlers count down here as io_ goes.
  http_server_options options_;
  http_handler handler_;
  std::shared_ptr<http_server_stats> stats_holder_;
  http_server_stats& stats_;
  std::mutex connections_mutex_;
  std::size_t total_connections_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;  // at most max_connections entries
  std::mutex sessions_mutex_;
  std::set<std::weak_ptr<session>, std::owner_less<std::weak_ptr<session>>> sessions_;
  log_limiter accept_errors_{log_every};
  log_limiter refusals_{log_every};
  log_limiter handler_errors_{log_every};
  worker_pool pool_;
  asio::io_context io_;
  asio::strand<asio::io_context::executor_type> accept_strand_;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_timer_;
  std::chrono::milliseconds backoff_{0};  // on accept_strand_
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
};

session::session(tcp::socket&& socket, server_impl& server, std::string remote, std::string peer)
    : stream_(std::move(socket)),
      server_(server),
      remote_(std::move(remote)),
      peer_(std::move(peer)) {}

session::~session() { server_.release(peer_); }

void session::shut() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
}

// Keep-alive: the next request's first bytes may take up to idle_timeout; from then on its
// header has header_timeout, as a new connection's has from its accept.
void session::wait_next() {
  if (buffer_.size() > 0) return read_header();  // pipelined: the next request is here already
  stream_.expires_after(server_.options().idle_timeout);
  stream_.async_read_some(buffer_.prepare(first_read_bytes),
                          beast::bind_front_handler(&session::on_first_bytes, shared_from_this()));
}

void session::on_first_bytes(beast::error_code ec, std::size_t bytes) {
  buffer_.commit(bytes);
  if (ec == beast::error::timeout) {
    ++server_.mutable_stats().idle_closed;
    return;
  }
  if (ec) return;  // the client closed its keep-alive connection
  read_header();
}

void session::read_header() {
  parser_.emplace();
  parser_->body_limit(server_.options().max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(server_.options().max_header_bytes));
  stream_.expires_after(server_.options().header_timeout);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           beast::bind_front_handler(&session::on_header, shared_from_this()));
}

bool session::read_failed(beast::error_code ec, http_reject timeout_reason) {
  if (!ec) return false;
  if (ec == beast::error::timeout) {
    // The stream closed the socket: a client this slow gets no answer.
    server_.mutable_stats().reject(timeout_reason);
    return true;
  }
  if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
      ec == asio::error::eof || ec == asio::error::connection_reset ||
      ec == asio::error::bad_descriptor) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return true;
  }
  if (ec == bhttp::error::body_limit) {
    reject(http_reject::body_too_large, 413, "Payload Too Large");
  } else if (ec == bhttp::error::header_limit) {
    reject(http_reject::header_too_large, 431, "Request Header Fields Too Large");
  } else {
    reject(http_reject::bad_request, 400, "Bad Request");
  }
  return true;
}

void session::on_header(beast::error_code ec, std::size_t /*bytes*/) {
  if (read_failed(ec, http_reject::header_timeout)) return;
  if (parser_->is_done()) return queue_request();
  stream_.expires_after(server_.options().body_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    beast::bind_front_handler(&session::on_body, shared_from_this()));
}

void session::on_body(beast::error_code ec, std::size_t /*bytes*/) {
  if (read_failed(ec, http_reject::body_timeout)) return;
  queue_request();
}

void session::reject(http_reject reason, unsigned status, std::string_view title) {
  server_.mutable_stats().reject(reason);
  response_ =
      std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(status), 11);
  response_->set(bhttp::field::server, "hoistway");
  response_->set(bhttp::field::content_type, "application/problem+json");
  response_->set(bhttp::field::cache_control, "no-store");
  if (status == 503) response_->set(bhttp::field::retry_after, "1");
  response_->keep_alive(false);
  response_->body() = R"({"type":"about:blank","title":")" + std::string(title) + R"(","status":)" +
                      std::to_string(status) + "}";
  response_->prepare_payload();
  write_response(false);
}

void session::queue_request() {
  auto& req = parser_->get();
  http_request request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  request.remote_address = remote_;
  if (!parse_target(request.target, request.path, request.query)) {
    return reject(http_reject::bad_request, 400, "Bad Request");
  }
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[name] = std::string(field.value());
  }
  request.body = std::move(req.body());
  const bool keep_alive = req.keep_alive();
  const unsigned version = req.version();
  parser_.reset();

  const auto lane = server_.lane_of(request);
  const auto queued = steady::now();
  const bool head = request.method == "HEAD";
  const bool taken = server_.submit(lane, [self = shared_from_this(), request = std::move(request),
                                           keep_alive, version, queued, lane, head]() mutable {
    auto& stats = self->server_.mutable_stats();
    const auto started = steady::now();
    const auto l = static_cast<std::size_t>(lane);
    stats.queue_wait_sum_us[l] += static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(started - queued).count());
    ++stats.queue_wait_count[l];
    http_response result = self->server_.handle(request);
    stats.observe(std::chrono::duration_cast<std::chrono::microseconds>(steady::now() - started));
    auto executor = self->stream_.get_executor();
    asio::post(executor,
               [self = std::move(self), result = std::move(result), keep_alive, version,
                head]() mutable { self->respond(std::move(result), keep_alive, version, head); });
  });
  if (!taken) return reject(http_reject::queue_full, 503, "Service Unavailable");
  ++server_.mutable_stats().requests;
}

// On the strand, with the worker's answer.
void session::respond(http_response result, bool keep_alive, unsigned version, bool head) {
  if (!stream_.socket().is_open()) return;  // closed meanwhile (server stopping)
  if (result.stream && result.status == 200) return start_stream(std::move(result.stream), version);
  response_ = std::make_shared<bhttp::response<bhttp::string_body>>(
      static_cast<bhttp::status>(result.status), version);
  response_->set(bhttp::field::server, "hoistway");
  response_->set(bhttp::field::content_type, result.content_type);
  response_->set(bhttp::field::cache_control, "no-store");
  // A handler's header replaces the defaults above; Set-Cookie may come more than once.
  for (const auto& [name, value] : result.headers) {
    if (beast::iequals(name, "set-cookie"))
      response_->insert(name, value);
    else
      response_->set(name, value);
  }
  response_->keep_alive(keep_alive);
  response_->body() = std::move(result.body);
  response_->prepare_payload();
  // HEAD: the headers GET would send (Content-Length included), no body (RFC 9110 §9.3.2).
  // 304: no body either (the handler sends none).
  if (head) response_->body().clear();
  write_response(keep_alive);
}

void session::write_response(bool keep_alive) {
  stream_.expires_after(server_.options().write_timeout);
  bhttp::async_write(stream_, *response_,
                     beast::bind_front_handler(&session::on_write, shared_from_this(), keep_alive));
}

void session::on_write(bool keep_alive, beast::error_code ec, std::size_t /*bytes*/) {
  response_.reset();
  if (ec == beast::error::timeout) {
    server_.mutable_stats().reject(http_reject::write_timeout);
    return;
  }
  if (ec) return;
  if (!keep_alive) {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    return;
  }
  wait_next();
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
  stream_open_ = true;
  ++server_.mutable_stats().streams_open;
  writing_ = true;
  stream_.expires_after(server_.options().write_timeout);
  bhttp::async_write_header(stream_, *stream_serializer_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              self->writing_ = false;
                              if (ec) {
                                if (ec == beast::error::timeout) {
                                  self->server_.mutable_stats().reject(http_reject::write_timeout);
                                }
                                return self->end_stream();
                              }
                              if (!self->stream_open_) return;
                              self->last_write_ = steady::now();
                              std::weak_ptr<session> weak = self;
                              auto executor = self->stream_.get_executor();
                              self->body_stream_->start([weak, executor] {
                                asio::post(executor, [weak] {
                                  if (auto s = weak.lock()) s->pump();
                                });
                              });
                              self->ticker_.emplace(self->stream_.get_executor());
                              self->tick();
                              self->watch_peer();
                              self->pump();
                            });
}

void session::pump() {
  if (!stream_open_ || writing_) return;
  chunk_ = body_stream_->take();
  const bool last = body_stream_->finished();
  if (chunk_.empty() && !last) return;
  write_chunk(last);
}

void session::write_chunk(bool last) {
  writing_ = true;
  stream_.expires_after(server_.options().write_timeout);
  auto done = [self = shared_from_this(), last](beast::error_code ec, std::size_t) {
    self->on_chunk(last, ec);
  };
  if (chunk_.empty()) {
    asio::async_write(stream_, bhttp::make_chunk_last(), std::move(done));
  } else if (last) {
    // The last words, then the chunked body's end.
    asio::async_write(stream_, bhttp::make_chunk(asio::buffer(chunk_)),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->on_chunk(true, ec);
                        asio::async_write(self->stream_, bhttp::make_chunk_last(),
                                          [self](beast::error_code last_ec, std::size_t) {
                                            self->on_chunk(true, last_ec);
                                          });
                      });
  } else {
    asio::async_write(stream_, bhttp::make_chunk(asio::buffer(chunk_)), std::move(done));
  }
}

void session::on_chunk(bool last, beast::error_code ec) {
  writing_ = false;
  if (ec == beast::error::timeout) server_.mutable_stats().reject(http_reject::write_timeout);
  if (ec || last) return end_stream();
  last_write_ = steady::now();
  pump();
}

// Every stream_check: take() even without a notify (the stream re-checks whether it may go on),
// and a comment line when nothing was written for heartbeat_every.
void session::tick() {
  ticker_->expires_after(server_.options().stream_check);
  ticker_->async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || !self->stream_open_) return;
    self->pump();
    if (self->stream_open_ && !self->writing_ &&
        steady::now() - self->last_write_ >= heartbeat_every) {
      self->chunk_ = ": keep-alive\n\n";
      self->write_chunk(false);
    }
    self->tick();
  });
}

// A stream's client sends nothing more; a read that ends says it went away, so its place under
// the caps comes back at once rather than at the next write. The read has no deadline (only the
// writes have): with a read pending, expires_after() sets the write timer alone.
void session::watch_peer() {
  stream_.expires_never();
  stream_.async_read_some(asio::buffer(peer_bytes_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (!self->stream_open_) return;
                            if (ec) return self->end_stream();
                            self->watch_peer();  // bytes after a stream request are ignored
                          });
}

void session::end_stream() {
  if (!stream_open_) return;
  stream_open_ = false;
  --server_.mutable_stats().streams_open;
  if (ticker_) ticker_->cancel();
  body_stream_.reset();
  shut();
}

}  // namespace

std::string_view to_string(http_reject reason) {
  switch (reason) {
    case http_reject::bad_request:
      return "bad_request";
    case http_reject::body_too_large:
      return "body_too_large";
    case http_reject::header_too_large:
      return "header_too_large";
    case http_reject::header_timeout:
      return "header_timeout";
    case http_reject::body_timeout:
      return "body_timeout";
    case http_reject::write_timeout:
      return "write_timeout";
    case http_reject::queue_full:
      return "queue_full";
  }
  return "unknown";
}

std::string connection_cap_key(const std::string& address) {
  beast::error_code ec;
  const auto parsed = asio::ip::make_address(address, ec);
  return ec ? address : peer_key(parsed);
}

std::string_view to_string(http_lane lane) { return lane == http_lane::slow ? "slow" : "fast"; }

std::string_view to_string(http_refusal reason) {
  switch (reason) {
    case http_refusal::max_connections:
      return "max_connections";
    case http_refusal::per_address:
      return "per_address";
  }
  return "unknown";
}

void http_server_stats::observe(std::chrono::microseconds elapsed) {
  const double seconds = static_cast<double>(elapsed.count()) / 1e6;
  std::size_t i = 0;
  while (i < bounds.size() && seconds > bounds[i]) ++i;
  ++latency_buckets[i];
  latency_sum_us += static_cast<std::uint64_t>(elapsed.count());
}

std::uint64_t http_server_stats::rejected_total() const {
  std::uint64_t sum = 0;
  for (const auto& r : rejected) sum += r.load();
  return sum;
}

std::string http_request::cookie(std::string_view name) const {
  const auto value = header("cookie");
  std::string_view rest(value);
  while (!rest.empty()) {
    const auto end = rest.find(';');
    auto part = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name)
      return std::string(part.substr(eq + 1));
  }
  return {};
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
