// The web pages as the ingest serves them: from memory, the app's shell for every page path,
// content-named assets cached for good, gzip when the client takes it, and nothing outside the
// built directory.
#include "hoistway/cloud/portal/web_assets.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "support/require_ok.hpp"
#include "support/temp_dir.hpp"

namespace hc = hoistway::cloud;
using hoistway::testing::temp_dir;

namespace {

hc::http_request request(std::string path, std::string method = "GET") {
  hc::http_request r;
  r.method = std::move(method);
  r.path = path;
  r.target = std::move(path);
  return r;
}

std::string header(const hc::http_response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers)
    if (n == name) return v;
  return {};
}

// A built directory as web/build.mjs writes it.
struct built {
  temp_dir dir{"web-assets"};
  built() {
    std::filesystem::create_directories(dir.path() / "assets");
    dir.write("index.html", "<!doctype html><title>shell</title>");
    dir.write("index.html.gz", "GZ-INDEX");
    dir.write("assets/app-ABC.js", "console.log(1)");
    dir.write("assets/app-ABC.js.gz", "GZ-JS");
    dir.write("favicon.svg", "<svg/>");
  }
  std::shared_ptr<const hc::web_assets> load() {
    auto a = hc::web_assets::load(dir.path());
    REQUIRE_OK(a);
    return *a;
  }
};

}  // namespace

TEST_CASE("web assets: every page path gets the app's shell, never cached for long") {
  built b;
  const auto assets = b.load();
  CHECK(assets->file_count() == 3);
  for (const auto* path :
       {"/", "/portal/overview", "/eservice/reports/R-1", "/portal/units/A%2FB"}) {
    const auto r = assets->handle(request(path));
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "<!doctype html><title>shell</title>");
    CHECK(r->content_type == "text/html; charset=utf-8");
    CHECK(header(*r, "Cache-Control") == "no-cache");
  }
}

TEST_CASE("web assets: the API's paths are not the pages'") {
  built b;
  const auto assets = b.load();
  for (const auto* path : {"/api/v1/units", "/api/", "/healthz", "/metrics", "/openapi.yaml"})
    CHECK_FALSE(assets->handle(request(path)));
}

TEST_CASE(
    "web assets: content-named files are cached for good, a missing file is 404, not the shell") {
  built b;
  const auto assets = b.load();
  const auto js = assets->handle(request("/assets/app-ABC.js"));
  REQUIRE(js);
  CHECK(js->status == 200);
  CHECK(js->body == "console.log(1)");
  CHECK(js->content_type == "text/javascript; charset=utf-8");
  CHECK(header(*js, "Cache-Control") == "public, max-age=31536000, immutable");
  CHECK(header(*js, "Vary") == "Accept-Encoding");

  CHECK(assets->handle(request("/assets/app-OLD.js"))->status == 404);
  CHECK(assets->handle(request("/assets/"))->status == 404);
  CHECK(assets->handle(request("/robots.txt"))->status == 404);
  CHECK(assets->handle(request("/favicon.svg"))->content_type == "image/svg+xml");
}

TEST_CASE("web assets: gzip only for a client that takes it") {
  built b;
  const auto assets = b.load();
  auto r = request("/assets/app-ABC.js");
  CHECK(assets->handle(r)->body == "console.log(1)");
  for (const auto* accepted :
       {"gzip", "br, gzip, deflate", "gzip;q=0.5", "*", "deflate, gzip ;q=1"}) {
    r.headers["accept-encoding"] = accepted;
    const auto a = assets->handle(r);
    CAPTURE(accepted);
    CHECK(a->body == "GZ-JS");
    CHECK(header(*a, "Content-Encoding") == "gzip");
  }
  for (const auto* refused : {"gzip;q=0", "gzip; q=0.000", "br", "identity", "xgzip"}) {
    r.headers["accept-encoding"] = refused;
    const auto a = assets->handle(r);
    CAPTURE(refused);
    CHECK(a->body == "console.log(1)");
    CHECK(header(*a, "Content-Encoding").empty());
  }
  // A file the build wrote no .gz for is sent as it is.
  r = request("/favicon.svg");
  r.headers["accept-encoding"] = "gzip";
  CHECK(assets->handle(r)->body == "<svg/>");
}

TEST_CASE("web assets: If-None-Match with the current ETag answers 304 without a body") {
  built b;
  const auto assets = b.load();
  const auto first = assets->handle(request("/portal/overview"));
  const auto etag = header(*first, "ETag");
  REQUIRE(etag.size() == 34);  // 32 hex digits, quoted
  auto again = request("/portal/overview");
  again.headers["if-none-match"] = etag;
  const auto r = assets->handle(again);
  CHECK(r->status == 304);
  CHECK(r->body.empty());
  again.headers["if-none-match"] = "\"other\"";
  CHECK(assets->handle(again)->status == 200);
}

TEST_CASE("web assets: only GET and HEAD, no path leaves the built directory") {
  built b;
  b.dir.write("../outside.txt", "secret");
  std::filesystem::create_symlink(b.dir.path() / ".." / "outside.txt", b.dir.path() / "link.txt");
  const auto assets = b.load();
  CHECK(assets->handle(request("/", "POST"))->status == 405);
  CHECK(header(*assets->handle(request("/", "DELETE")), "Allow") == "GET, HEAD");
  CHECK(assets->handle(request("/", "HEAD"))->status == 200);
  CHECK(assets->handle(request("/../outside.txt"))->status == 404);
  CHECK(assets->handle(request("/assets/../index.html"))->status == 404);
  CHECK(assets->handle(request("/link.txt"))->status == 404);  // a symlink is not served
  CHECK(assets->handle(request("//favicon.svg"))->status == 404);
  std::filesystem::remove(b.dir.path() / ".." / "outside.txt");
}

TEST_CASE("web assets: a directory without index.html is refused at load, with the reason") {
  temp_dir empty{"web-empty"};
  const auto a = hc::web_assets::load(empty.path());
  REQUIRE_FALSE(a);
  CHECK(a.error().message.find("index.html") != std::string::npos);
}

TEST_CASE("security headers: a strict CSP, no framing, no sniffing, a handler's own CSP stays") {
  hc::http_response r;
  hc::security_headers(r);
  const auto csp = header(r, "Content-Security-Policy");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(header(r, "X-Content-Type-Options") == "nosniff");
  CHECK(header(r, "Referrer-Policy") == "same-origin");
  CHECK(header(r, "Strict-Transport-Security").empty());

  hc::http_response report;
  report.headers.emplace_back("Content-Security-Policy",
                              "default-src 'none'; style-src 'unsafe-inline'");
  hc::security_headers(report, true);
  CHECK(header(report, "Content-Security-Policy") ==
        "default-src 'none'; style-src 'unsafe-inline'");
  CHECK(header(report, "Strict-Transport-Security") == "max-age=31536000");
}
