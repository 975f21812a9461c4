// Log set-up for the edge programs: human text (with the syslog priority prefix journald reads
// when run by systemd) or JSON lines {"ts","level","logger","msg"} for log shippers.
// Thread-safety: call once from main before other threads start.
#pragma once

#include <string_view>

namespace hoistway::edge {

enum class log_format { text, json };

// `level`: trace, debug, info, warn, error. `program` names the logger ("agent").
void setup_logging(log_format format, std::string_view level, std::string_view program);

}  // namespace hoistway::edge
