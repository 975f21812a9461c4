// Frames that no agent of ours would send, for tests, fuzz corpora and benchmarks: a record that
// names a union member and carries no body, an unknown member, text that is not UTF-8, a car out
// of range, a trip that ends before it starts, times a year ahead. Each is signed as the agent
// signs, so it passes the MAC and reaches the checks (and, if they let it, the store) behind it.
// Tests only: it includes the generated FlatBuffers headers, which in the product only the codecs
// in common/ may do.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hoistway::testing::forge {

// Every kind with what it is; "good" is a well-formed frame of one record.
std::map<std::string, std::string> all_kinds();
// Every kind but "good".
std::vector<std::string> hostile_kinds();
// A frame of `kind` with one record at `seq`; nullopt for an unknown kind.
std::optional<std::vector<std::uint8_t>> frame(const std::string& kind, const std::string& device,
                                               std::uint32_t key_id,
                                               const std::vector<std::uint8_t>& key,
                                               std::uint64_t seq);
// The wall time the frames' records carry from now on (0: the system clock's), for corpora
// read by code with a fixed clock.
void set_now_ms(std::int64_t wall_ms);
// A device key from a file of hex digits (throws std::runtime_error).
std::vector<std::uint8_t> read_key(const std::string& path);

}  // namespace hoistway::testing::forge
