#include "server/web_ui.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace gantry::server {
namespace {

namespace fs = std::filesystem;

std::string Gunzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
  std::string out(1 << 20, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  inflateEnd(&z);
  return out;
}

std::string HeaderOf(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

Request Get(std::string path, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request r;
  r.method = "GET";
  r.path = std::move(path);
  r.target = r.path;
  r.headers = std::move(headers);
  return r;
}

class WebUiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("gantry-web-ui-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    dir_ = root_ / "dist";
    fs::create_directories(dir_ / "assets");
    Write("index.html", "<!doctype html><script type=module src=/assets/app-1a2b.js></script>");
    js_ = "export const x = 1;\n";
    for (int i = 0; i < 200; ++i) js_ += "console.log('a line that compresses well');\n";
    Write("assets/app-1a2b.js", js_);
    Write("assets/style-9f.css", "body{color:red}");
    Write("favicon.svg", "<svg xmlns='http://www.w3.org/2000/svg'/>");
    std::ofstream(root_ / "secret.txt") << "outside the web dir";
    fs::create_symlink(root_ / "secret.txt", dir_ / "link.txt");
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& path, const std::string& text) {
    std::ofstream(dir_ / path, std::ios::binary) << text;
  }
  fs::path root_, dir_;
  std::string js_;
};

TEST_F(WebUiTest, ServesIndexAtRootWithSecurityHeaders) {
  WebUi ui(dir_.string());
  Response r = ui.Serve(Get("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("app-1a2b.js"), std::string::npos);
  EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"), kUiContentSecurityPolicy);
  EXPECT_EQ(HeaderOf(r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(HeaderOf(r, "Referrer-Policy"), "same-origin");
  EXPECT_EQ(HeaderOf(r, "X-Frame-Options"), "DENY");
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
}

TEST_F(WebUiTest, DeepLinksGetIndexHtml) {
  WebUi ui(dir_.string());
  Response r = ui.Serve(Get("/alice/shop/runs/12/jobs/34"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, ui.Serve(Get("/")).body);
  EXPECT_EQ(HeaderOf(r, "Cache-Control"), "no-cache");
}

TEST_F(WebUiTest, AssetsAreImmutableAndTyped) {
  WebUi ui(dir_.string());
  Response js = ui.Serve(Get("/assets/app-1a2b.js"));
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(js.body, js_);
  EXPECT_EQ(ui.Serve(Get("/assets/style-9f.css")).content_type, "text/css; charset=utf-8");
  Response svg = ui.Serve(Get("/favicon.svg"));
  EXPECT_EQ(svg.content_type, "image/svg+xml");
  EXPECT_EQ(HeaderOf(svg, "Cache-Control"), "no-cache");
  Response missing = ui.Serve(Get("/assets/gone-123.js"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(HeaderOf(missing, "Content-Security-Policy"), kUiContentSecurityPolicy);
}

TEST_F(WebUiTest, GzipWhenAcceptedWithItsOwnEtag) {
  WebUi ui(dir_.string());
  Response plain = ui.Serve(Get("/assets/app-1a2b.js"));
  Response gz = ui.Serve(Get("/assets/app-1a2b.js", {{"accept-encoding", "br, gzip, deflate"}}));
  EXPECT_EQ(HeaderOf(gz, "Content-Encoding"), "gzip");
  EXPECT_EQ(HeaderOf(gz, "Vary"), "Accept-Encoding");
  EXPECT_EQ(HeaderOf(plain, "Vary"), "Accept-Encoding");
  EXPECT_EQ(HeaderOf(plain, "Content-Encoding"), "");
  EXPECT_LT(gz.body.size(), js_.size() / 4);
  EXPECT_EQ(Gunzip(gz.body), js_);
  EXPECT_NE(HeaderOf(gz, "ETag"), HeaderOf(plain, "ETag"));
  Response refused = ui.Serve(Get("/assets/app-1a2b.js", {{"accept-encoding", "gzip;q=0"}}));
  EXPECT_EQ(HeaderOf(refused, "Content-Encoding"), "");
}

TEST_F(WebUiTest, IfNoneMatchAnswers304) {
  WebUi ui(dir_.string());
  Response first = ui.Serve(Get("/assets/app-1a2b.js"));
  std::string etag = HeaderOf(first, "ETag");
  ASSERT_FALSE(etag.empty());
  Response again = ui.Serve(Get("/assets/app-1a2b.js", {{"if-none-match", "\"x\", " + etag}}));
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_EQ(HeaderOf(again, "ETag"), etag);
  EXPECT_EQ(HeaderOf(again, "Content-Security-Policy"), kUiContentSecurityPolicy);
  EXPECT_EQ(ui.Serve(Get("/assets/app-1a2b.js", {{"if-none-match", "\"other\""}})).status, 200);
  // The gzip representation's validator does not match the plain one.
  EXPECT_EQ(
      ui.Serve(Get("/assets/app-1a2b.js", {{"if-none-match", etag}, {"accept-encoding", "gzip"}}))
          .status,
      200);
}

TEST_F(WebUiTest, NoPathReachesOutsideTheDirectory) {
  WebUi ui(dir_.string());
  for (const char* path : {"/../secret.txt", "/assets/../../secret.txt", "/..%2fsecret.txt",
                           "/link.txt", "//etc/passwd", "/assets/../index.html/../../secret.txt"}) {
    Response r = ui.Serve(Get(path));
    EXPECT_EQ(r.body.find("outside the web dir"), std::string::npos) << path;
  }
  Response link = ui.Serve(Get("/link.txt"));
  EXPECT_EQ(link.content_type, "text/html; charset=utf-8");  // the app's page, not the file
  EXPECT_EQ(ui.file_count(), 4u);
}

TEST_F(WebUiTest, ApiPathsKeepJsonNotFound) {
  WebUi ui(dir_.string());
  for (const char* path : {"/api/v1/nope", "/api", "/health", "/metrics", "/ready"}) {
    Response r = ui.Serve(Get(path));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.content_type, "application/json") << path;
  }
  EXPECT_TRUE(IsApiPath("/api/v3/repos"));
  EXPECT_FALSE(IsApiPath("/apiary"));
  EXPECT_FALSE(IsApiPath("/alice/api"));
}

TEST_F(WebUiTest, WithoutABuiltUiExplainsHowToBuildIt) {
  fs::remove(dir_ / "index.html");
  EXPECT_EQ(WebUi::FindDir({(root_ / "nowhere").string(), dir_.string()}), "");
  WebUi ui(WebUi::FindDir({dir_.string()}));
  Response r = ui.Serve(Get("/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("make web"), std::string::npos);
  EXPECT_EQ(HeaderOf(r, "Content-Security-Policy"), kUiContentSecurityPolicy);
}

TEST_F(WebUiTest, FindDirTakesTheFirstBuiltOne) {
  EXPECT_EQ(WebUi::FindDir({"", (root_ / "nowhere").string(), dir_.string()}), dir_.string());
}

TEST(WebUiHelpersTest, AcceptEncodingParsing) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP;q=0.5"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("br, deflate"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000"));
  EXPECT_FALSE(AcceptsGzip("gzipper"));
}

TEST(WebUiHelpersTest, ContentTypes) {
  EXPECT_EQ(ContentTypeFor("a/b.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("x.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("x.map"), "application/json");
  EXPECT_EQ(ContentTypeFor("dir.v2/file"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("noext"), "application/octet-stream");
}

}  // namespace
}  // namespace gantry::server
