#pragma once

// What every API handler of `gantry server` shares: the store, the secret box, the clock,
// the configuration, authentication of a request, role checks, JSON body validation and
// JSON shapes (DTOs) of the store's records.

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "server/crypto.h"
#include "server/http.h"
#include "server/rate_limiter.h"
#include "store/store.h"

namespace gantry::queue {
class Notifier;
}  // namespace gantry::queue

namespace gantry::server {

class Scheduler;
class GitMirrors;
class JobGraphs;

/// Settings handlers read (ServerConfig fills them).
struct ApiConfig {
  std::string base_url;  // "http://127.0.0.1:8080" (external URL for webhook_url, html links)
  std::string data_dir;
  std::string storage_dir;  // artifacts and caches (shared by replicas)
  bool signup_open = true;
  int64_t session_ttl_ms = int64_t{30} * 24 * 3600 * 1000;
};

/// Everything a handler may use. Owned by ServerApp; outlives every request.
struct ApiContext {
  store::Store* store = nullptr;
  crypto::SecretBox* box = nullptr;
  Scheduler* scheduler = nullptr;
  queue::Notifier* notifier = nullptr;
  GitMirrors* mirrors = nullptr;
  JobGraphs* graphs = nullptr;  // the needs graphs of runs' workflows (GET /api/v1/runs/{id})
  AttemptLimiter* login_by_user = nullptr;
  AttemptLimiter* login_by_address = nullptr;
  ApiConfig config;
  std::function<int64_t()> now_ms;  // Unix ms
};

/// The authenticated caller of a request.
struct Principal {
  store::User user;
  store::Token token;
  bool by_cookie = false;  // authenticated by the gantry_session cookie, not Authorization
};

/// Authenticates `Authorization: Bearer T` / `token T` (or the gantry_session cookie);
/// nullopt when absent, unknown or expired.
std::optional<Principal> Authenticate(ApiContext& ctx, const Request& request);

/// The header a browser's state-changing request authenticated by the session cookie must
/// carry (any value; the web UI sends "web"). Another site can make a browser send the cookie
/// but not this header (it would need a CORS preflight, which this server never grants).
inline constexpr std::string_view kClientHeader = "X-Gantry-Client";

/// True for GET, HEAD and OPTIONS, which change nothing.
bool IsSafeMethod(std::string_view method);

/// Cross-site request forgery check of an authenticated request: 403 `csrf` for a
/// state-changing request authenticated by the session cookie without kClientHeader.
std::optional<Response> CheckCsrf(const Request& request, const Principal& who);

/// Cross-origin check of every state-changing request (login and sign-up included): 403 `csrf`
/// when an Origin header is present and its host[:port] is neither the request's Host nor the
/// host of `external_url` (may be ""). Installed as the router's guard.
std::optional<Response> CheckOrigin(const Request& request, std::string_view external_url);

/// Role ranks: viewer < developer < maintainer < owner. Unknown roles rank below viewer.
int RoleRank(std::string_view role);
bool IsRole(std::string_view role);

/// A project the caller may act on with at least `min_role`, or the error response: 404 when
/// the caller may not read it (a user never learns it exists), 403 when they may read it but
/// lack the role. Admins have every role.
struct ProjectAccess {
  store::Project project;
  std::string role;
};
std::optional<Response> RequireProject(ApiContext& ctx, const Principal& who,
                                       const std::string& owner, const std::string& name,
                                       std::string_view min_role, ProjectAccess* out);
/// Same, by project id (for /runs/{id}, /jobs/{id}).
std::optional<Response> RequireProjectId(ApiContext& ctx, const Principal& who, store::Id id,
                                         std::string_view min_role, ProjectAccess* out);

/// A JSON body field's expected type.
enum class FieldType { kString, kBool, kInt, kObject, kArray, kAny };
struct FieldSpec {
  const char* name;
  FieldType type;
  bool required = false;
};

/// Parses the request body as a JSON object with only `fields`: 400 invalid_json for
/// malformed JSON or a non-object, 400 unknown_field / invalid_type naming the field,
/// 422 missing_field for a required one. An empty body is `{}`.
std::optional<Response> ParseBody(const Request& request, std::initializer_list<FieldSpec> fields,
                                  nlohmann::json* out);

/// A store failure as a response: NotFound → 404, AlreadyExists → 409, InvalidArgument → 422,
/// PermissionDenied → 403, others → 500 (logged).
Response StoreError(const core::Status& status);

/// 401 with a message saying how to authenticate.
Response Unauthenticated();

/// A handler that requires a signed-in caller (and passes CheckCsrf and CheckScopes).
using AuthedHandler = std::function<Response(Request&, const Principal&)>;
Handler Authed(ApiContext& ctx, AuthedHandler handler);

/// Personal access token scopes: none = the user's full rights; "repo" or "admin" = every
/// request; "workflow" = reads plus dispatch, cancel and re-run; "read" = GET only. A 403
/// naming the scopes otherwise.
std::optional<Response> CheckScopes(const Principal& who, const Request& request);

/// Parses a positive integer path parameter; nullopt when it is not one.
std::optional<store::Id> ParseId(std::string_view text);

/// RFC 3339 UTC ("2026-12-05T21:53:39Z") of Unix ms; "" for 0 (null in JSON shapes).
std::string Rfc3339(int64_t ms);
/// null for 0, else the RFC 3339 string.
nlohmann::json TimeJson(int64_t ms);

/// JSON text of `j` (invalid UTF-8 replaced, never throws).
std::string Dump(const nlohmann::json& j);

}  // namespace gantry::server
