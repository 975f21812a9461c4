// Files that hold one secret (a device key as hex, an MQTT password): how every Hoistway program
// reads and writes them, so a secret never has to appear on a command line, in a log or in a
// world-readable file.
//
// Reading refuses a file that group or others may read or write (a secret others can read is no
// longer one; one others can write lets them choose it), a file that is not a regular file (a
// FIFO would block, a device would never end), and more than `max_bytes`. Writing creates the file
// with mode 0600 from the first byte, whatever the umask, and replaces it atomically.
//
// Thread-safety: free functions without shared state; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "hoistway/common/result.hpp"

namespace hoistway::common::secret_file {

inline constexpr std::size_t default_max_bytes = 4096;

// The secret held in `path`: its text without leading and trailing white space (a trailing
// newline is what editors and `echo` leave). "-" reads standard input, which has no mode to check.
// Errors: not_found (no such file), invalid_argument (mode open to group or others, not a regular
// file, empty, larger than max_bytes, more than one line, a NUL or control character), io.
// Every message names the path and the reason.
result<std::string> read(const std::string& path, std::size_t max_bytes = default_max_bytes);

// Writes `text` to `path` as mode 0600: into a new temporary file in the same directory (created
// exclusively, never through a symlink), flushed to disk, then renamed over `path`. Errors: io.
status write(const std::string& path, std::string_view text);

}  // namespace hoistway::common::secret_file
