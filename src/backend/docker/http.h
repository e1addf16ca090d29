#pragma once

// A minimal HTTP/1.1 client over a unix socket (the Docker engine API) or TCP to a base URL
// (the executor protocol); libcurl underneath, opened on the first request.

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::backend::docker {

/// A response: status code and (collected) body.
struct HttpResponse {
  long status = 0;
  std::string body;
  /// The final response's headers in arrival order (names as sent).
  std::vector<std::pair<std::string, std::string>> headers;
  bool ok() const { return status >= 200 && status < 300; }
  /// The value of the first header named `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

/// How a streaming request is driven while it runs.
struct StreamControl {
  /// A descriptor watched until it first becomes readable (e.g. CancelToken::wait_fd());
  /// -1 = none.
  int wake_fd = -1;
  /// Called before the first wait and after every wake-up (data, wake_fd, or the time it
  /// asked for): returns the milliseconds until it wants to be called again (-1 = only on
  /// data or wake_fd), or kAbort to end the transfer (Stream then returns Cancelled).
  std::function<int()> tick;
  /// Called once the response's status line and headers have arrived (before any body), with
  /// the status code; e.g. to start a container once its attach stream is set up.
  std::function<void(long)> on_headers;
  static constexpr int kAbort = -2;
};

/// Sends requests to the HTTP server listening on a unix socket, or to one at a base URL.
/// Thread-safe: each request uses its own connection.
class HttpClient {
 public:
  explicit HttpClient(std::string socket_path);

  /// A client for the server at `base_url` ("http://host:port" or "https://host[/prefix]",
  /// without a trailing '/'): request paths are appended to it.
  static HttpClient ForBaseUrl(std::string base_url);

  /// Sends `method path` with `body` (sent when non-empty or for POST/PUT) and collects the
  /// response. Unavailable when the socket does not answer.
  core::Result<HttpResponse> Send(std::string_view method, const std::string& path,
                                  const std::string& body = "",
                                  std::string_view content_type = "application/json") const;

  /// Like Send, but the body of a 2xx response goes to `sink` as it arrives (the returned
  /// body stays empty); the body of any other response is collected as by Send. `headers` are
  /// extra request headers ("Name: value").
  core::Result<HttpResponse> Stream(std::string_view method, const std::string& path,
                                    const std::string& body, std::string_view content_type,
                                    const std::function<void(std::string_view)>& sink,
                                    const StreamControl& control,
                                    const std::vector<std::string>& headers = {}) const;

  /// The unix socket requests go to ("" for a client made by ForBaseUrl).
  const std::string& socket_path() const { return socket_path_; }

 private:
  std::string socket_path_;
  std::string base_url_ = "http://localhost";
};

/// Percent-encodes `s` for a URL query value or path segment.
std::string UrlEncode(std::string_view s);

}  // namespace gantry::backend::docker
