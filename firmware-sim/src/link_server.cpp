// The controller-link server on Boost.Asio local stream sockets.
#include "hoistway/sim/link_server.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <array>
#include <boost/asio.hpp>
#include <list>
#include <system_error>
#include <vector>

#include "hoistway/common/link_codec.hpp"

namespace hoistway::sim {

namespace asio = boost::asio;
using local_stream = asio::local::stream_protocol;
namespace link = common::link;

namespace {

class session : public std::enable_shared_from_this<session> {
 public:
  session(local_stream::socket socket, std::uint64_t id, const link_server::state_source& source,
          link_counters& counters)
      : socket_(std::move(socket)), id_(id), source_(source), counters_(counters) {}

  void start() { read_header(); }

  void close() {
    boost::system::error_code ignored;
    socket_.shutdown(local_stream::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  bool open() const { return socket_.is_open(); }

 private:
  void read_header() {
    asio::async_read(socket_, asio::buffer(header_),
                     [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                       self->on_header(ec);
                     });
  }

  void on_header(boost::system::error_code ec) {
    if (ec) return end(ec, "read length");
    auto length = link::parse_length_prefix(std::span<const std::uint8_t, 4>(header_));
    if (!length) {
      ++counters_.bad_length;
      return reject(length.error().message);
    }
    body_.resize(*length);
    asio::async_read(socket_, asio::buffer(body_),
                     [self = shared_from_this()](boost::system::error_code e, std::size_t) {
                       self->on_body(e);
                     });
  }

  void on_body(boost::system::error_code ec) {
    if (ec) return end(ec, "read request");
    auto request = link::decode_request(body_);
    if (!request) {
      ++counters_.bad_request;
      return reject(request.error().message);
    }
    ++counters_.requests;
    out_ = link::frame_message(link::encode_response(source_()));
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this()](boost::system::error_code e, std::size_t) {
                        if (e) return self->end(e, "write response");
                        self->read_header();
                      });
  }

  void reject(const std::string& reason) {
    spdlog::warn("link: connection {}: malformed request ({}); closing", id_, reason);
    out_ = link::frame_message(link::encode_error_response("malformed request: " + reason));
    asio::async_write(
        socket_, asio::buffer(out_),
        [self = shared_from_this()](boost::system::error_code, std::size_t) { self->close(); });
  }

  void end(boost::system::error_code ec, const char* what) {
    if (ec != asio::error::eof && ec != asio::error::operation_aborted &&
        ec != asio::error::connection_reset && ec != asio::error::bad_descriptor) {
      ++counters_.io_errors;
      spdlog::warn("link: connection {}: {}: {}", id_, what, ec.message());
    } else {
      spdlog::debug("link: connection {} closed ({})", id_, ec.message());
    }
    close();
  }

  local_stream::socket socket_;
  std::uint64_t id_;
  const link_server::state_source& source_;
  link_counters& counters_;
  std::array<std::uint8_t, 4> header_{};
  std::vector<std::uint8_t> body_;
  std::vector<std::uint8_t> out_;
};

}  // namespace

struct link_server::impl {
  impl(asio::io_context& io, std::filesystem::path p, state_source s)
      : acceptor(io), path(std::move(p)), source(std::move(s)) {}

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, local_stream::socket socket) {
      if (ec) {
        if (ec != asio::error::operation_aborted) {
          spdlog::error("link: accept: {}", ec.message());
          ++counters.io_errors;
          if (acceptor.is_open()) accept();
        }
        return;
      }
      ++counters.connections;
      sessions.remove_if([](const std::weak_ptr<session>& w) {
        auto s = w.lock();
        return !s || !s->open();
      });
      auto s = std::make_shared<session>(std::move(socket), counters.connections, source, counters);
      sessions.push_back(s);
      spdlog::debug("link: connection {} accepted", counters.connections);
      s->start();
      accept();
    });
  }

  local_stream::acceptor acceptor;
  std::filesystem::path path;
  state_source source;
  link_counters counters;
  std::list<std::weak_ptr<session>> sessions;
  bool stopped = false;
};

link_server::link_server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

link_server::~link_server() { stop(); }

common::result<std::unique_ptr<link_server>> link_server::start(asio::io_context& io,
                                                                const std::filesystem::path& path,
                                                                state_source source) {
  auto p = std::make_unique<impl>(io, path, std::move(source));
  std::error_code fs_ec;
  if (std::filesystem::is_socket(path, fs_ec)) {
    std::filesystem::remove(path, fs_ec);  // stale socket of an earlier run
  } else if (std::filesystem::exists(path, fs_ec)) {
    return common::fail(common::errc::io,
                        path.string() + ": exists and is not a socket; refusing to replace it");
  }
  boost::system::error_code ec;
  const local_stream::endpoint endpoint(path.string());
  if (p->acceptor.open(endpoint.protocol(), ec); ec) {
    return common::fail(common::errc::io, path.string() + ": socket: " + ec.message());
  }
  if (p->acceptor.bind(endpoint, ec); ec) {
    return common::fail(common::errc::io, path.string() + ": bind: " + ec.message());
  }
  if (::chmod(path.c_str(), 0660) != 0) {
    spdlog::warn("link: chmod 0660 {} failed", path.string());
  }
  if (p->acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) {
    return common::fail(common::errc::io, path.string() + ": listen: " + ec.message());
  }
  p->accept();
  return std::unique_ptr<link_server>(new link_server(std::move(p)));
}

void link_server::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  boost::system::error_code ec;
  impl_->acceptor.close(ec);
  for (auto& w : impl_->sessions) {
    if (auto s = w.lock()) s->close();
  }
  impl_->sessions.clear();
  std::error_code fs_ec;
  std::filesystem::remove(impl_->path, fs_ec);
}

const link_counters& link_server::counters() const noexcept { return impl_->counters; }

}  // namespace hoistway::sim
