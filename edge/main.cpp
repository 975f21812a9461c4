// hoistway-agent: the on-controller agent. Thin: arguments, config, run.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "hoistway/edge/agent.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "hoistway-agent: samples an elevator controller and delivers its records to the cloud"};
  std::string config_path;
  std::string log_level = "info";
  app.add_option("-c,--config", config_path, "agent TOML configuration file")->required();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 64;  // EX_USAGE
  }
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ agent %v", spdlog::pattern_time_type::utc);

  auto config = hoistway::edge::agent_config::load(config_path);
  if (!config) {
    spdlog::error("configuration rejected:\n{}", config.error().message);
    return 78;  // EX_CONFIG
  }
  auto agent = hoistway::edge::agent::create(std::move(*config),
                                             std::make_shared<hoistway::common::system_clock>());
  if (!agent) {
    spdlog::error("cannot start: {}", agent.error().message);
    return 74;  // EX_IOERR
  }
  return (*agent)->run();
}
