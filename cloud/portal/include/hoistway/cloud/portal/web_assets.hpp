// The web pages (web/, built by `node web/build.mjs` into one directory) served under /.
//
// The directory is read once, at start, into memory (it is ~100 KB): a request never touches the
// disk, and a build replaced under a running server changes nothing until the next start. Beside
// each file the build writes its gzip (NAME.gz); a client that accepts gzip gets those bytes.
//
// Paths: /assets/NAME is a file named by its content (cached a year, immutable); another path
// whose last segment has a dot (/favicon.svg) is that file; every other path is a page of the
// app and gets index.html (the app picks the screen). /api/, /healthz, /metrics and
// /openapi.yaml are never answered here. Only GET and HEAD: 405 otherwise. ETags are the
// content's SHA-256; If-None-Match answers 304.
//
// Every answer of the server carries the security headers (security_headers()): a strict
// Content-Security-Policy (no inline script or style, nothing from another origin, no framing),
// Referrer-Policy, X-Content-Type-Options, and HSTS when the server is reached over TLS.
//
// Thread-safety: immutable once loaded; handle() may be called from any number of threads.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "hoistway/cloud/portal/http.hpp"
#include "hoistway/common/result.hpp"

namespace hoistway::cloud {

class web_assets {
 public:
  // Reads every regular file under root (symlinks and files over 8 MiB refused, at most 1,000
  // files). An error if root has no index.html.
  static common::result<std::shared_ptr<const web_assets>> load(const std::filesystem::path& root);

  // The answer for a request that is the pages'; nullopt for one that is not (the API's).
  std::optional<http_response> handle(const http_request& request) const;

  std::size_t file_count() const { return files_.size(); }
  std::size_t byte_count() const { return bytes_; }

  // Where a server finds the pages when its config names no directory: beside the executable,
  // in the build tree (bin/../web) or an installation (bin/../share/hoistway/web).
  static std::optional<std::filesystem::path> default_root();

 private:
  struct file {
    std::string content_type;
    std::string body;
    std::optional<std::string> gzip;  // the .gz beside it, if the build wrote one
    std::string etag;                 // quoted
  };
  const file* find(const std::string& path) const;

  std::map<std::string, file, std::less<>> files_;  // by URL path: "/index.html", "/assets/…"
  std::size_t bytes_ = 0;
};

// Adds the headers every answer carries (see above). `tls`: the request came over HTTPS.
void security_headers(http_response& response, bool tls = false);

}  // namespace hoistway::cloud
