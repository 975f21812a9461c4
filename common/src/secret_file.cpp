// Reading and writing one-secret files (secret_file.hpp).
#include "hoistway/common/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <span>

#include "hoistway/common/crypto.hpp"

namespace hoistway::common::secret_file {
namespace {

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Overwrites text that held a secret before its memory is freed.
void wipe(std::string& text) {
  crypto::secure_zero(std::span(reinterpret_cast<std::uint8_t*>(text.data()), text.size()));
}

// Closes the descriptor on every path out.
class descriptor {
 public:
  explicit descriptor(int fd) : fd_(fd) {}
  descriptor(const descriptor&) = delete;
  descriptor& operator=(const descriptor&) = delete;
  ~descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now, reporting close's error (on some file systems the write error shows only here).
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

// Reads at most `limit` bytes (one more than the caller allows, to tell "too large").
result<std::string> read_all(int fd, std::size_t limit, const std::string& name) {
  std::string out;
  char buffer[1024];
  while (out.size() < limit) {
    const auto n = ::read(fd, buffer, std::min(sizeof buffer, limit - out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(errc::io, name + ": cannot read: " + std::strerror(errno));
    }
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

result<std::string> check_text(std::string text, std::size_t max_bytes, const std::string& name) {
  if (text.size() > max_bytes) {
    wipe(text);
    return fail(errc::invalid_argument,
                name + ": larger than " + std::to_string(max_bytes) + " bytes: not a secret file");
  }
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  std::size_t first = 0;
  std::size_t last = text.size();
  while (first < last && space(text[first])) ++first;
  while (last > first && space(text[last - 1])) --last;
  std::string secret = text.substr(first, last - first);
  wipe(text);
  if (secret.empty()) return fail(errc::invalid_argument, name + ": is empty");
  for (const char ch : secret) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      wipe(secret);
      return fail(errc::invalid_argument, name + ": holds more than one line (one secret a file)");
    }
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      wipe(secret);
      return fail(errc::invalid_argument, name + ": holds a control character");
    }
  }
  return secret;
}

}  // namespace

result<std::string> read(const std::string& path, std::size_t max_bytes) {
  if (path.empty()) return fail(errc::invalid_argument, "a secret file path is empty");
  if (path == "-") {
    auto text = read_all(STDIN_FILENO, max_bytes + 1, "standard input");
    if (!text) return std::unexpected(text.error());
    return check_text(std::move(*text), max_bytes, "standard input");
  }
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (fd.get() < 0) {
    const int e = errno;
    return fail(e == ENOENT ? errc::not_found : errc::io,
                path + ": cannot open: " + std::strerror(e));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return fail(errc::io, path + ": cannot stat: " + std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(errc::invalid_argument, path + ": not a regular file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return fail(errc::invalid_argument,
                path + ": group or others may read or write it (mode " + mode_text(st.st_mode) +
                    "): a secret file must be 0600 or 0400 (chmod 600 " + path + ")");
  }
  auto text = read_all(fd.get(), max_bytes + 1, path);
  if (!text) return std::unexpected(text.error());
  return check_text(std::move(*text), max_bytes, path);
}

status write(const std::string& path, std::string_view text) {
  if (path.empty()) return fail(errc::invalid_argument, "a secret file path is empty");
  // mkstemp creates the file O_EXCL with mode 0600 (glibc), so no other user ever sees the secret
  // under a wider mode, and a symlink planted at the temporary name is never followed.
  std::string temp = path + ".XXXXXX";
  descriptor fd(::mkstemp(temp.data()));
  if (fd.get() < 0) {
    return fail(errc::io, path + ": cannot create a temporary file: " + std::strerror(errno));
  }
  const auto abandon = [&temp](const std::string& what) {
    const int e = errno;
    ::unlink(temp.c_str());
    return fail(errc::io, temp + ": " + what + ": " + std::strerror(e));
  };
  if (::fchmod(fd.get(), 0600) != 0) return abandon("cannot set mode 0600");
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abandon("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return abandon("cannot sync");
  if (!fd.close()) return abandon("cannot close");
  if (std::rename(temp.c_str(), path.c_str()) != 0) return abandon("cannot rename to " + path);
  return {};
}

}  // namespace hoistway::common::secret_file
