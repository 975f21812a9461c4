// hoistway-ingest: the cloud ingest and API server. Thin: arguments, config, run until a signal.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>

#include "hoistway/cloud/server/server.hpp"
#include "hoistway/common/exit_codes.hpp"

namespace ex = hoistway::common::exit_code;

int main(int argc, char** argv) {
  CLI::App app{"hoistway-ingest: stores what the fleet sends and serves the portal API"};
  std::string config_path;
  std::string log_level = "info";
  app.add_option("-c,--config", config_path, "ingest TOML configuration file")->required();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? ex::ok : ex::usage;
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ ingest %v", spdlog::pattern_time_type::utc);
  auto config = hoistway::cloud::server_config::load(config_path);
  if (!config) {
    spdlog::error("configuration rejected:\n{}", config.error().message);
    return ex::config;
  }
  return hoistway::cloud::run_server(*config);
}
