// spdlog set-up: text or JSON lines on stderr.
#include "hoistway/edge/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <string>

#include "hoistway/common/time.hpp"

namespace hoistway::edge {
namespace {

// One JSON object per line; the message is escaped by nlohmann so any text stays valid JSON.
class json_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    nlohmann::json line = {{"ts", common::format_rfc3339(ms.count())},
                           {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                                                 spdlog::level::to_string_view(msg.level).size())},
                           {"logger", std::string(msg.logger_name.data(), msg.logger_name.size())},
                           {"msg", std::string(msg.payload.data(), msg.payload.size())}};
    const auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>();
  }
};

// "%*": the syslog priority digit (journald's SyslogLevelPrefix reads "<N>").
class syslog_priority final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char digit = '6';
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        digit = '7';
        break;
      case spdlog::level::info:
        digit = '6';
        break;
      case spdlog::level::warn:
        digit = '4';
        break;
      case spdlog::level::err:
        digit = '3';
        break;
      case spdlog::level::critical:
        digit = '2';
        break;
      default:
        break;
    }
    dest.push_back(digit);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<syslog_priority>();
  }
};

}  // namespace

void setup_logging(log_format format, std::string_view level, std::string_view program) {
  auto logger = spdlog::stderr_logger_mt(std::string(program));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
  if (format == log_format::json) {
    spdlog::set_formatter(std::make_unique<json_formatter>());
  } else if (std::getenv("JOURNAL_STREAM") != nullptr) {
    // Under systemd: journald adds the time; "<N>" gives it the priority.
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<syslog_priority>('*').set_pattern("<%*>%l: %v");
    spdlog::set_formatter(std::move(formatter));
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ " + std::string(program) + " %v",
                        spdlog::pattern_time_type::utc);
  }
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace hoistway::edge
