#pragma once

// The HTTP layer of `gantry server`, free of Boost headers (Beast stays in http_server.cc so
// the rest of the server compiles fast): requests, responses, a router with path parameters,
// streamed responses for server-sent events, and the server itself (HTTP/1.1 keep-alive,
// optional TLS, body size limits, timeouts, graceful shutdown, per-route metrics).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::server {

/// One request, fully read (the body is in memory, at most ServerOptions::max_body_bytes).
struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/v1/runs?status=queued"
  std::string path;    // percent-decoded path without the query: "/api/v1/runs"
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::map<std::string, std::string> params;                 // path parameters of the route
  std::string body;
  std::string remote_address;  // "127.0.0.1"
  bool tls = false;

  /// The first header named `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
  /// The first query parameter named `name`, or nullopt.
  std::optional<std::string> Query(std::string_view name) const;
  /// The path parameter `name` ("" when the route has none).
  const std::string& Param(const std::string& name) const;
};

/// Writes a streamed response body (server-sent events, followed logs) from the thread that
/// produces it. Thread-safe. Bounded: a Write blocks while the client is slower than the
/// producer by more than a few hundred KB, and fails once the client is gone, the write timed
/// out or the server shuts down.
class BodyWriter {
 public:
  virtual ~BodyWriter() = default;
  /// Queues `data` for the client; false when the stream is over (stop producing).
  virtual bool Write(std::string_view data) = 0;
  /// True once the client disconnected or the server is shutting down.
  virtual bool Closed() const = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
  /// When set, the body is produced by this function on a thread of its own after the
  /// headers were sent (chunked transfer encoding); `body` is ignored. It returns when it is
  /// done or when a Write failed.
  std::function<void(BodyWriter&)> stream;

  /// `{"error":{"code":code,"message":message[,"field":field]}}` with `status`.
  static Response Error(int status, std::string_view code, std::string_view message,
                        std::string_view field = {});
  /// A JSON body (already serialized) with `status`.
  static Response Json(int status, std::string body);
  static Response Text(int status, std::string body);
  static Response NoContent();
};

using Handler = std::function<Response(Request&)>;
/// Runs before every matched handler: an answer given here is sent instead of calling it.
using Guard = std::function<std::optional<Response>(const Request&)>;

/// Maps (method, path pattern) to handlers. Patterns are literal segments and `{name}`
/// parameters matching one segment; a last segment `{name...}` matches the rest of the path
/// (slashes included). Literal segments win over parameters. Not thread-safe while routes are
/// added; Find is safe afterwards.
class Router {
 public:
  /// Registers `handler`. A pattern not starting with '/', an empty `{}`, a `{name...}` that is
  /// not last or a duplicate (method, pattern) is a bug and aborts with a message.
  void Add(std::string method, std::string pattern, Handler handler);
  struct Match {
    const Handler* handler = nullptr;
    std::string pattern;  // for metrics labels
    std::map<std::string, std::string> params;
    bool path_matched = false;         // a route matched the path, but not the method (405)
    std::vector<std::string> allowed;  // with path_matched: the path's methods, sorted (Allow)
  };
  /// The most specific route for `path` (already percent-decoded) and `method`; a HEAD
  /// request falls back to the GET route when no HEAD route matches.
  Match Find(std::string_view method, std::string_view path) const;

  /// Answers GET and HEAD requests whose path no route matches (the web UI); Find returns it
  /// with the pattern "fallback". Without one, such requests get the JSON 404.
  void SetFallback(Handler handler) { fallback_ = std::move(handler); }
  /// Checks every request a handler (the fallback included) would answer, e.g. for CSRF.
  void SetGuard(Guard guard) { guard_ = std::move(guard); }
  /// The guard's answer for `request`, nullopt to go on (always without a guard).
  std::optional<Response> Check(const Request& request) const {
    return guard_ ? guard_(request) : std::nullopt;
  }

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
  Handler fallback_;
  Guard guard_;
};

struct ServerOptions {
  /// "host:port"; port 0 picks a free port (see HttpServer::url()).
  std::string listen = "127.0.0.1:8080";
  /// PEM files; both set = HTTPS only.
  std::string tls_cert;
  std::string tls_key;
  /// Requests with a larger body get 413 with a JSON error.
  size_t max_body_bytes = size_t{64} * 1024 * 1024;
  /// Threads that run handlers (blocking store calls happen there); streams get their own.
  int worker_threads = 4;
  /// A connection that sends nothing for this long is closed; a request must arrive whole
  /// within it.
  std::chrono::seconds idle_timeout{60};
};

/// The listening server. Handlers run on worker threads; a handler that throws answers 500
/// with a JSON error (and is a bug). Unknown paths answer 404 (or the router's fallback for
/// GET and HEAD), known paths with another method 405, both as JSON errors. Every response
/// carries `X-Content-Type-Options: nosniff`.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  /// Binds and starts serving `router` (which must outlive the server). Unavailable with the
  /// reason when the address cannot be bound or the TLS files cannot be read.
  static core::Result<std::unique_ptr<HttpServer>> Start(const ServerOptions& options,
                                                         const Router& router);
  /// "http://127.0.0.1:41234" (the bound port), "https://…" with TLS.
  virtual std::string url() const = 0;
  /// Stops accepting, lets requests in flight finish for up to `grace`, ends streams, then
  /// closes every connection. Idempotent.
  virtual void Shutdown(std::chrono::milliseconds grace) = 0;
  /// Prometheus text: gantry_http_requests_total{route,method,code} and
  /// gantry_http_request_duration_seconds histogram per route.
  virtual std::string MetricsText() const = 0;
};

}  // namespace gantry::server
