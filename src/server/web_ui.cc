#include "server/web_ui.h"

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/strings.h"
#include "server/crypto.h"

namespace gantry::server {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kImmutable = "public, max-age=31536000, immutable";
constexpr std::string_view kNoCache = "no-cache";
// A file larger than this is not served (the whole UI is a few hundred KB).
constexpr uintmax_t kMaxFileBytes = uintmax_t{32} << 20;

const char kNotBuiltPage[] = R"(<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Gantry</title></head>
<body>
<h1>Gantry</h1>
<p>The web UI is not built. Run <code>make web</code> in Gantry's source directory (it needs
npm), or point <code>--web-dir</code> at a built UI, and restart the server.</p>
<p>The API is at <code>/api/v1/</code>; see docs/server.md.</p>
</body>
</html>
)";

bool Compressible(std::string_view content_type) {
  return content_type.rfind("text/", 0) == 0 ||
         content_type.find("javascript") != std::string::npos ||
         content_type.find("json") != std::string::npos ||
         content_type.find("svg") != std::string::npos ||
         content_type.find("wasm") != std::string::npos;
}

// The entity-tags of an If-None-Match header value match `etag` (weak comparison).
bool NoneMatch(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view tag = core::TrimSpace(header.substr(0, comma));
    if (tag == "*") return true;
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);
    if (tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

void AddUiSecurityHeaders(Response& response) {
  response.headers.emplace_back("Content-Security-Policy", std::string(kUiContentSecurityPolicy));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "same-origin");
  response.headers.emplace_back("X-Frame-Options", "DENY");
}

bool IsApiPath(std::string_view path) {
  for (std::string_view exact : {"/api", "/health", "/ready", "/metrics"}) {
    if (path == exact) return true;
  }
  return path.rfind("/api/", 0) == 0;
}

std::string_view ContentTypeFor(std::string_view file_name) {
  static const std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  size_t dot = file_name.rfind('.');
  size_t slash = file_name.rfind('/');
  if (dot != std::string_view::npos && (slash == std::string_view::npos || dot > slash)) {
    std::string ext = core::AsciiLower(file_name.substr(dot));
    for (const auto& [suffix, type] : kTypes) {
      if (ext == suffix) return type;
    }
  }
  return "application/octet-stream";
}

bool AcceptsGzip(std::string_view accept_encoding) {
  std::string header = core::AsciiLower(accept_encoding);
  std::string_view rest = header;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = core::TrimSpace(rest.substr(0, comma));
    size_t semi = item.find(';');
    std::string_view coding = core::TrimSpace(item.substr(0, semi));
    if (coding == "gzip" || coding == "x-gzip" || coding == "*") {
      bool refused = false;
      if (semi != std::string_view::npos) {
        std::string_view params = item.substr(semi + 1);
        size_t q = params.find("q=");
        if (q != std::string_view::npos) {
          std::string_view value = core::TrimSpace(params.substr(q + 2));
          // q=0, q=0.0, q=0.00…: refused.
          refused = !value.empty() && value.find_first_not_of("0.") == std::string_view::npos;
        }
      }
      if (!refused) return true;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

std::string Gzip(std::string_view data) {
  z_stream z{};
  // 16 + MAX_WBITS: a gzip header and trailer, as Content-Encoding: gzip needs.
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    std::cerr << "gantry server: fatal: zlib's deflateInit2 failed\n";
    std::abort();
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    std::cerr << "gantry server: fatal: zlib's deflate failed (" << rc << ")\n";
    std::abort();
  }
  return out;
}

WebUi::WebUi(std::string dir) : dir_(std::move(dir)) {}

std::string WebUi::FindDir(const std::vector<std::string>& candidates) {
  for (const std::string& dir : candidates) {
    std::error_code ec;
    if (!dir.empty() && fs::is_regular_file(fs::path(dir) / "index.html", ec)) return dir;
  }
  return "";
}

size_t WebUi::file_count() {
  std::call_once(loaded_, [this] { Load(); });
  return files_.size();
}

void WebUi::Load() {
  if (dir_.empty()) return;
  std::error_code ec;
  // Symbolic links are neither followed nor served: only the directory's own files are.
  fs::recursive_directory_iterator it(dir_, fs::directory_options::none, ec);
  if (ec) {
    std::cerr << "gantry server: cannot read the web UI in '" << dir_ << "': " << ec.message()
              << "\n";
    return;
  }
  for (const fs::directory_entry& entry : it) {
    if (!entry.is_regular_file(ec) || entry.is_symlink(ec)) continue;
    if (entry.file_size(ec) > kMaxFileBytes) continue;
    std::string relative = fs::relative(entry.path(), dir_, ec).generic_string();
    if (ec || relative.empty() || relative.rfind("..", 0) == 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) continue;
    File file;
    file.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    file.content_type = ContentTypeFor(relative);
    file.etag = "\"" + crypto::Sha256Hex(file.body).substr(0, 32) + "\"";
    if (Compressible(file.content_type) && file.body.size() > 256) {
      file.gzip = Gzip(file.body);
      if (file.gzip.size() >= file.body.size()) file.gzip.clear();
    }
    files_.emplace(std::move(relative), std::move(file));
  }
}

Response WebUi::Answer(const Request& request, const File& file,
                       std::string_view cache_control) const {
  bool gzip = !file.gzip.empty() && AcceptsGzip(request.Header("accept-encoding"));
  // Each representation has its own strong validator.
  std::string etag = gzip ? file.etag.substr(0, file.etag.size() - 1) + "-gz\"" : file.etag;
  Response response;
  response.content_type = file.content_type;
  AddUiSecurityHeaders(response);
  response.headers.emplace_back("Cache-Control", std::string(cache_control));
  response.headers.emplace_back("ETag", etag);
  if (!file.gzip.empty()) response.headers.emplace_back("Vary", "Accept-Encoding");
  if (std::string inm = request.Header("if-none-match"); !inm.empty() && NoneMatch(inm, etag)) {
    response.status = 304;
    return response;
  }
  if (gzip) {
    response.headers.emplace_back("Content-Encoding", "gzip");
    response.body = file.gzip;
  } else {
    response.body = file.body;
  }
  return response;
}

Response WebUi::Serve(const Request& request) {
  if (IsApiPath(request.path)) {
    return Response::Error(404, "not_found", "no such path: " + request.path);
  }
  std::call_once(loaded_, [this] { Load(); });
  auto index = files_.find("index.html");
  if (index == files_.end()) {
    Response page;
    page.content_type = "text/html; charset=utf-8";
    page.body = kNotBuiltPage;
    AddUiSecurityHeaders(page);
    page.headers.emplace_back("Cache-Control", "no-cache");
    return page;
  }
  std::string_view path = request.path;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  // Only loaded files are ever answered, so no path can reach outside the directory.
  auto file = files_.find(path);
  if (file != files_.end() && file->first != "index.html") {
    bool hashed = path.rfind("assets/", 0) == 0;
    return Answer(request, file->second, hashed ? kImmutable : kNoCache);
  }
  if (path.rfind("assets/", 0) == 0) {
    Response missing = Response::Text(404, "no such file: " + request.path + "\n");
    AddUiSecurityHeaders(missing);
    return missing;
  }
  // Any other path is a page of the single-page app (a deep link): its router draws it.
  return Answer(request, index->second, kNoCache);
}

}  // namespace gantry::server
