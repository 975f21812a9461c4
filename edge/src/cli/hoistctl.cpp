// hoistctl: requests and rendering.
#include "hoistway/edge/cli/hoistctl.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "hoistway/common/config.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/edge/cli/client.hpp"

namespace hoistway::edge::ctl {

using nlohmann::json;

std::optional<std::string> resolve_socket(const std::string& explicit_socket,
                                          const std::string& config_path, bool config_explicit,
                                          std::string& message) {
  if (!explicit_socket.empty()) return explicit_socket;
  const std::string fallback = "/run/hoistway/agent.sock";
  auto table = common::config::load_file(config_path);
  if (!table) {
    if (!config_explicit) return fallback;
    message = table.error().message;
    return std::nullopt;
  }
  common::config::reader root(*table, config_path);
  auto cli = root.child("cli");
  auto socket = cli.text("socket", fallback);
  if (auto st = root.finish(); !st) {
    message = st.error().message;
    return std::nullopt;
  }
  return socket;
}

std::optional<std::int64_t> parse_since(std::string_view text, std::int64_t now_ms) {
  if (auto t = common::parse_rfc3339(text)) return t;
  if (text.size() < 2) return std::nullopt;
  std::int64_t unit = 0;
  switch (text.back()) {
    case 's':
      unit = 1000;
      break;
    case 'm':
      unit = 60'000;
      break;
    case 'h':
      unit = 3'600'000;
      break;
    case 'd':
      unit = 86'400'000;
      break;
    default:
      return std::nullopt;
  }
  std::int64_t n = 0;
  const auto digits = text.substr(0, text.size() - 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc{} || end != digits.data() + digits.size() || n < 0 || n > 100'000'000) {
    return std::nullopt;
  }
  return std::max<std::int64_t>(0, now_ms - n * unit);
}

namespace {

int failure_code(client_failure kind) {
  switch (kind) {
    case client_failure::unreachable:
      return exit_code::unavailable;
    case client_failure::timeout:
      return exit_code::temp_failure;
    case client_failure::malformed:
      return exit_code::protocol;
  }
  return exit_code::software;
}

int fail(const client_error& e) {
  std::cerr << "hoistctl: " << e.message << "\n";
  return failure_code(e.kind);
}

// An agent's refusal: its reason decides the exit code.
int refused(const json& answer, bool as_json) {
  const auto reason = answer.value("reason", std::string("unknown"));
  if (as_json) {
    std::cout << answer.dump() << "\n";
  } else {
    std::cerr << "hoistctl: refused (" << reason << "): " << answer.value("error", std::string())
              << "\n";
  }
  if (reason == "bad_argument" || reason == "conflict") return exit_code::data_error;
  if (reason == "internal") return exit_code::io_error;
  return exit_code::protocol;  // the agent did not understand us: versions differ
}

std::string text_of(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

std::string age_text(const json& seconds) {
  if (!seconds.is_number()) return "-";
  const auto s = seconds.get<double>();
  std::ostringstream out;
  out.precision(1);
  out << std::fixed;
  if (s < 120) {
    out << s << " s";
  } else if (s < 7200) {
    out << s / 60 << " min";
  } else {
    out << s / 3600 << " h";
  }
  return out.str();
}

void print_event(const json& e) {
  std::cout << text_of(e["time"]) << "  #" << text_of(e["seq"]) << "  car " << text_of(e["car"])
            << "  " << text_of(e["kind"]);
  for (const auto& [key, value] : e["body"].items())
    std::cout << "  " << key << "=" << text_of(value);
  std::cout << "\n";
}

void print_status(const json& a) {
  const auto& c = a["controller"];
  const auto& b = a["broker"];
  const auto& o = a["outbox"];
  std::cout << "device      " << text_of(a["device_id"]) << "  agent "
            << text_of(a["agent_version"]) << "  boot " << text_of(a["boot"]) << "  up "
            << text_of(a["uptime_s"]) << " s  sampling " << text_of(a["sample_hz"]) << " Hz\n";
  std::cout << "controller  " << (c["reachable"].get<bool>() ? "reachable" : "UNREACHABLE") << "  "
            << text_of(c["controller_id"]) << " (firmware " << text_of(c["firmware"])
            << ")  last read " << text_of(c["last_read_at"]) << "  errors " << text_of(c["errors"])
            << "\n";
  for (const auto& car : c["cars"]) {
    std::cout << "  car " << text_of(car["car"]) << "  floor " << text_of(car["floor"]) << "  "
              << text_of(car["direction"]) << "  doors " << text_of(car["door"]) << "  "
              << text_of(car["mode"]) << "  "
              << (car["in_service"].get<bool>() ? "in service" : "OUT OF SERVICE") << "  load "
              << text_of(car["load_kg"]) << " kg";
    if (!car["fault_codes"].empty()) std::cout << "  faults " << car["fault_codes"].dump();
    if (car["alarm"].get<bool>()) std::cout << "  ALARM";
    std::cout << "\n";
  }
  std::cout << "broker      " << (b["connected"].get<bool>() ? "connected" : "DISCONNECTED") << "  "
            << text_of(b["uri"]);
  if (b["connected"].get<bool>()) std::cout << "  since " << text_of(b["connected_since"]);
  std::cout << "\n            last ack " << text_of(b["last_ack_at"]) << "  acked through seq "
            << text_of(b["acked_through"]) << "\n";
  std::cout << "outbox      " << text_of(o["depth"]) << " records  oldest "
            << age_text(o["oldest_age_s"]) << "  dropped samples " << text_of(o["dropped_samples"])
            << "\n";
  if (a["visit"].is_object()) {
    std::cout << "visit       " << text_of(a["visit"]["technician"]) << " on car "
              << text_of(a["visit"]["car"]) << " since " << text_of(a["visit"]["started_at"])
              << "  (visit " << text_of(a["visit"]["visit_id"]) << ")\n";
  } else {
    std::cout << "visit       none\n";
  }
}

void print_outbox(const json& a) {
  std::cout << "depth " << text_of(a["depth"]) << " of cap " << text_of(a["cap"]) << "  (samples "
            << text_of(a["samples"]) << ", events " << text_of(a["events"]) << ")  oldest "
            << age_text(a["oldest_age_s"]) << "\n";
  for (const auto& [kind, n] : a["by_kind"].items()) {
    std::printf("  %-18s %s\n", kind.c_str(), text_of(n).c_str());
  }
  std::cout << "dropped samples " << text_of(a["dropped_samples"])
            << " (not yet reported: " << text_of(a["unreported_dropped"]) << ")  next seq "
            << text_of(a["next_seq"]) << "  acked through " << text_of(a["acked_through"]) << "\n";
}

void draw_progress(const json& p) {
  const auto from = p.value("from", std::uint64_t{0});
  const auto target = p.value("target", std::uint64_t{0});
  const auto acked = p.value("acked_through", std::uint64_t{0});
  const double done = target > from ? static_cast<double>(acked - std::min(acked, from)) /
                                          static_cast<double>(target - from)
                                    : 1.0;
  constexpr int width = 30;
  const int filled = static_cast<int>(done * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '-');
  std::fprintf(stderr, "\rflush [%s] %3d%%  acked %llu of %llu%s", bar.c_str(),
               static_cast<int>(done * 100), static_cast<unsigned long long>(acked),
               static_cast<unsigned long long>(target),
               p.value("connected", false) ? "" : "  (broker not connected)");
  std::fflush(stderr);
}

}  // namespace

int execute(const options& o, const cli::request& request) {
  auto client = cli_client::connect(o.socket);
  if (!client) return fail(client.error());
  if (auto st = client->send_line(cli::encode_request(request)); !st) return fail(st.error());

  const bool streaming =
      request.cmd == cli::command::flush || (request.cmd == cli::command::events && request.follow);
  const auto first_timeout = request.cmd == cli::command::flush ? o.timeout : o.timeout;
  auto line = client->read_line(first_timeout);
  if (!line) return fail(line.error());
  auto answer = json::parse(*line, nullptr, false);
  if (!answer.is_object()) {
    std::cerr << "hoistctl: the agent's answer is not JSON\n";
    return exit_code::protocol;
  }

  if (request.cmd == cli::command::flush) {
    const bool tty = ::isatty(STDERR_FILENO) != 0 && !o.json;
    const auto deadline = std::chrono::steady_clock::now() + o.flush_timeout;
    bool drew = false;
    while (answer.contains("progress")) {
      if (tty) {
        draw_progress(answer["progress"]);
        drew = true;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        if (drew) std::fputc('\n', stderr);
        std::cerr << "hoistctl: flush timed out; acked through seq "
                  << answer["progress"].value("acked_through", std::uint64_t{0}) << " of "
                  << answer["progress"].value("target", std::uint64_t{0}) << "\n";
        if (o.json) std::cout << answer.dump() << "\n";
        return exit_code::temp_failure;
      }
      line = client->read_line(left);
      if (!line) {
        if (drew) std::fputc('\n', stderr);
        if (line.error().kind == client_failure::timeout) {
          std::cerr << "hoistctl: flush timed out\n";
          return exit_code::temp_failure;
        }
        return fail(line.error());
      }
      answer = json::parse(*line, nullptr, false);
      if (!answer.is_object()) return exit_code::protocol;
    }
    if (drew) {
      draw_progress({{"from", 0}, {"target", 1}, {"acked_through", 1}, {"connected", true}});
      std::fputc('\n', stderr);
    }
  }

  if (!answer.value("ok", false)) return refused(answer, o.json);

  if (o.json) {
    std::cout << answer.dump() << "\n";
  } else {
    switch (request.cmd) {
      case cli::command::status:
        print_status(answer);
        break;
      case cli::command::events:
        for (const auto& e : answer["events"]) print_event(e);
        break;
      case cli::command::visit_start:
        std::cout << "visit " << text_of(answer["visit_id"]) << " started: technician "
                  << text_of(answer["technician"]) << " on car " << text_of(answer["car"]) << "\n";
        break;
      case cli::command::visit_end:
        std::cout << "visit " << text_of(answer["visit_id"]) << " ended after "
                  << text_of(answer["duration_s"]) << " s\n";
        break;
      case cli::command::checklist:
        std::cout << "recorded " << text_of(answer["item"]) << ": " << text_of(answer["result"])
                  << " (visit " << text_of(answer["visit_id"]) << ")\n";
        break;
      case cli::command::outbox:
        print_outbox(answer);
        break;
      case cli::command::flush:
        std::cout << "flushed: the cloud has stored everything through seq "
                  << text_of(answer["flushed_through"]) << "\n";
        break;
      case cli::command::config_show:
        std::cout << "# " << text_of(answer["path"]) << " (sha256 "
                  << text_of(answer["config_hash"]) << ")\n"
                  << answer["config"].dump(2) << "\n";
        break;
      case cli::command::ping:
        std::cout << "pong\n";
        break;
    }
  }
  std::cout.flush();

  if (streaming && request.cmd == cli::command::events) {
    while (true) {
      line = client->read_line(std::chrono::milliseconds(-1));
      if (!line) {
        if (line.error().kind == client_failure::unreachable) {
          std::cerr << "hoistctl: the agent closed the stream\n";
          return exit_code::unavailable;
        }
        return fail(line.error());
      }
      auto event = json::parse(*line, nullptr, false);
      if (!event.is_object() || !event.contains("event")) continue;
      if (o.json) {
        std::cout << event["event"].dump() << "\n";
      } else {
        print_event(event["event"]);
      }
      std::cout.flush();
    }
  }
  return exit_code::ok;
}

}  // namespace hoistway::edge::ctl
