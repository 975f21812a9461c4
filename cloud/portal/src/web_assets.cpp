#include "hoistway/cloud/portal/web_assets.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <span>
#include <string_view>
#include <system_error>

#include "hoistway/cloud/portal/api.hpp"
#include "hoistway/common/crypto.hpp"

namespace hoistway::cloud {
namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t max_file_bytes = 8 * 1024 * 1024;
constexpr std::size_t max_files = 1000;

// The pages' script, styles, images and API calls come from this origin only; nothing inline
// (the build writes no inline script or style), no plugins, no framing, forms post here only.
constexpr std::string_view content_security_policy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

std::string content_type_of(const fs::path& path) {
  static const std::array<std::pair<std::string_view, std::string_view>, 12> types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
      {".map", "application/json"},
  }};
  const auto ext = path.extension().string();
  for (const auto& [e, type] : types)
    if (e == ext) return std::string(type);
  return "application/octet-stream";
}

common::result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return common::fail(common::errc::io, "cannot read " + path.string());
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return common::fail(common::errc::io, "cannot read " + path.string());
  return bytes;
}

std::string etag_of(std::string_view body) {
  const auto digest = common::crypto::sha256(
      std::span(reinterpret_cast<const std::uint8_t*>(body.data()), body.size()));
  return "\"" + common::crypto::to_hex(std::span(digest).first(16)) + "\"";
}

// True if Accept-Encoding names gzip (or *) without q=0.
bool accepts_gzip(std::string_view header) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto end = header.find(',', pos);
    if (end == std::string_view::npos) end = header.size();
    auto item = header.substr(pos, end - pos);
    pos = end + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    const auto semi = item.find(';');
    auto name = item.substr(0, semi);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (name != "gzip" && name != "*") continue;
    if (semi == std::string_view::npos) return true;
    auto params = item.substr(semi + 1);
    const auto q = params.find("q=");
    if (q == std::string_view::npos) return true;
    auto value = params.substr(q + 2);
    value = value.substr(0, value.find_first_of(" ;"));
    // q=0, q=0.0, q=0.000: refused; any other weight accepted.
    return value.empty() || value.find_first_not_of("0.") != std::string_view::npos;
  }
  return false;
}

bool is_api_path(std::string_view path) {
  return path.starts_with("/api/") || path == "/api" || path == "/healthz" || path == "/metrics" ||
         path == "/openapi.yaml";
}

}  // namespace

common::result<std::shared_ptr<const web_assets>> web_assets::load(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_regular_file(root / "index.html", ec))
    return common::fail(common::errc::not_found,
                        "no index.html in " + root.string() + " (node web/build.mjs builds it)");
  auto out = std::make_shared<web_assets>();
  std::map<std::string, std::string> gzips;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const auto& entry = *it;
    if (entry.is_symlink(ec)) continue;  // only what the build wrote, nothing it points to
    if (!entry.is_regular_file(ec)) continue;
    if (out->files_.size() + gzips.size() >= 2 * max_files)
      return common::fail(common::errc::invalid_argument, root.string() + " holds too many files");
    if (entry.file_size(ec) > max_file_bytes)
      return common::fail(common::errc::invalid_argument,
                          entry.path().string() + " is too large to serve");
    auto bytes = read_file(entry.path());
    if (!bytes) return std::unexpected(bytes.error());
    auto url = "/" + fs::relative(entry.path(), root, ec).generic_string();
    if (url.ends_with(".gz")) {
      gzips.emplace(url.substr(0, url.size() - 3), std::move(*bytes));
      continue;
    }
    file f;
    f.content_type = content_type_of(entry.path());
    f.etag = etag_of(*bytes);
    out->bytes_ += bytes->size();
    f.body = std::move(*bytes);
    out->files_.emplace(std::move(url), std::move(f));
  }
  if (ec)
    return common::fail(common::errc::io, "cannot list " + root.string() + ": " + ec.message());
  if (out->files_.size() > max_files)
    return common::fail(common::errc::invalid_argument, root.string() + " holds too many files");
  for (auto& [url, gz] : gzips) {
    if (auto it = out->files_.find(url); it != out->files_.end()) it->second.gzip = std::move(gz);
  }
  return std::shared_ptr<const web_assets>(std::move(out));
}

const web_assets::file* web_assets::find(const std::string& path) const {
  const auto it = files_.find(path);
  return it == files_.end() ? nullptr : &it->second;
}

std::optional<http_response> web_assets::handle(const http_request& request) const {
  if (is_api_path(request.path)) return std::nullopt;
  if (request.method != "GET" && request.method != "HEAD") return method_not_allowed("GET, HEAD");

  const auto slash = request.path.rfind('/');
  const bool named_file = request.path.find('.', slash) != std::string::npos;
  const bool immutable = request.path.starts_with("/assets/");
  const file* f = nullptr;
  if (named_file || immutable) {
    // A name with "..", "//" or a "." segment is no file of ours (paths are decoded already).
    if (request.path.find("/.") == std::string::npos &&
        request.path.find("//") == std::string::npos)
      f = find(request.path);
    if (f == nullptr) return problem(404, "Not Found", "no file " + request.path);
  } else {
    f = find("/index.html");
    if (f == nullptr) return problem(404, "Not Found", "the pages are not installed");
  }

  http_response r;
  r.content_type = f->content_type;
  r.headers.emplace_back("ETag", f->etag);
  r.headers.emplace_back("Cache-Control",
                         immutable ? "public, max-age=31536000, immutable" : "no-cache");
  if (f->gzip) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (request.header("if-none-match") == f->etag) {
    r.status = 304;
    return r;
  }
  if (f->gzip && accepts_gzip(request.header("accept-encoding"))) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = *f->gzip;
  } else {
    r.body = f->body;
  }
  return r;
}

std::optional<fs::path> web_assets::default_root() {
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  const auto bin = exe.parent_path();
  for (const auto& candidate : {bin / ".." / "web", bin / ".." / "share" / "hoistway" / "web"}) {
    if (fs::is_regular_file(candidate / "index.html", ec))
      return fs::weakly_canonical(candidate, ec);
  }
  return std::nullopt;
}

void security_headers(http_response& response, bool tls) {
  auto& h = response.headers;
  const auto has = [&h](std::string_view name) {
    for (const auto& [n, v] : h)
      if (n.size() == name.size() &&
          std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          }))
        return true;
    return false;
  };
  if (!has("Content-Security-Policy"))
    h.emplace_back("Content-Security-Policy", std::string(content_security_policy));
  h.emplace_back("X-Content-Type-Options", "nosniff");
  h.emplace_back("Referrer-Policy", "same-origin");
  h.emplace_back("X-Frame-Options", "DENY");
  h.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  h.emplace_back("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  if (tls) h.emplace_back("Strict-Transport-Security", "max-age=31536000");
}

}  // namespace hoistway::cloud
