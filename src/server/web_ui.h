#pragma once

// The browser UI (web/, built to web/dist) served by `gantry server` on its own port: the
// files of one directory, read into memory once and gzip-compressed once, answered with
// caching validators, immutable caching for hashed assets, the single-page app's index.html
// for every other path that is not the API's, and a strict Content-Security-Policy.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "server/http.h"

namespace gantry::server {

/// The Content-Security-Policy of every UI response: only this origin's scripts, styles,
/// images (and data: images), connections and fonts; no plugins, no framing, no <base>.
inline constexpr std::string_view kUiContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

/// Adds the CSP, nosniff, Referrer-Policy and X-Frame-Options headers of UI responses.
void AddUiSecurityHeaders(Response& response);

/// True for paths the API owns, which never get the UI: /api and below, /health, /ready,
/// /metrics.
bool IsApiPath(std::string_view path);

/// The Content-Type for a file name's extension ("application/octet-stream" when unknown).
std::string_view ContentTypeFor(std::string_view file_name);

/// Whether an Accept-Encoding header value accepts gzip (a `gzip` or `*` coding whose q is
/// not 0).
bool AcceptsGzip(std::string_view accept_encoding);

/// gzip of `data` (RFC 1952) at the best compression.
std::string Gzip(std::string_view data);

/// The UI's files. Thread-safe: the files are read on the first request (so an idle server
/// that nobody browses holds none of them) and never change afterwards.
class WebUi {
 public:
  /// Serves the files under `dir`; "" (or a directory without index.html) serves a page saying
  /// the UI is not built.
  explicit WebUi(std::string dir);

  /// The first of `candidates` holding an index.html, or "".
  static std::string FindDir(const std::vector<std::string>& candidates);

  /// Answers a GET or HEAD of `request.path`: the file; 404 (JSON) for API paths and missing
  /// /assets/ files; index.html for any other path. With ETag / If-None-Match (304) and gzip
  /// when the request accepts it.
  Response Serve(const Request& request);

  /// Files loaded (after the first Serve); for tests.
  size_t file_count();

 private:
  struct File {
    std::string content_type;
    std::string body;
    std::string gzip;  // empty when compressing does not pay
    std::string etag;  // quoted, of the uncompressed body
  };
  void Load();
  Response Answer(const Request& request, const File& file, std::string_view cache_control) const;

  std::string dir_;
  std::once_flag loaded_;
  std::map<std::string, File, std::less<>> files_;  // path under dir_ ("assets/x.js")
};

}  // namespace gantry::server
