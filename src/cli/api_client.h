#pragma once

// The HTTP boundary of the client commands (`gantry auth|project|secret|variable|run|workflow|
// pattern`): they talk to a Gantry server only through its /api/v1 API, over this client.
// Where and as whom comes from flags, GANTRY_URL/GANTRY_TOKEN and ~/.config/gantry/hosts.yml
// (client_config.h). Every failure comes back as one line a user can act on.

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gantry::executor {
class Transport;
}

namespace gantry::cli {

/// The server a client command talks to and the token it sends.
struct ClientTarget {
  std::string url;     // "http://127.0.0.1:8080" or "https://ci.example:8443", no trailing '/'
  std::string token;   // personal access or session token; "" when not logged in
  std::string source;  // where the token came from: "GANTRY_TOKEN", the hosts.yml path, "--token"
};

/// A raw answer (artifact zips, plain-text logs).
struct RawReply {
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

/// The host of a URL ("http://[::1]:8080/x" → "::1", "https://ci.example" → "ci.example").
std::string UrlHost(std::string_view url);
/// Whether `host` is this machine: localhost, 127.0.0.0/8 or ::1.
bool IsLoopbackHost(std::string_view host);

/// Sends requests to one server. Not thread-safe; opens no connection before the first request.
class ApiClient {
 public:
  /// A client for `target`. http:// is accepted only for loopback hosts (127.0.0.0/8, ::1,
  /// localhost); any other plain-HTTP URL makes every request fail with InvalidArgument
  /// ("use https:// for HOST").
  explicit ApiClient(ClientTarget target);
  /// For tests: sends through `transport` instead of one made from the target's URL.
  ApiClient(ClientTarget target, std::unique_ptr<executor::Transport> transport);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  /// GET `path` ("/api/v1/runs/12", with any query string) → the parsed JSON body (null for an
  /// empty body). `what` names the object for a 404 ("run 12", "project acme/web").
  /// Errors (the message is the one line the command prints after "gantry: "):
  ///  - Unavailable: "cannot reach the Gantry server at URL: REASON";
  ///  - Unauthenticated/expired (401): PermissionDenied "not logged in to URL (or the token
  ///    expired): run `gantry auth login --url URL`";
  ///  - 403: PermissionDenied with the server's message;
  ///  - 404: NotFound "WHAT not found on URL";
  ///  - 409: AlreadyExists with the server's message;
  ///  - other 4xx/5xx: InvalidArgument (4xx) or Internal (5xx) with the server's error message
  ///    and the field it names ("name: must not be empty").
  core::Result<nlohmann::json> Get(std::string_view path, std::string_view what);
  /// `method` ("POST", "PUT", "DELETE", "PATCH") with `body` as JSON (nothing when null).
  core::Result<nlohmann::json> Send(std::string_view method, std::string_view path,
                                    const nlohmann::json& body, std::string_view what);
  /// GET returning the raw bytes and headers (same errors as Get).
  core::Result<RawReply> GetRaw(std::string_view path, std::string_view what);

  const ClientTarget& target() const { return target_; }

 private:
  ClientTarget target_;
  std::unique_ptr<executor::Transport> transport_;
};

}  // namespace gantry::cli
