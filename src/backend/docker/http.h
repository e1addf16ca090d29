#pragma once

// A minimal HTTP/1.1 client over a unix socket (libcurl underneath, opened on the first
// request), for the engine API.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::backend::docker {

/// A response: status code and (collected) body.
struct HttpResponse {
  long status = 0;
  std::string body;
  bool ok() const { return status >= 200 && status < 300; }
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

/// Sends requests to the HTTP server listening on a unix socket. Thread-safe: each request
/// uses its own connection.
class HttpClient {
 public:
  explicit HttpClient(std::string socket_path);

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

  const std::string& socket_path() const { return socket_path_; }

 private:
  std::string socket_path_;
};

/// Percent-encodes `s` for a URL query value or path segment.
std::string UrlEncode(std::string_view s);

}  // namespace gantry::backend::docker
