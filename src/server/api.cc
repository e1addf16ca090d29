#include "server/api.h"

#include <charconv>
#include <ctime>
#include <iostream>

#include "core/strings.h"

namespace gantry::server {
namespace {

// The token of `Authorization: Bearer T` / `token T`, or of the gantry_session cookie
// (then `*by_cookie` is set).
std::string RequestToken(const Request& request, bool* by_cookie) {
  std::string auth = request.Header("authorization");
  for (std::string_view scheme : {"Bearer ", "bearer ", "token ", "Token "}) {
    if (auth.rfind(scheme, 0) == 0) return auth.substr(scheme.size());
  }
  *by_cookie = true;
  std::string cookies = request.Header("cookie");
  std::string_view c = cookies;
  while (!c.empty()) {
    size_t end = c.find(';');
    std::string_view part = c.substr(0, end);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.rfind("gantry_session=", 0) == 0) return std::string(part.substr(15));
    if (end == std::string_view::npos) break;
    c.remove_prefix(end + 1);
  }
  return "";
}

const char* TypeName(FieldType t) {
  switch (t) {
    case FieldType::kString:
      return "a string";
    case FieldType::kBool:
      return "a boolean";
    case FieldType::kInt:
      return "an integer";
    case FieldType::kObject:
      return "an object";
    case FieldType::kArray:
      return "an array";
    case FieldType::kAny:
      return "a value";
  }
  return "a value";
}

bool HasType(const nlohmann::json& v, FieldType t) {
  switch (t) {
    case FieldType::kString:
      return v.is_string();
    case FieldType::kBool:
      return v.is_boolean();
    case FieldType::kInt:
      return v.is_number_integer();
    case FieldType::kObject:
      return v.is_object();
    case FieldType::kArray:
      return v.is_array();
    case FieldType::kAny:
      return true;
  }
  return false;
}

std::optional<Response> Access(ApiContext& ctx, const Principal& who, store::Project project,
                               std::string_view min_role, ProjectAccess* out) {
  std::string role;
  if (who.user.is_admin) {
    role = "owner";
  } else {
    auto r = ctx.store->MemberRole(project.id, who.user.id);
    if (!r.ok()) return StoreError(r.status());
    role = r.value();
  }
  std::string full = project.owner + "/" + project.name;
  if (role.empty()) {
    return Response::Error(404, "not_found", "project '" + full + "' not found");
  }
  if (RoleRank(role) < RoleRank(min_role)) {
    return Response::Error(
        403, "forbidden",
        "this needs the " + std::string(min_role) + " role on '" + full + "'; you are " + role);
  }
  if (out != nullptr) *out = ProjectAccess{std::move(project), role};
  return std::nullopt;
}

}  // namespace

std::optional<Principal> Authenticate(ApiContext& ctx, const Request& request) {
  bool by_cookie = false;
  std::string token = RequestToken(request, &by_cookie);
  if (token.empty()) return std::nullopt;
  auto t = ctx.store->FindToken(crypto::Sha256Hex(token), ctx.now_ms());
  if (!t.ok()) return std::nullopt;
  auto u = ctx.store->GetUser(t.value().user_id);
  if (!u.ok()) return std::nullopt;
  return Principal{std::move(u).value(), std::move(t).value(), by_cookie};
}

