#pragma once

// The HTTP boundary of the executor (ninja's CommandRunner): the protocol client sends every
// request through a Transport, so tests use a fake one and the agent a Beast one (http://) or a
// libcurl one (https://).

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"

namespace gantry::executor {

/// One request to the server.
struct HttpRequest {
  std::string method = "GET";
  std::string path;  // "/api/v1/executor/lease", with any query string
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  /// The whole exchange must end within this (0 = no limit); e.g. a long-poll's wait + margin.
  std::chrono::milliseconds timeout{0};
};

/// The server's answer.
struct HttpReply {
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// The first header named `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

/// Sends requests. Implementations are thread-safe.
class Transport {
 public:
  virtual ~Transport() = default;
  /// Sends `request` and returns any HTTP answer (a 4xx/5xx is a reply, not an error).
  /// Unavailable when the server cannot be reached or the connection broke, DeadlineExceeded
  /// when `request.timeout` passed, Cancelled when `cancel` (may be nullptr) fired.
  virtual core::Result<HttpReply> Send(const HttpRequest& request,
                                       const backend::CancelToken* cancel) = 0;
};

/// A Transport to the server at `base_url` ("http://127.0.0.1:8080", "https://ci.example"),
/// over libcurl (backend/docker/http.h), opened on the first request. Thread-safe.
std::unique_ptr<Transport> MakeCurlTransport(std::string base_url);

/// A Transport to the server at the http:// `base_url` ("http://127.0.0.1:8080[/prefix]")
/// over Boost.Beast on plain TCP, keeping a few idle connections alive for the next requests;
/// loads no shared library (no libcurl, no TLS). Thread-safe. A malformed URL makes every
/// Send fail with InvalidArgument.
std::unique_ptr<Transport> MakeBeastTransport(std::string base_url);

/// The Transport for `base_url`: Beast for http://, libcurl for anything else (https://).
std::unique_ptr<Transport> MakeTransport(std::string base_url);

}  // namespace gantry::executor
