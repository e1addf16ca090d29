// /api/v1/auth/* and /api/v1/user*: sign-up, log-in (rate-limited per account and per
// address), log-out, the current user, personal access tokens.

#include "server/auth_api.h"

#include <cctype>

namespace gantry::server {
namespace {

nlohmann::json UserJson(const store::User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"email", u.email},
          {"is_admin", u.is_admin},
          {"created_at", TimeJson(u.created_at)}};
}

nlohmann::json TokenJson(const store::Token& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"scopes", t.scopes},
          {"expires_at", TimeJson(t.expires_at)},
          {"created_at", TimeJson(t.created_at)},
          {"last_used_at", TimeJson(t.last_used_at)}};
}

std::optional<Response> CheckUsername(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 39 && std::isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
  }
  if (ok) return std::nullopt;
  return Response::Error(422, "invalid",
                         "username must be 1-39 letters, digits, '-' or '_', starting with a "
                         "letter or digit",
                         "username");
}

Response Signup(ApiContext& ctx, Request& request) {
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"username", FieldType::kString, true},
                          {"password", FieldType::kString, true},
                          {"email", FieldType::kString, false}},
                         &body)) {
    return *e;
  }
  std::string username = body["username"];
  std::string password = body["password"];
  std::string email = body.value("email", "");
  if (auto e = CheckUsername(username)) return *e;
  if (password.size() < 8) {
    return Response::Error(422, "invalid", "password must have at least 8 characters", "password");
  }
  if (password.size() > 1024) {
    return Response::Error(422, "invalid", "password must have at most 1024 characters",
                           "password");
  }
  if (!email.empty() && email.find('@') == std::string::npos) {
    return Response::Error(422, "invalid", "email must contain '@'", "email");
  }
  if (!ctx.config.signup_open) {
    auto n = ctx.store->CountUsers();
    if (!n.ok()) return StoreError(n.status());
    // A closed server still lets the first user (its admin) sign up.
    if (n.value() > 0) {
      return Response::Error(403, "signup_closed",
                             "sign-up is closed on this server (--signup=closed): ask an admin");
    }
  }
  auto hash = crypto::HashPassword(password);
  if (!hash.ok()) return StoreError(hash.status());
  store::User u;
  u.username = username;
  u.email = email;
  u.password_hash = hash.value();
  u.created_at = ctx.now_ms();
  auto created = ctx.store->CreateUser(u);
  if (!created.ok()) {
    if (created.status().code() == core::StatusCode::kAlreadyExists) {
      return Response::Error(409, "already_exists", "username '" + username + "' is taken",
                             "username");
    }
    return StoreError(created.status());
  }
  (void)ctx.store->Audit({0, created.value().id, 0, "user.signup", username, "{}", ctx.now_ms()});
  return Response::Json(201, Dump({{"user", UserJson(created.value())}}));
}

Response Login(ApiContext& ctx, Request& request) {
  nlohmann::json body;
  if (auto e = ParseBody(
          request, {{"username", FieldType::kString, true}, {"password", FieldType::kString, true}},
          &body)) {
    return *e;
  }
  std::string username = body["username"];
  std::string password = body["password"];
  std::string user_key = "user:" + username;
  std::string address_key = "addr:" + request.remote_address;
  if (!ctx.login_by_user->Allow(user_key) || !ctx.login_by_address->Allow(address_key)) {
    int64_t wait = std::max(ctx.login_by_user->RetryAfterMs(user_key),
                            ctx.login_by_address->RetryAfterMs(address_key));
    Response r = Response::Error(
        429, "rate_limited",
        "too many login attempts: try again in " + std::to_string((wait + 999) / 1000) + " s");
    r.headers.emplace_back("Retry-After", std::to_string((wait + 999) / 1000));
    return r;
  }
  auto user = ctx.store->GetUserByName(username);
  // Verify against a dummy hash for unknown users too, so timing does not tell who exists.
  static const std::string kDummy = crypto::HashPassword("not a real password").value();
  bool ok = crypto::VerifyPassword(user.ok() ? user.value().password_hash : kDummy, password);
  if (!user.ok() || !ok) {
    return Response::Error(401, "invalid_credentials", "wrong username or password");
  }
  ctx.login_by_user->Reset(user_key);
  std::string token = crypto::RandomToken("gns_");
  store::Token t;
  t.user_id = user.value().id;
  t.kind = "session";
  t.name = "login from " + request.remote_address;
  t.hash = crypto::Sha256Hex(token);
  t.created_at = ctx.now_ms();
  t.expires_at = t.created_at + ctx.config.session_ttl_ms;
  auto stored = ctx.store->CreateToken(t);
  if (!stored.ok()) return StoreError(stored.status());
  Response r = Response::Json(200, Dump({{"token", token},
                                         {"expires_at", TimeJson(t.expires_at)},
                                         {"user", UserJson(user.value())}}));
  r.headers.emplace_back("Set-Cookie", "gantry_session=" + token +
                                           "; Path=/; HttpOnly; SameSite=Lax" +
                                           (request.tls ? "; Secure" : ""));
  return r;
}

