// The technician CLI server on a Unix stream socket.
#include "hoistway/edge/cli/server.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>
#include <cstring>
#include <deque>
#include <filesystem>
#include <vector>

namespace hoistway::edge {
namespace {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using common::errc;
using common::fail;

// Lines queued for a client that does not read; beyond this it is disconnected.
constexpr std::size_t max_queued_lines = 4096;

class session final : public cli_reply, public std::enable_shared_from_this<session> {
 public:
  session(local::socket socket, cli_server::dispatch& on_request,
          cli_server::reject_counter& on_reject)
      : socket_(std::move(socket)),
        in_(cli::max_request_bytes + 1),
        on_request_(on_request),
        on_reject_(on_reject) {}

  void start() { read(); }

  void send(std::string line) override {
    if (closed_) return;
    if (out_.size() >= max_queued_lines) {
      spdlog::warn("cli: a client is not reading its answers; disconnecting it");
      close();
      return;
    }
    line.push_back('\n');
    out_.push_back(std::move(line));
    if (!writing_) write_next();
  }

  void done() override { busy_ = false; }
  bool open() const override { return !closed_; }

  void close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(local::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  void read() {
    asio::async_read_until(socket_, in_, '\n',
                           [self = shared_from_this()](const boost::system::error_code& ec,
                                                       std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const boost::system::error_code& ec, std::size_t n) {
    if (closed_) return;
    if (ec == asio::error::not_found) {
      reject({cli::reject_reason::too_long,
              "requests are at most " + std::to_string(cli::max_request_bytes) + " bytes"});
      close_after_write_ = true;
      if (!writing_) close();
      return;
    }
    if (ec) {
      // The client hung up (or the socket failed): stop any stream going to it.
      close();
      return;
    }
    const auto begin = asio::buffers_begin(in_.data());
    std::string line(begin, begin + static_cast<std::ptrdiff_t>(n - 1));
    in_.consume(n);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      read();
      return;
    }
    if (busy_) {
      reject(
          {cli::reject_reason::busy, "one request at a time: the previous answer is not complete"});
    } else {
      auto request = cli::parse_request(line);
      if (!request) {
        reject(request.error());
      } else {
        busy_ = true;
        on_request_(*request, shared_from_this());
      }
    }
    read();
  }

  void reject(const cli::rejection& r) {
    spdlog::info("cli: rejected a request: {} ({})", cli::to_string(r.reason), r.detail);
    if (on_reject_) on_reject_(r.reason);
    send(cli::encode_rejection(r));
  }

  void write_next() {
    if (out_.empty() || closed_) {
      writing_ = false;
      if (close_after_write_) close();
      return;
    }
    writing_ = true;
    asio::async_write(
        socket_, asio::buffer(out_.front()),
        [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) {
          if (ec) {
            self->close();
            return;
          }
          self->out_.pop_front();
          self->write_next();
        });
  }

  local::socket socket_;
  asio::streambuf in_;
  std::deque<std::string> out_;
  cli_server::dispatch& on_request_;
  cli_server::reject_counter& on_reject_;
  bool writing_ = false;
  bool busy_ = false;
  bool closed_ = false;
  bool close_after_write_ = false;
};

// Is something serving `path` now? (A stale file from a killed agent refuses the connect.)
bool someone_listens(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

class server_impl final : public cli_server {
 public:
  server_impl(asio::io_context& io, std::string path, dispatch on_request, reject_counter on_reject)
      : acceptor_(io),
        path_(std::move(path)),
        on_request_(std::move(on_request)),
        on_reject_(std::move(on_reject)) {}

  ~server_impl() override { stop(); }

  common::status bind() {
    if (path_.empty() || path_.size() >= sizeof(sockaddr_un{}.sun_path)) {
      return fail(errc::invalid_argument, "cli socket path must be 1-107 characters: " + path_);
    }
    struct stat st {};
    if (::lstat(path_.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        return fail(errc::conflict, "cli socket " + path_ + " exists and is not a socket");
      }
      if (someone_listens(path_)) {
        return fail(errc::conflict, "cli socket " + path_ + " is served by another process");
      }
      ::unlink(path_.c_str());
    }
    boost::system::error_code ec;
    acceptor_.open(local(), ec);
    if (!ec) {
      // Created 0660 from the start (no window in which others may connect); the process is
      // still single-threaded here as far as file creation goes.
      const auto old_mask = ::umask(0117);
      acceptor_.bind(local::endpoint(path_), ec);
      ::umask(old_mask);
    }
    if (!ec) acceptor_.listen(16, ec);
    if (ec) return fail(errc::io, "cli socket " + path_ + ": " + ec.message());
    if (::chmod(path_.c_str(), 0660) != 0) {
      return fail(errc::io, "cli socket " + path_ + ": chmod: " + std::strerror(errno));
    }
    bound_ = true;
    accept();
    return {};
  }

  void stop() override {
    if (stopped_) return;
    stopped_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (auto& weak : sessions_) {
      if (auto s = weak.lock()) s->close();
    }
    sessions_.clear();
    if (bound_) ::unlink(path_.c_str());
  }

 private:
  void accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, local::socket socket) {
      if (stopped_) return;
      if (!ec) {
        auto s = std::make_shared<session>(std::move(socket), on_request_, on_reject_);
        std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
        sessions_.push_back(s);
        s->start();
      } else if (ec == asio::error::operation_aborted) {
        return;
      } else {
        spdlog::warn("cli: accept: {}", ec.message());
      }
      accept();
    });
  }

  local::acceptor acceptor_;
  std::string path_;
  dispatch on_request_;
  reject_counter on_reject_;
  std::vector<std::weak_ptr<session>> sessions_;
  bool bound_ = false;
  bool stopped_ = false;
};

}  // namespace

common::result<std::unique_ptr<cli_server>> cli_server::listen(asio::io_context& io,
                                                               const std::string& path,
                                                               dispatch on_request,
                                                               reject_counter on_reject) {
  auto server =
      std::make_unique<server_impl>(io, path, std::move(on_request), std::move(on_reject));
  if (auto st = server->bind(); !st) return std::unexpected(st.error());
  return std::unique_ptr<cli_server>(std::move(server));
}

}  // namespace hoistway::edge
