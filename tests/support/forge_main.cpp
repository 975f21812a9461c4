// hoistway-forge: writes frames and stored-acks that no agent or cloud of ours would send, for
// the integration scenarios (hostile input), the fuzz corpora and the junk-frame benchmark.
//
//   hoistway-forge frame --device D --key-file F [--key-id N] --seq N [--kind K] [--now-ms T]
//                        [--out PATH]
//   hoistway-forge ack --device D [--key-file F] [--key-id N] --through N [--unsigned] [--out P]
//   hoistway-forge kinds
// Output goes to --out, or to standard output.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "forge.hpp"
#include "hoistway/common/wire_codec.hpp"

namespace {

namespace hc = hoistway::common;
namespace forge = hoistway::testing::forge;

void write(const std::vector<std::uint8_t>& bytes, const std::string& out) {
  if (out.empty()) {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    return;
  }
  std::ofstream file(out, std::ios::binary);
  file.write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hoistway-forge: hostile frames and acks for tests"};
  app.require_subcommand(1);
  std::string device;
  std::string key_file;
  std::string out;
  std::uint32_t key_id = 1;
  std::uint64_t seq = 1;
  std::string kind = "good";
  auto* frame = app.add_subcommand("frame", "a signed frame of one kind");
  frame->add_option("--device", device)->required();
  frame->add_option("--key-file", key_file, "the device key, hex")->required();
  frame->add_option("--key-id", key_id);
  frame->add_option("--seq", seq)->required();
  frame->add_option("--kind", kind);
  frame->add_option("--out", out);
  std::int64_t now_ms = 0;
  frame->add_option("--now-ms", now_ms, "the records' wall time (default: now)");
  std::uint64_t through = 0;
  bool unsigned_ack = false;
  auto* ack = app.add_subcommand("ack", "a stored-ack, signed unless --unsigned");
  ack->add_option("--device", device)->required();
  ack->add_option("--key-file", key_file, "the device key, hex");
  ack->add_option("--key-id", key_id);
  ack->add_option("--through", through)->required();
  ack->add_flag("--unsigned", unsigned_ack);
  ack->add_option("--out", out);
  app.add_subcommand("kinds", "list the frame kinds");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;
  }
  try {
    if (app.got_subcommand("kinds")) {
      for (const auto& [name, what] : forge::all_kinds()) std::cout << name << "\t" << what << "\n";
      return 0;
    }
    if (app.got_subcommand("frame")) {
      forge::set_now_ms(now_ms);
      const auto bytes = forge::frame(kind, device, key_id, forge::read_key(key_file), seq);
      if (!bytes) {
        std::cerr << "unknown kind " << kind << " (hoistway-forge kinds)\n";
        return 64;
      }
      write(*bytes, out);
      return 0;
    }
    hc::wire::stored_ack a{device, through, 0, {}};
    if (!unsigned_ack) {
      a = hc::wire::sign_ack(device, through, key_id, forge::read_key(key_file));
    }
    write(hc::wire::encode_ack(a), out);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 66;
  }
}