Response CreatePat(ApiContext& ctx, Request& request, const Principal& who) {
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"name", FieldType::kString, true},
                          {"scopes", FieldType::kArray, false},
                          {"expires_in_days", FieldType::kInt, false}},
                         &body)) {
    return *e;
  }
  std::string scopes;
  for (const auto& s : body.value("scopes", nlohmann::json::array())) {
    if (!s.is_string()) {
      return Response::Error(400, "invalid_type", "field 'scopes' must be an array of strings",
                             "scopes");
    }
    std::string scope = s;
    if (scope != "repo" && scope != "workflow" && scope != "read" && scope != "admin") {
      return Response::Error(422, "invalid",
                             "unknown scope '" + scope + "' (known: read, repo, workflow, admin)",
                             "scopes");
    }
    scopes += (scopes.empty() ? "" : ",") + scope;
  }
  int64_t days = body.value("expires_in_days", int64_t{0});
  if (days < 0 || days > 3650) {
    return Response::Error(422, "invalid", "expires_in_days must be between 0 (never) and 3650",
                           "expires_in_days");
  }
  std::string token = crypto::RandomToken("gnt_");
  store::Token t;
  t.user_id = who.user.id;
  t.kind = "pat";
  t.name = body["name"];
  t.scopes = scopes;
  t.hash = crypto::Sha256Hex(token);
  t.created_at = ctx.now_ms();
  t.expires_at = days == 0 ? 0 : t.created_at + days * 86400 * 1000;
  auto stored = ctx.store->CreateToken(t);
  if (!stored.ok()) return StoreError(stored.status());
  nlohmann::json j = TokenJson(stored.value());
  j["token"] = token;
  return Response::Json(201, Dump(j));
}

}  // namespace

void AddAuthRoutes(Router& router, ApiContext& ctx) {
  router.Add("POST", "/api/v1/auth/signup", [&ctx](Request& r) { return Signup(ctx, r); });
  router.Add("POST", "/api/v1/auth/login", [&ctx](Request& r) { return Login(ctx, r); });
  router.Add("POST", "/api/v1/auth/logout", Authed(ctx, [&ctx](Request&, const Principal& who) {
               auto s = ctx.store->DeleteTokenByHash(who.token.hash);
               if (!s.ok()) return StoreError(s);
               Response r = Response::NoContent();
               r.headers.emplace_back("Set-Cookie", "gantry_session=; Path=/; Max-Age=0");
               return r;
             }));
  router.Add("GET", "/api/v1/user", Authed(ctx, [](Request&, const Principal& who) {
               return Response::Json(200, Dump(UserJson(who.user)));
             }));
  router.Add("GET", "/api/v1/user/tokens", Authed(ctx, [&ctx](Request&, const Principal& who) {
               auto tokens = ctx.store->ListTokens(who.user.id, "pat");
               if (!tokens.ok()) return StoreError(tokens.status());
               nlohmann::json list = nlohmann::json::array();
               for (const auto& t : tokens.value()) list.push_back(TokenJson(t));
               return Response::Json(200, Dump({{"tokens", list}}));
             }));
  router.Add("POST", "/api/v1/user/tokens", Authed(ctx, [&ctx](Request& r, const Principal& who) {
               return CreatePat(ctx, r, who);
             }));
  router.Add("DELETE", "/api/v1/user/tokens/{id}",
             Authed(ctx, [&ctx](Request& r, const Principal& who) {
               auto id = ParseId(r.Param("id"));
               if (!id) return Response::Error(404, "not_found", "no such token");
               auto s = ctx.store->DeleteToken(who.user.id, *id);
               if (!s.ok()) return StoreError(s);
               return Response::NoContent();
             }));
}

}  // namespace gantry::server
