// hoistway-agent: the on-controller agent. Thin: arguments, config, run.
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <exception>

#include "hoistway/common/exit_codes.hpp"
#include "hoistway/edge/agent.hpp"
#include "hoistway/edge/logging.hpp"

namespace exit_code = hoistway::common::exit_code;

int main(int argc, char** argv) {
  CLI::App app{
      "hoistway-agent: samples an elevator controller and delivers its records to the cloud"};
  std::string config_path;
  std::string log_level = "info";
  std::string log_format = "text";
  app.add_option("-c,--config", config_path, "agent TOML configuration file")->required();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.add_option("--log-format", log_format, "text (journald priorities under systemd) or json")
      ->check(CLI::IsMember({"text", "json"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_code::ok : exit_code::usage;
  }
  try {
    hoistway::edge::setup_logging(
        log_format == "json" ? hoistway::edge::log_format::json : hoistway::edge::log_format::text,
        log_level, "agent");
    auto config = hoistway::edge::agent_config::load(config_path);
    if (!config) {
      spdlog::error("configuration rejected:\n{}", config.error().message);
      return exit_code::config;
    }
    auto agent = hoistway::edge::agent::create(std::move(*config),
                                               std::make_shared<hoistway::common::system_clock>());
    if (!agent) {
      spdlog::error("cannot start: {}", agent.error().message);
      return exit_code::io_error;
    }
    return (*agent)->run();
  } catch (const std::exception& e) {
    spdlog::critical("internal error: {}", e.what());
    return exit_code::software;
  }
}
