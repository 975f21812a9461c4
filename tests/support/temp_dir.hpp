// Temporary files for tests, removed afterwards: real SQLite files and sockets, no leftovers. The
// one place tests make them (names carry the pid and a counter, so tests of parallel ctest runs
// never share one).
// Thread-safety: each temp_dir / temp_file belongs to one test; making them is thread-safe.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace hoistway::testing {

// A directory of its own for one test.
class temp_dir {
 public:
  explicit temp_dir(const std::string& prefix = "hoistway-test") {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  // The path of `name` inside the directory (nothing is created).
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` to `name` inside the directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    const auto path = file(name);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    return path;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// One file holding `text`, in a directory of its own.
class temp_file {
 public:
  explicit temp_file(const std::string& text = "", const std::string& name = "file.toml")
      : dir_("hoistway-file"), path_(dir_.write(name, text)) {}
  const std::string& path() const { return path_; }

 private:
  temp_dir dir_;
  std::string path_;
};

}  // namespace hoistway::testing
