// hoistctl: the technician's command line for the agent on this controller. Thin: arguments,
// then one request over the agent's Unix socket (see hoistway/edge/cli/hoistctl.hpp).
#include <CLI/CLI.hpp>

#include <iostream>

#include "hoistway/common/time.hpp"
#include "hoistway/edge/cli/hoistctl.hpp"

namespace cli = hoistway::edge::cli;
namespace ctl = hoistway::edge::ctl;

int main(int argc, char** argv) {
  CLI::App app{
      "hoistctl: talk to the hoistway-agent on this controller (works with the network "
      "down).\nExit codes (sysexits.h): 0 ok, 64 usage, 65 refused (bad data or state), "
      "69 agent unreachable, 74 agent I/O failure, 75 timed out, 76 protocol, 78 config."};
  app.require_subcommand(1);
  std::string config_path = "/etc/hoistway/agent.toml";
  std::string socket;
  bool as_json = false;
  double timeout_s = 10;
  auto* config_opt =
      app.add_option("-c,--config", config_path, "agent configuration (for [cli] socket)");
  app.add_option("-s,--socket", socket, "the agent's CLI socket (overrides the configuration)");
  app.add_flag("--json", as_json, "print the agent's answer as JSON");
  app.add_option("--timeout", timeout_s, "seconds to wait for an answer")
      ->check(CLI::Range(0.1, 3600.0));

  cli::request request;
  auto* status = app.add_subcommand("status", "controller state, broker connection, outbox, visit");
  auto* events = app.add_subcommand("events", "recent events (not samples)");
  std::string since;
  events->add_option("--since", since, "RFC 3339 time, or a span back from now (90s, 15m, 2h, 3d)");
  events->add_option("--limit", request.limit, "at most this many past events")
      ->check(CLI::Range(std::size_t{1}, cli::max_events_limit));
  events->add_flag("-f,--follow", request.follow, "then print new events as they happen");
  auto* visit = app.add_subcommand("visit", "technician on site");
  visit->require_subcommand(1);
  auto* visit_start =
      visit->add_subcommand("start", "start a visit (the portal shows the technician on site)");
  visit_start->add_option("--technician", request.technician, "technician id")->required();
  int car = 0;
  visit_start->add_option("--car", car, "the car worked on, as `hoistctl status` numbers them")
      ->check(CLI::Range(0, 255))
      ->capture_default_str();
  auto* visit_end = visit->add_subcommand("end", "end the open visit");
  auto* checklist = app.add_subcommand("checklist", "maintenance checklist during a visit");
  checklist->require_subcommand(1);
  auto* record = checklist->add_subcommand("record", "record one checklist item");
  std::string verdict;
  record->add_option("item", request.item, "checklist item")->required();
  record->add_option("result", verdict, "ok or ng")->required()->check(CLI::IsMember({"ok", "ng"}));
  record->add_option("--note", request.note, "a note (at most 200 characters)");
  auto* outbox = app.add_subcommand("outbox", "outbox depth by kind, dropped counts");
  auto* flush =
      app.add_subcommand("flush", "wait until the cloud has stored everything recorded so far");
  double flush_timeout_s = 300;
  flush->add_option("--timeout", flush_timeout_s, "give up after this many seconds (exit 75)")
      ->check(CLI::Range(0.1, 86400.0));
  auto* config = app.add_subcommand("config", "the agent's configuration");
  config->require_subcommand(1);
  auto* config_show =
      config->add_subcommand("show", "the effective configuration (secrets redacted)");
  auto* ping = app.add_subcommand("ping", "is the agent answering?");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : ctl::exit_code::usage;
  }

  if (*status) request.cmd = cli::command::status;
  if (*events) request.cmd = cli::command::events;
  if (*visit_start) {
    request.cmd = cli::command::visit_start;
    request.car = static_cast<std::uint8_t>(car);
  }
  if (*visit_end) request.cmd = cli::command::visit_end;
  if (*record) request.cmd = cli::command::checklist;
  if (*outbox) request.cmd = cli::command::outbox;
  if (*flush) request.cmd = cli::command::flush;
  if (*config_show) request.cmd = cli::command::config_show;
  if (*ping) request.cmd = cli::command::ping;
  request.ok = verdict != "ng";
  if (!since.empty()) {
    request.since_ms = ctl::parse_since(since, hoistway::common::system_clock().wall_ms());
    if (!request.since_ms) {
      std::cerr << "hoistctl: --since: expected an RFC 3339 time or a span like 15m\n";
      return ctl::exit_code::usage;
    }
  }
  if (*visit_start && !cli::valid_technician(request.technician)) {
    std::cerr << "hoistctl: --technician: 1-64 of A-Z a-z 0-9 . _ @ -\n";
    return ctl::exit_code::usage;
  }
  if (*record && (!cli::valid_item(request.item) || !cli::valid_note(request.note))) {
    std::cerr << "hoistctl: item: 1-64 printable characters; --note: at most 200\n";
    return ctl::exit_code::usage;
  }

  std::string message;
  const auto path = ctl::resolve_socket(socket, config_path, config_opt->count() > 0, message);
  if (!path) {
    std::cerr << "hoistctl: " << message << "\n";
    return ctl::exit_code::config;
  }
  ctl::options o;
  o.socket = *path;
  o.json = as_json;
  o.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout_s * 1000));
  o.flush_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(flush_timeout_s * 1000));
  return ctl::execute(o, request);
}