bool IsSafeMethod(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

std::optional<Response> CheckCsrf(const Request& request, const Principal& who) {
  if (!who.by_cookie || IsSafeMethod(request.method)) return std::nullopt;
  if (!request.Header(kClientHeader).empty()) return std::nullopt;
  return Response::Error(
      403, "csrf",
      "a request signed in by the session cookie that changes something must carry the header '" +
          std::string(kClientHeader) +
          "' (the web UI sends it); scripts should send a token in 'Authorization: Bearer "
          "<token>' instead of the cookie");
}

std::optional<Response> CheckOrigin(const Request& request, std::string_view external_url) {
  if (IsSafeMethod(request.method)) return std::nullopt;
  std::string origin = request.Header("origin");
  if (origin.empty()) return std::nullopt;
  // "scheme://host[:port]" → "host[:port]", without the scheme's default port.
  auto authority = [](std::string_view url) {
    size_t scheme_end = url.find("://");
    std::string_view scheme = scheme_end == std::string_view::npos ? "" : url.substr(0, scheme_end);
    if (scheme_end != std::string_view::npos) url.remove_prefix(scheme_end + 3);
    url = url.substr(0, url.find('/'));
    std::string host = core::AsciiLower(url);
    std::string_view default_port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
    if (!default_port.empty() && host.size() > default_port.size() &&
        host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0) {
      host.resize(host.size() - default_port.size());
    }
    return host;
  };
  std::string from = authority(origin);
  std::string scheme = request.tls ? "https://" : "http://";
  if (!from.empty() && origin != "null") {
    if (from == authority(scheme + request.Header("host"))) return std::nullopt;
    if (!external_url.empty() && from == authority(external_url)) return std::nullopt;
  }
  return Response::Error(403, "csrf",
                         "cross-origin request refused: Origin '" + origin +
                             "' is not this server's (Host '" + request.Header("host") +
                             "'); use the server's own URL or a token in 'Authorization'");
}

int RoleRank(std::string_view role) {
  if (role == "viewer") return 1;
  if (role == "developer") return 2;
  if (role == "maintainer") return 3;
  if (role == "owner") return 4;
  return 0;
}

bool IsRole(std::string_view role) { return RoleRank(role) > 0; }

std::optional<Response> RequireProject(ApiContext& ctx, const Principal& who,
                                       const std::string& owner, const std::string& name,
                                       std::string_view min_role, ProjectAccess* out) {
  auto p = ctx.store->GetProjectByName(owner, name);
  if (!p.ok()) {
    if (p.status().code() == core::StatusCode::kNotFound) {
      return Response::Error(404, "not_found", "project '" + owner + "/" + name + "' not found");
    }
    return StoreError(p.status());
  }
  return Access(ctx, who, std::move(p).value(), min_role, out);
}

std::optional<Response> RequireProjectId(ApiContext& ctx, const Principal& who, store::Id id,
                                         std::string_view min_role, ProjectAccess* out) {
  auto p = ctx.store->GetProject(id);
  if (!p.ok()) return StoreError(p.status());
  return Access(ctx, who, std::move(p).value(), min_role, out);
}

std::optional<Response> ParseBody(const Request& request, std::initializer_list<FieldSpec> fields,
                                  nlohmann::json* out) {
  nlohmann::json j = nlohmann::json::object();
  bool blank = request.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (!blank) {
    j = nlohmann::json::parse(request.body, nullptr, false);
    if (j.is_discarded()) {
      return Response::Error(400, "invalid_json", "the request body is not valid JSON");
    }
    if (!j.is_object()) {
      return Response::Error(400, "invalid_json", "the request body must be a JSON object");
    }
  }
  for (const auto& [key, value] : j.items()) {
    const FieldSpec* spec = nullptr;
    for (const FieldSpec& f : fields) {
      if (key == f.name) spec = &f;
    }
    if (spec == nullptr) {
      std::string known;
      for (const FieldSpec& f : fields) known += std::string(known.empty() ? "" : ", ") + f.name;
      return Response::Error(400, "unknown_field",
                             "unknown field '" + key + "' (known: " + known + ")", key);
    }
    if (!HasType(value, spec->type) && !(value.is_null() && !spec->required)) {
      return Response::Error(400, "invalid_type",
                             "field '" + key + "' must be " + TypeName(spec->type), key);
    }
  }
  for (const FieldSpec& f : fields) {
    if (f.required && (!j.contains(f.name) || j[f.name].is_null())) {
      return Response::Error(422, "missing_field",
                             std::string("field '") + f.name + "' is required", f.name);
    }
  }
  *out = std::move(j);
  return std::nullopt;
}

Response StoreError(const core::Status& status) {
  switch (status.code()) {
    case core::StatusCode::kNotFound:
      return Response::Error(404, "not_found", status.message());
    case core::StatusCode::kAlreadyExists:
      return Response::Error(409, "already_exists", status.message());
    case core::StatusCode::kInvalidArgument:
      return Response::Error(422, "invalid", status.message());
    case core::StatusCode::kPermissionDenied:
      return Response::Error(403, "forbidden", status.message());
    case core::StatusCode::kUnavailable:
      return Response::Error(503, "unavailable", status.message());
    default:
      std::cerr << "gantry server: internal error: " << status.message() << "\n";
      return Response::Error(500, "internal", "internal error: " + status.message());
  }
}

Response Unauthenticated() {
  return Response::Error(401, "unauthenticated",
                         "sign in first: send 'Authorization: Bearer <token>' with a token from "
                         "POST /api/v1/auth/login or a personal access token");
}

Handler Authed(ApiContext& ctx, AuthedHandler handler) {
  return [&ctx, handler = std::move(handler)](Request& request) {
    auto who = Authenticate(ctx, request);
    if (!who) return Unauthenticated();
    if (auto denied = CheckCsrf(request, *who)) return *denied;
    if (auto denied = CheckScopes(*who, request)) return *denied;
    return handler(request, *who);
  };
}

std::optional<Response> CheckScopes(const Principal& who, const Request& request) {
  const std::string& scopes = who.token.scopes;
  if (who.token.kind != "pat" || scopes.empty()) return std::nullopt;
  auto has = [&scopes](std::string_view s) {
    size_t pos = 0;
    while (pos <= scopes.size()) {
      size_t comma = scopes.find(',', pos);
      if (comma == std::string::npos) comma = scopes.size();
      if (std::string_view(scopes).substr(pos, comma - pos) == s) return true;
      pos = comma + 1;
    }
    return false;
  };
  // The GraphQL endpoint answers queries only (github_graphql.cc).
  bool read_only =
      request.method == "GET" || request.method == "HEAD" || request.path == "/api/graphql";
  if (has("admin") || has("repo") || read_only) return std::nullopt;
  // "workflow" may start, cancel and re-run runs; "read" may only read.
  bool run_control = request.path.find("/dispatches") != std::string::npos ||
                     request.path.rfind("/api/v1/runs/", 0) == 0 ||
                     (request.path.rfind("/api/v3/repos/", 0) == 0 &&
                      request.path.find("/actions/") != std::string::npos);
  if (has("workflow") && run_control) return std::nullopt;
  return Response::Error(403, "insufficient_scope",
                         "this token's scopes (" + scopes +
                             ") do not allow this request: use a token with the repo scope");
}

std::optional<store::Id> ParseId(std::string_view text) {
  store::Id id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

std::string Rfc3339(int64_t ms) {
  if (ms == 0) return "";
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

nlohmann::json TimeJson(int64_t ms) {
  if (ms == 0) return nullptr;
  return Rfc3339(ms);
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace gantry::server
