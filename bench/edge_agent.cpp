// bench_edge_agent: the agent's CPU and memory at 10 Hz with a 2-car group. Starts mosquitto
// (from PATH) on a free loopback port, hoistway-sim (demo office, real time) and hoistway-agent
// from --bin, acknowledges every frame from a tiny in-process "cloud" (so the agent publishes
// and deletes as in production), and after a warm-up reads /proc/<agent>/stat (utime+stime) and
// /proc/<agent>/status (VmRSS, VmHWM). Prints % of one core and MiB.
//   bench_edge_agent --bin build/bin [--seconds 30]
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hoistway/common/crypto.hpp"
#include "hoistway/common/mqtt.hpp"
#include "hoistway/common/time.hpp"
#include "hoistway/common/topics.hpp"
#include "hoistway/common/wire_codec.hpp"

extern char** environ;
namespace fs = std::filesystem;
namespace hc = hoistway::common;

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

void stop(pid_t pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// utime + stime in clock ticks.
long long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return -1;
  std::istringstream fields(text.substr(close_paren + 2));
  std::string field;
  long long utime = 0;
  long long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoll(field);
    if (i == 15) stime = std::stoll(field);
  }
  return utime + stime;
}

long status_kib(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bin = "build/bin";
  int seconds = 30;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--bin") == 0) bin = argv[i + 1];
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::max(5, std::atoi(argv[i + 1]));
  }
  const auto source = fs::path(HOISTWAY_SOURCE_DIR);
  const auto dir = fs::temp_directory_path() / ("bench-edge-agent-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const int port = free_port();
  const auto key_hex = hc::crypto::to_hex(hc::crypto::random_bytes(32));
  const auto key = *hc::crypto::from_hex(key_hex);
  const std::string device = "bench-1";

  std::ofstream(dir / "mosquitto.conf")
      << "listener " << port << " 127.0.0.1\nallow_anonymous true\n"
      << "max_queued_messages 100000\nmax_inflight_messages 100\n";
  std::ofstream(dir / "agent.toml")
      << "device_id = \"" << device << "\"\n[controller]\nsocket = \""
      << (dir / "sim.sock").string() << "\"\nsample_hz = 10\n[mqtt]\nuri = "
      << "\"tcp://127.0.0.1:" << port << "\"\n[security]\nkey_hex = \"" << key_hex
      << "\"\n[outbox]\npath = \"" << (dir / "outbox.db").string() << "\"\n[cli]\nsocket = \""
      << (dir / "agent.sock").string() << "\"\n";

  const pid_t broker = spawn({"mosquitto", "-c", (dir / "mosquitto.conf").string()},
                             (dir / "mosquitto.log").string());
  const pid_t sim = spawn({bin + "/hoistway-sim", "--building",
                           (source / "firmware-sim/buildings/demo-office.toml").string(),
                           "--socket", (dir / "sim.sock").string(), "--start-time", "08:30"},
                          (dir / "sim.log").string());
  std::this_thread::sleep_for(std::chrono::milliseconds(800));

  // The "cloud": acknowledges every verified frame at once.
  hc::mqtt::options cloud_options;
  cloud_options.server_uri = "tcp://127.0.0.1:" + std::to_string(port);
  cloud_options.client_id = "bench-cloud";
  auto cloud = hc::mqtt::link::create(cloud_options);
  std::uint64_t frames = 0;
  std::uint64_t records = 0;
  if (cloud) {
    (*cloud)->set_subscriptions({{hc::topics::up(device), hc::mqtt::qos::at_least_once}});
    (*cloud)->on_message([&](hc::mqtt::message m) {
      auto envelope = hc::wire::open_envelope(m.payload);
      if (!envelope || !hc::wire::verify_mac(*envelope, key)) return;
      auto batch = hc::wire::decode_payload(*envelope, hc::system_clock().wall_ms());
      if (!batch) return;
      ++frames;
      records += batch->records.size();
      (void)(*cloud)->publish(hc::topics::ack(device),
                              hc::wire::encode_ack(hc::wire::sign_ack(
                                  device, batch->records.back().seq, envelope->key_id, key)),
                              hc::mqtt::qos::at_least_once, hc::mqtt::retain::no);
    });
    (void)(*cloud)->connect();
  }
  const pid_t agent = spawn({bin + "/hoistway-agent", "--config", (dir / "agent.toml").string()},
                            (dir / "agent.log").string());
  std::this_thread::sleep_for(std::chrono::seconds(5));  // warm-up: connect, first snapshot
  const auto ticks0 = cpu_ticks(agent);
  const auto t0 = std::chrono::steady_clock::now();
  const auto frames0 = frames;
  const auto records0 = records;
  long rss_max = 0;
  for (int i = 0; i < seconds; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    rss_max = std::max(rss_max, status_kib(agent, "VmRSS"));
  }
  const auto ticks1 = cpu_ticks(agent);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const long hwm = status_kib(agent, "VmHWM");
  const double cpu =
      static_cast<double>(ticks1 - ticks0) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  std::printf(
      "agent at 10 Hz, 2 cars, %.0f s after a 5 s warm-up: CPU %.2f%% of one core "
      "(target < 1%%); RSS max %.1f MiB, VmHWM %.1f MiB (target < 16 MiB); %llu frames, "
      "%llu records acknowledged\n",
      wall, 100.0 * cpu / wall, static_cast<double>(rss_max) / 1024.0,
      static_cast<double>(hwm) / 1024.0, static_cast<unsigned long long>(frames - frames0),
      static_cast<unsigned long long>(records - records0));
  stop(agent);
  if (cloud) (*cloud)->disconnect(std::chrono::milliseconds(500));
  stop(sim);
  stop(broker);
  fs::remove_all(dir);
  return 0;
}
