// The committed fuzz corpus (fuzz/corpus/frame/, made with hoistway-forge under the fuzz target's
// fixed key and clock) run through the receive path the frame fuzz target drives: every finding
// that became a corpus file stays a regression test here, without a fuzzer. A well-formed frame
// decodes; every hostile one is refused for its meaning, naming its seqs; the signed ack
// verifies.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "hoistway/common/wire_codec.hpp"

namespace {

namespace fs = std::filesystem;
namespace wire = hoistway::common::wire;

// As in fuzz/frame_fuzz.cpp.
const std::vector<std::uint8_t> fuzz_key = [] {
  const std::string text = "hoistway-fuzz-key-0123456789abcd";
  return std::vector<std::uint8_t>(text.begin(), text.end());
}();
constexpr std::int64_t fuzz_now_ms = 1'750'000'000'000;

std::vector<std::uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("fuzz corpus: every committed frame is decoded or refused for a reason") {
  const auto dir = fs::path(HOISTWAY_SOURCE_DIR) / "fuzz" / "corpus" / "frame";
  REQUIRE(fs::is_directory(dir));
  std::size_t frames = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto bytes = read_file(entry.path());
    const auto name = entry.path().filename().string();
    CAPTURE(name);
    if (entry.path().extension() == ".hwa") {
      const auto ack = wire::decode_ack(bytes);
      REQUIRE(ack.has_value());
      CHECK(wire::verify_ack(*ack, fuzz_key));
      continue;
    }
    ++frames;
    const auto envelope = wire::open_envelope(bytes);
    REQUIRE(envelope.has_value());
    CHECK(wire::verify_mac(*envelope, fuzz_key));
    const auto batch = wire::decode_payload(*envelope, fuzz_now_ms);
    if (name == "good.hwf") {
      CHECK(batch.has_value());
    } else {
      REQUIRE_FALSE(batch.has_value());
      CHECK(batch.error().reason == wire::reject_reason::bad_meaning);
      CHECK(batch.error().first_seq == 7);
    }
  }
  CHECK(frames >= 8);
}
