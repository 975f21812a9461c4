// Tests of one-secret files (secret_file.hpp): what a reader refuses, with its reason, and that a
// writer never lets a secret exist under a mode wider than 0600.
#include "hoistway/common/secret_file.hpp"
#include "hoistway/common/config.hpp"

#include <doctest/doctest.h>

#include "require_ok.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "temp_dir.hpp"

namespace {

namespace secret_file = hoistway::common::secret_file;
namespace fs = std::filesystem;
using hoistway::common::errc;
using hoistway::testing::temp_dir;

std::string make(const temp_dir& dir, const std::string& name, const std::string& text,
                 mode_t mode) {
  const auto path = dir.file(name);
  std::ofstream(path, std::ios::binary) << text;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
  return path;
}

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Restores the process umask when a test changed it.
class umask_guard {
 public:
  explicit umask_guard(mode_t mask) : old_(::umask(mask)) {}
  umask_guard(const umask_guard&) = delete;
  umask_guard& operator=(const umask_guard&) = delete;
  ~umask_guard() { ::umask(old_); }

 private:
  mode_t old_;
};

}  // namespace

TEST_CASE("secret_file: read gives the one line without surrounding white space") {
  temp_dir dir{"hoistway-secret-file"};
  auto a = secret_file::read(make(dir, "a", "s3cret pass\n", 0600));
  REQUIRE_OK(a);
  CHECK(*a == "s3cret pass");
  auto b = secret_file::read(make(dir, "b", "  00ff\r\n\n", 0400));
  REQUIRE_OK(b);
  CHECK(*b == "00ff");
}

TEST_CASE("secret_file: read refuses what is not a private one-secret file, saying why") {
  temp_dir dir{"hoistway-secret-file"};
  auto fails = [](const std::string& path, errc code, const std::string& reason) {
    CAPTURE(path);
    auto r = secret_file::read(path);
    REQUIRE_FALSE(r.has_value());
    CAPTURE(r.error().message);
    CHECK(r.error().code == code);
    CHECK(r.error().message.find(path) != std::string::npos);
    CHECK(r.error().message.find(reason) != std::string::npos);
  };
  fails(dir.file("missing"), errc::not_found, "cannot open");
  for (const mode_t mode : {0644U, 0640U, 0604U, 0620U, 0602U, 0660U}) {
    CAPTURE(mode);
    fails(make(dir, "open-" + std::to_string(mode), "secret\n", mode), errc::invalid_argument,
          "group or others");
  }
  fails(make(dir, "empty", "", 0600), errc::invalid_argument, "is empty");
  fails(make(dir, "blank", " \n\n", 0600), errc::invalid_argument, "is empty");
  fails(make(dir, "two-lines", "one\ntwo\n", 0600), errc::invalid_argument, "more than one line");
  fails(make(dir, "nul", std::string("ab\0cd", 5), 0600), errc::invalid_argument,
        "control character");
  fails(make(dir, "huge", std::string(secret_file::default_max_bytes + 1, 'a'), 0600),
        errc::invalid_argument, "larger than");
  CHECK(secret_file::read(make(dir, "limit", std::string(100, 'a'), 0600), 99).has_value() ==
        false);
  fails(dir.path().string(), errc::invalid_argument, "not a regular file");
  const auto fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  fails(fifo, errc::invalid_argument, "not a regular file");  // and does not wait for a writer
  CHECK_FALSE(secret_file::read("").has_value());
}

TEST_CASE("secret_file: write makes a 0600 file whatever the umask, and replaces atomically") {
  temp_dir dir{"hoistway-secret-file"};
  const auto path = dir.file("out.json");
  {
    umask_guard open_umask(0);
    REQUIRE(secret_file::write(path, "first\n"));
  }
  CHECK(mode_of(path) == 0600);
  auto first = secret_file::read(path);
  REQUIRE_OK(first);
  CHECK(*first == "first");

  // An existing world-readable file is replaced, not rewritten in place under its old mode.
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  REQUIRE(secret_file::write(path, "second\n"));
  CHECK(mode_of(path) == 0600);
  CHECK(*secret_file::read(path) == "second");

  // Nothing is left beside it.
  std::size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++entries;
  CHECK(entries == 1);

  // A directory that cannot be written to is an io error naming the path, and leaves nothing.
  CHECK(secret_file::write(dir.file("no-such-dir/x"), "x").error().code == errc::io);
}

TEST_CASE("config reader: a secret comes inline or from its private file, never both") {
  temp_dir dir{"hoistway-secret-file"};
  const auto good = make(dir, "key", "s3cret\n", 0600);
  const auto open = make(dir, "open", "s3cret\n", 0644);
  namespace cfg = hoistway::common::config;
  const auto load = [](const std::string& text) {
    auto table = cfg::parse_text(text, "cfg.toml");
    REQUIRE_OK(table);
    return std::move(*table);
  };

  SUBCASE("from the file, named by the file key") {
    const auto table = load("password_file = \"" + good + "\"\n");
    cfg::reader r(table, "cfg.toml");
    const auto secret = r.secret("password", "password_file");
    CHECK(r.errors().empty());
    CHECK(secret.value == "s3cret");
    CHECK(secret.from == "password_file");
  }
  SUBCASE("inline, named by the inline key") {
    const auto table = load("password = \"hunter2\"\n");
    cfg::reader r(table, "cfg.toml");
    const auto secret = r.secret("password", "password_file");
    CHECK(r.errors().empty());
    CHECK(secret.value == "hunter2");
    CHECK(secret.from == "password");
  }
  SUBCASE("neither: empty, no error") {
    const auto table = load("");
    cfg::reader r(table, "cfg.toml");
    const auto secret = r.secret("password", "password_file");
    CHECK(r.errors().empty());
    CHECK(secret.value.empty());
    CHECK(secret.from.empty());
  }
  SUBCASE("both: refused with the reason") {
    const auto table = load("password = \"x\"\npassword_file = \"" + good + "\"\n");
    cfg::reader r(table, "cfg.toml");
    CHECK(r.secret("password", "password_file").value.empty());
    REQUIRE(r.errors().size() == 1);
    CHECK(r.errors()[0].find("not both") != std::string::npos);
  }
  SUBCASE("a file others may read: refused, the value not used") {
    const auto table = load("password_file = \"" + open + "\"\n");
    cfg::reader r(table, "cfg.toml");
    CHECK(r.secret("password", "password_file").value.empty());
    REQUIRE(r.errors().size() == 1);
    CHECK(r.errors()[0].find("password_file") != std::string::npos);
  }
}
