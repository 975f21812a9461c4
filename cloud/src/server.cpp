// The cloud process: construct, start, wait for a signal, stop in reverse order.
#include "hoistway/cloud/server.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include "hoistway/cloud/accounts.hpp"
#include "hoistway/cloud/api.hpp"
#include "hoistway/cloud/http.hpp"
#include "hoistway/cloud/ingest.hpp"
#include "hoistway/cloud/openapi_yaml.hpp"

namespace hoistway::cloud {

int run_server(const ingest_config& config) {
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
    return 74;  // EX_IOERR
  }
  std::shared_ptr<ingest> ingest_ptr = std::move(*pipeline);
  // Accounts (eService, customer portal) when ingest.toml has an [accounts] section.
  std::shared_ptr<accounts::module> accounts_module;
  if (config.accounts) {
    auto m =
        accounts::module::create(*config.accounts, config.source_path, config.store_path, clock);
    if (!m) {
      spdlog::error("accounts: {}", m.error().message);
      return m.error().code == common::errc::invalid_argument ? 78 : 74;  // EX_CONFIG : EX_IOERR
    }
    accounts_module = std::move(*m);
  }
  auto dir = directory::open(config.store_path, clock);
  auto reads = queries::open(config.store_path, clock);
  if (!dir || !reads) {
    spdlog::error("cannot open the store for reading: {}",
                  !dir ? dir.error().message : reads.error().message);
    return 74;
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
  auto routes = std::make_shared<api>(ctx);
  auto server = http_server::create({.address = config.http_address, .port = config.http_port},
                                    [routes](const http_request& r) { return routes->handle(r); });
  if (!server) {
    spdlog::error("{}", server.error().message);
    return 69;  // EX_UNAVAILABLE
  }
  // The metrics read the server's own counters; set once the server exists.
  ctx.http = &(*server)->stats();
  if (accounts_module) {
    ctx.modules.push_back([m = accounts_module](const http_request& r) { return m->handle(r); });
  }
  *routes = api(ctx);

  if (auto st = ingest_ptr->start(); !st) {
    spdlog::error("mqtt: {}", st.error().message);
    return 69;
  }
  (*server)->start();
  if (accounts_module) accounts_module->start();
  spdlog::info("serving http://{}:{}/ ; subscribed at {}", config.http_address, (*server)->port(),
               config.mqtt.server_uri);

  int signo = 0;
  sigwait(&signals, &signo);
  spdlog::info("signal {}: stopping", signo);
  (*server)->stop();
  if (accounts_module) accounts_module->stop();
  ingest_ptr->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace hoistway::cloud
