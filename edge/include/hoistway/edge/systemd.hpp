// The sd_notify protocol, written out (one datagram to $NOTIFY_SOCKET) so the agent needs no
// libsystemd: READY=1 once it serves, WATCHDOG=1 from its event loop, STOPPING=1 on shutdown.
// Thread-safety: stateless; call from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace hoistway::edge::systemd {

// Sends `state` (e.g. "READY=1\nSTATUS=…") to the service manager. False when not run by one
// ($NOTIFY_SOCKET unset) or the datagram could not be sent.
bool notify(std::string_view state);

// The watchdog interval systemd expects pings within ($WATCHDOG_USEC, if $WATCHDOG_PID is unset
// or ours); nullopt when no watchdog is configured.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace hoistway::edge::systemd
