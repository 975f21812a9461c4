// The cloud process: construct, start, wait for a signal, stop in reverse order.
#include "hoistway/cloud/server/server.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <stop_token>
#include <thread>

#include "hoistway/cloud/accounts/module.hpp"
#include "hoistway/cloud/ingest/ingest.hpp"
#include "hoistway/cloud/portal/api.hpp"
#include "hoistway/cloud/portal/http.hpp"
#include "hoistway/cloud/portal/web_assets.hpp"
#include "hoistway/cloud/server/openapi_yaml.hpp"
#include "hoistway/common/exit_codes.hpp"

namespace hoistway::cloud {
namespace {

namespace ex = common::exit_code;

// The bearer token /metrics needs ([http] metrics_token_file): the file's first line.
common::result<std::string> read_metrics_token(const std::string& path) {
  std::ifstream in(path);
  if (!in) return common::fail(common::errc::invalid_argument, "cannot read " + path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t'))
    token.pop_back();
  if (token.size() < 16) {
    return common::fail(common::errc::invalid_argument,
                        path + ": the metrics token must be at least 16 characters");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    spdlog::warn("{} is readable by others than its owner (chmod 600)", path);
  }
  return token;
}

http_server_options server_options(const http_config& h) {
  http_server_options o;
  o.threads = h.threads;
  o.workers = h.workers;
  o.slow_workers = h.slow_workers;
  o.queue = h.queue;
  o.max_connections = h.max_connections;
  o.max_connections_per_address = h.max_connections_per_address;
  o.max_body_bytes = h.max_body_bytes;
  o.header_timeout = h.header_timeout;
  o.body_timeout = h.body_timeout;
  o.idle_timeout = h.idle_timeout;
  o.write_timeout = h.write_timeout;
  o.stream_check = h.stream_check;
  return o;
}

// Each connection is a descriptor: say so at start when the limit cannot hold max_connections.
void check_descriptor_limit(const http_config& h) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  const auto needed = h.max_connections + (h.metrics_listen.empty() ? 0 : 16) + 64;
  if (limit.rlim_cur < needed) {
    spdlog::warn(
        "the descriptor limit ({}) is below [http] max_connections + 64 ({}): at the limit new "
        "connections wait in the backlog; raise LimitNOFILE or lower max_connections",
        limit.rlim_cur, needed);
  }
}

}  // namespace

int run_server(const server_config& config) {
  // Block the signals before any thread starts, so that only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto clock = std::make_shared<common::system_clock>();
  auto view = std::make_shared<live_view>(config.offline_after);
  // Stream ids keep growing across restarts: start from the start time in µs.
  auto bus =
      std::make_shared<event_bus>(20'000, static_cast<std::uint64_t>(clock->wall_ms()) * 1000);
  auto pipeline = ingest::create(config, view, bus, clock);
  if (!pipeline) {
    spdlog::error("cannot open the store: {}", pipeline.error().message);
    return ex::io_error;
  }
  std::shared_ptr<ingest> ingest_ptr = std::move(*pipeline);
  // Accounts (eService, customer portal) when ingest.toml has an [accounts] section.
  std::shared_ptr<accounts::module> accounts_module;
  if (config.accounts) {
    auto m =
        accounts::module::create(*config.accounts, config.source_path, config.store_path, clock);
    if (!m) {
      spdlog::error("accounts: {}", m.error().message);
      return m.error().code == common::errc::invalid_argument ? ex::config : ex::io_error;
    }
    accounts_module = std::move(*m);
  }
  // Browser sessions on the data routes (the portal pages hold no API key).
  std::shared_ptr<accounts::session_auth> sessions;
  if (config.accounts) {
    auto s = accounts::session_auth::open(config.store_path, clock);
    if (!s) {
      spdlog::error("accounts: sessions: {}", s.error().message);
      return ex::io_error;
    }
    sessions = std::move(*s);
  }
  auto dir = directory::open(config.store_path, clock);
  auto reads = queries::open(config.store_path, clock);
  if (!dir || !reads) {
    spdlog::error("cannot open the store for reading: {}",
                  !dir ? dir.error().message : reads.error().message);
    return ex::io_error;
  }

  api_context ctx;
  ctx.view = view;
  ctx.clock = clock;
  ctx.dir = *dir;
  ctx.db = *reads;
  ctx.bus = bus;
  ctx.openapi_yaml = openapi_yaml;
  ctx.ingest = [ingest_ptr] { return &ingest_ptr->counters(); };
  ctx.broker_connected = [ingest_ptr] { return ingest_ptr->broker_connected(); };
  ctx.max_streams = config.http.max_streams;
  ctx.max_streams_per_key = config.http.max_streams_per_key;
  ctx.metrics_on_main = config.http.metrics_listen.empty();
  if (!config.http.metrics_token_file.empty()) {
    auto token = read_metrics_token(config.http.metrics_token_file);
    if (!token) {
      spdlog::error("[http] metrics_token_file: {}", token.error().message);
      return ex::config;
    }
    ctx.metrics_token = std::move(*token);
  }
  check_descriptor_limit(config.http);
  // The routes' /metrics reads the server's counters, and the server calls the routes: the
  // counters are made first and handed to both, so each is built once, whole.
  auto http_stats = std::make_shared<http_server_stats>();
  ctx.http = http_stats.get();
  if (accounts_module) {
    ctx.modules.push_back([m = accounts_module](const http_request& r) { return m->handle(r); });
    ctx.metrics_sections.push_back([m = accounts_module] { return m->metrics_text(); });
    // Password hashing and mail queueing: a flood of these waits in the slow lane.
    ctx.slow_prefixes = {"/api/v1/eservice/", "/api/v1/portal/"};
  }
  if (sessions) {
    ctx.session = [sessions](const http_request& r) { return sessions->resolve(r); };
    ctx.watch_session = [sessions](const caller& who) { return sessions->watch(who); };
    ctx.metrics_sections.push_back([sessions] { return sessions->metrics_text(); });
  }
  // The web pages, last: they answer every path the API does not own.
  std::optional<std::filesystem::path> web_root;
  if (!config.http.web_root.empty())
    web_root = config.http.web_root;
  else
    web_root = web_assets::default_root();
  if (web_root) {
    auto pages = web_assets::load(*web_root);
    if (!pages) {
      // Named in the config and unusable: a configuration error. Found by default: served
      // without pages, said once.
      if (!config.http.web_root.empty()) {
        spdlog::error("[http] web_root: {}", pages.error().message);
        return ex::config;
      }
      spdlog::warn("web pages not served: {}", pages.error().message);
    } else {
      spdlog::info("web pages: {} files ({} bytes) from {}", (*pages)->file_count(),
                   (*pages)->byte_count(), web_root->string());
      ctx.modules.push_back([p = *pages](const http_request& r) { return p->handle(r); });
    }
  } else {
    spdlog::warn(
        "web pages not found beside the executable ([http] web_root names them): "
        "serving the API alone");
  }
  auto routes = std::make_shared<const api>(ctx);
  auto options = server_options(config.http);
  options.address = config.http_address;
  options.port = config.http_port;
  options.stats = http_stats;
  options.lane_of = [routes](const http_request& r) { return routes->lane_of(r); };
  auto server = http_server::create(options, [routes](const http_request& r) {
    auto response = routes->handle(r);
    security_headers(response);
    return response;
  });
  if (!server) {
    spdlog::error("{}", server.error().message);
    return ex::unavailable;
  }
  // /metrics on a listener of its own: small, since only a scraper talks to it.
  std::unique_ptr<http_server> metrics_server;
  if (!config.http.metrics_listen.empty()) {
    const auto& listen = config.http.metrics_listen;
    const auto colon = listen.rfind(':');
    auto host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    http_server_options m;
    m.address = host;
    m.port = static_cast<std::uint16_t>(std::stoul(listen.substr(colon + 1)));
    m.workers = 1;
    m.slow_workers = 0;  // one lane: /metrics is all it serves
    m.queue = 16;
    m.max_connections = 16;
    m.max_connections_per_address = 16;
    m.header_timeout = config.http.header_timeout;
    m.idle_timeout = config.http.idle_timeout;
    m.write_timeout = config.http.write_timeout;
    auto created = http_server::create(
        m, [routes](const http_request& r) { return routes->metrics_listener(r); });
    if (!created) {
      spdlog::error("[http] metrics_listen: {}", created.error().message);
      return ex::unavailable;
    }
    metrics_server = std::move(*created);
  }
  if (auto st = ingest_ptr->start(); !st) {
    spdlog::error("mqtt: {}", st.error().message);
    return ex::unavailable;
  }
  // Event streams re-check keys and contracts against the directory's cached snapshot (they may
  // not read the store on the I/O thread): this keeps it about a second old with no requests.
  // Streams of sessions are re-checked the same way (a signed-out session ends its stream).
  std::jthread refresher([d = *dir, sessions](std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    while (!stop.stop_requested()) {
      (void)d->refresh();  // a failure is logged there; the previous snapshot serves meanwhile
      if (sessions) sessions->recheck();
      std::unique_lock lock(m);
      cv.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
    }
  });
  (*server)->start();
  if (metrics_server) metrics_server->start();
  if (accounts_module) accounts_module->start();
  spdlog::info("serving http://{}:{}/ ; subscribed at {}", config.http_address, (*server)->port(),
               config.mqtt.server_uri);
  if (metrics_server) {
    spdlog::info("serving /metrics on {} (port {})", config.http.metrics_listen,
                 metrics_server->port());
  }

  int signo = 0;
  sigwait(&signals, &signo);
  spdlog::info("signal {}: stopping", signo);
  (*server)->stop();
  if (metrics_server) metrics_server->stop();
  refresher.request_stop();
  if (accounts_module) accounts_module->stop();
  ingest_ptr->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace hoistway::cloud
