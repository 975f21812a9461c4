// The exit codes of every Hoistway program, one set for all (sysexits.h's numbers and meanings),
// so a supervisor, a script or a test reads the same code the same way whichever program ended.
// Thread-safety: constants.
#pragma once

namespace hoistway::common::exit_code {

inline constexpr int ok = 0;
inline constexpr int usage = 64;         // EX_USAGE: bad command line
inline constexpr int data_error = 65;    // EX_DATAERR: input refused (a file's content, a request)
inline constexpr int no_input = 66;      // EX_NOINPUT: an input file cannot be read
inline constexpr int unavailable = 69;   // EX_UNAVAILABLE: a peer (broker, agent) not reachable
inline constexpr int software = 70;      // EX_SOFTWARE: internal error
inline constexpr int os_error = 71;      // EX_OSERR: the system refused (a socket cannot be served)
inline constexpr int cant_create = 73;   // EX_CANTCREAT: an output file cannot be written
inline constexpr int io_error = 74;      // EX_IOERR: a store or outbox failed
inline constexpr int temp_failure = 75;  // EX_TEMPFAIL: not done in time; try again
inline constexpr int protocol = 76;      // EX_PROTOCOL: an answer not understood
inline constexpr int config = 78;        // EX_CONFIG: configuration unreadable or invalid

}  // namespace hoistway::common::exit_code
