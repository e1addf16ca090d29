#include "server/deliveries_api.h"

#include "queue/notifier.h"
#include "server/deliveries.h"
#include "server/notify.h"

namespace gantry::server {
namespace {

using json = nlohmann::json;

std::optional<Response> Project(ApiContext& ctx, const Request& r, const Principal& who,
                                ProjectAccess* access) {
  return RequireProject(ctx, who, r.Param("owner"), r.Param("name"), "maintainer", access);
}

Response Bad(const std::string& field, const std::string& message) {
  return Response::Error(400, "invalid", message, field);
}

json ForgeJson(const ForgeSettings& f) {
  return {{"kind", f.kind},         {"base_url", f.base_url}, {"repository", f.repository},
          {"statuses", f.statuses}, {"comments", f.comments}, {"token_set", !f.token.empty()}};
}

Response PutForge(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = Project(ctx, request, who, &access)) return *e;
  json body;
  if (auto e = ParseBody(request,
                         {{"kind", FieldType::kString, true},
                          {"base_url", FieldType::kString, false},
                          {"token", FieldType::kString, false},
                          {"repository", FieldType::kString, false},
                          {"statuses", FieldType::kBool, false},
                          {"comments", FieldType::kBool, false}},
                         &body)) {
    return *e;
  }
  ForgeSettings f;
  auto old = LoadForgeSettings(ctx, access.project.id);
  if (old.ok()) f = old.value();
  f.kind = body["kind"];
  if (f.kind != "github" && f.kind != "gitea" && f.kind != "forgejo") {
    return Bad("kind", "kind must be github, gitea or forgejo");
  }
  f.base_url = body.value("base_url", f.base_url);
  if (f.base_url.empty() && f.kind == "github") f.base_url = "https://api.github.com";
  while (!f.base_url.empty() && f.base_url.back() == '/') f.base_url.pop_back();
  if (!notify::ValidHttpUrl(f.base_url)) {
    return Bad("base_url",
               "base_url must be the forge's API URL over http or https, e.g. "
               "https://api.github.com or https://gitea.example.org/api/v1");
  }
  f.token = body.value("token", f.token);
  if (f.token.empty()) return Bad("token", "token is required (a token that may write statuses)");
  f.repository = body.value("repository", f.repository);
  if (f.repository.empty()) f.repository = access.project.owner + "/" + access.project.name;
  size_t slash = f.repository.find('/');
  if (slash == 0 || slash == std::string::npos || slash + 1 == f.repository.size() ||
      f.repository.find('/', slash + 1) != std::string::npos) {
    return Bad("repository", "repository must be owner/repo on the forge");
  }
  f.statuses = body.value("statuses", old.ok() ? f.statuses : true);
  f.comments = body.value("comments", old.ok() ? f.comments : false);
  if (auto s = SaveForgeSettings(ctx, access.project.id, f); !s.ok()) return StoreError(s);
  (void)ctx.store->Audit({0, who.user.id, access.project.id, "project.forge",
                          access.project.owner + "/" + access.project.name,
                          Dump({{"kind", f.kind}, {"base_url", f.base_url}}), ctx.now_ms()});
  return Response::Json(200, Dump(ForgeJson(f)));
}

Response GetForge(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = Project(ctx, request, who, &access)) return *e;
  auto f = LoadForgeSettings(ctx, access.project.id);
  if (!f.ok()) return StoreError(f.status());
  return Response::Json(200, Dump(ForgeJson(f.value())));
}

Response DeleteForge(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = Project(ctx, request, who, &access)) return *e;
  if (auto s = ctx.store->DeleteDeliverySetting("forge", access.project.id); !s.ok()) {
    return StoreError(s);
  }
  return Response::NoContent();
}

// "on" of a notification setting: failure (default), fixed, always (and never for users).
std::optional<Response> CheckOn(const json& parent, const std::string& field, bool allow_never) {
  if (!parent.contains("on")) return std::nullopt;
  const json& on = parent["on"];
  std::optional<notify::On> parsed =
      on.is_string() ? notify::ParseOn(on.get<std::string>()) : std::nullopt;
  if (!parsed || (!allow_never && *parsed == notify::On::kNever)) {
    return Bad(field, std::string("on must be failure, fixed") +
                          (allow_never ? ", always or never" : " or always"));
  }
  return std::nullopt;
}

// Validates the project notification settings; on success `out` is what is stored.
std::optional<Response> CheckNotifications(const json& body, json* out) {
  *out = json::object();
  if (body.contains("email") && !body["email"].is_null()) {
    const json& e = body["email"];
    if (!e.is_object()) return Bad("email", "email must be an object");
    for (const auto& [key, value] : e.items()) {
      if (key != "to" && key != "on" && key != "subject" && key != "body") {
        return Bad("email." + key, "unknown field email." + key);
      }
      if (key != "to" && !value.is_string()) return Bad("email." + key, "must be a string");
    }
    if (!e.contains("to") || !e["to"].is_array()) {
      return Bad("email.to", "email.to must be a list of addresses");
    }
    for (size_t i = 0; i < e["to"].size(); ++i) {
      const json& a = e["to"][i];
      if (!a.is_string() || !notify::ValidEmail(a.get<std::string>())) {
        return Bad("email.to[" + std::to_string(i) + "]", "not a valid e-mail address");
      }
    }
    if (auto bad = CheckOn(e, "email.on", false)) return bad;
    (*out)["email"] = e;
    if (!e.contains("on")) (*out)["email"]["on"] = "failure";
  }
  (*out)["webhooks"] = json::array();
  if (body.contains("webhooks") && !body["webhooks"].is_null()) {
    if (!body["webhooks"].is_array()) return Bad("webhooks", "webhooks must be a list");
    for (size_t i = 0; i < body["webhooks"].size(); ++i) {
      const json& w = body["webhooks"][i];
      std::string at = "webhooks[" + std::to_string(i) + "]";
      if (!w.is_object()) return Bad(at, "must be an object");
      for (const auto& [key, value] : w.items()) {
        if (key != "url" && key != "secret" && key != "format" && key != "on") {
          return Bad(at + "." + key, "unknown field " + key);
        }
        if (!value.is_string()) return Bad(at + "." + key, "must be a string");
      }
      if (!notify::ValidHttpUrl(w.value("url", ""))) {
        return Bad(at + ".url", "url must be an http:// or https:// URL");
      }
      std::string format = w.value("format", "json");
      if (format != "json" && format != "slack") {
        return Bad(at + ".format", "format must be json or slack");
      }
      if (auto bad = CheckOn(w, at + ".on", false)) return bad;
      json stored = {{"url", w["url"]},
                     {"secret", w.value("secret", "")},
                     {"format", format},
                     {"on", w.value("on", "failure")}};
      (*out)["webhooks"].push_back(stored);
    }
  }
  return std::nullopt;
}

// A project's stored notification settings, secrets included; {} when none (or unreadable).
json StoredNotifications(ApiContext& ctx, store::Id project_id) {
  json settings = json::object();
  if (auto sealed = ctx.store->GetDeliverySetting("notifications", project_id); sealed.ok()) {
    if (auto text = ctx.box->Open(sealed.value()); text.ok()) {
      settings = json::parse(text.value(), nullptr, false);
    }
  }
  return settings.is_object() ? settings : json::object();
}

// The settings as answered: webhook secrets replaced by whether one is set.
json NotificationsJson(json settings) {
  if (!settings.contains("email")) settings["email"] = nullptr;
  if (!settings.contains("webhooks")) settings["webhooks"] = json::array();
  for (json& w : settings["webhooks"]) {
    w["secret_set"] = !w.value("secret", "").empty();
    w.erase("secret");
  }
  return settings;
}

Response PutNotifications(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = Project(ctx, request, who, &access)) return *e;
  json body;
  if (auto e = ParseBody(request,
                         {{"email", FieldType::kAny, false}, {"webhooks", FieldType::kAny, false}},
                         &body)) {
    return *e;
  }
  json stored;
  if (auto bad = CheckNotifications(body, &stored)) return *bad;
  // A webhook sent without "secret" keeps the one stored for its URL: the API never answers
  // secrets, so a client editing the list cannot send them back ("secret": "" removes one).
  json previous = StoredNotifications(ctx, access.project.id);
  for (size_t i = 0; i < stored["webhooks"].size(); ++i) {
    const json& sent = body["webhooks"][i];
    json& w = stored["webhooks"][i];
    if (sent.contains("secret")) continue;
    for (const json& old : previous.value("webhooks", json::array())) {
      if (old.is_object() && old.value("url", "") == w.value("url", "")) {
        w["secret"] = old.value("secret", "");
        break;
      }
    }
  }
  if (auto s = ctx.store->PutDeliverySetting("notifications", access.project.id,
                                             ctx.box->Seal(stored.dump()), ctx.now_ms());
      !s.ok()) {
    return StoreError(s);
  }
  return Response::Json(200, Dump(NotificationsJson(stored)));
}

Response GetNotifications(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = Project(ctx, request, who, &access)) return *e;
  return Response::Json(200, Dump(NotificationsJson(StoredNotifications(ctx, access.project.id))));
}

json UserNotifications(ApiContext& ctx, const Principal& who) {
  json out = {{"email", who.user.email}, {"on", "never"}, {"only_own", true}};
  if (auto got = ctx.store->GetDeliverySetting("user_notifications", who.user.id); got.ok()) {
    json j = json::parse(std::string(got->begin(), got->end()), nullptr, false);
    if (j.is_object()) out.update(j);
  }
  return out;
}

Response PutUserNotifications(ApiContext& ctx, Request& request, const Principal& who) {
  json body;
  if (auto e = ParseBody(request,
                         {{"email", FieldType::kString, false},
                          {"on", FieldType::kString, false},
                          {"only_own", FieldType::kBool, false}},
                         &body)) {
    return *e;
  }
  json stored = UserNotifications(ctx, who);
  if (body.contains("email")) {
    std::string email = body["email"];
    if (!email.empty() && !notify::ValidEmail(email)) {
      return Bad("email", "not a valid e-mail address");
    }
    stored["email"] = email.empty() ? who.user.email : email;
  }
  if (auto bad = CheckOn(body, "on", true)) return *bad;
  if (body.contains("on")) stored["on"] = body["on"];
  if (body.contains("only_own")) stored["only_own"] = body["only_own"];
  std::string text = stored.dump();
  if (auto s = ctx.store->PutDeliverySetting("user_notifications", who.user.id,
                                             std::vector<uint8_t>(text.begin(), text.end()),
                                             ctx.now_ms());
      !s.ok()) {
    return StoreError(s);
  }
  return Response::Json(200, Dump(stored));
}

json DeliveryJson(const store::OutboundDelivery& d) {
  return {{"id", d.id},
          {"kind", d.kind},
          {"target", d.target},
          {"state", d.state},
          {"attempts", d.attempts},
          {"last_error", d.last_error},
          {"created_at", TimeJson(d.created_at)},
          {"delivered_at", TimeJson(d.delivered_at)},
          {"next_attempt_at", d.state == "pending" ? TimeJson(d.next_attempt_at) : json(nullptr)}};
}

Response ListDeliveries(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = Project(ctx, request, who, &access)) return *e;
  std::string state = request.Query("state").value_or("");
  if (!state.empty() && state != "pending" && state != "delivered" && state != "failed") {
    return Bad("state", "state must be pending, delivered or failed");
  }
  auto list = ctx.store->ListDeliveries(access.project.id, state, 200);
  if (!list.ok()) return StoreError(list.status());
  json out = json::array();
  for (const store::OutboundDelivery& d : list.value()) out.push_back(DeliveryJson(d));
  return Response::Json(200, Dump({{"deliveries", out}}));
}

Response RetryDelivery(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = Project(ctx, request, who, &access)) return *e;
  std::optional<store::Id> id = ParseId(request.Param("id"));
  if (!id) return Response::Error(404, "not_found", "no such delivery");
  if (auto s = ctx.store->RetryDelivery(access.project.id, *id, ctx.now_ms()); !s.ok()) {
    return StoreError(s);
  }
  ctx.notifier->Publish(kDeliveriesTopic);
  return Response::Json(202, Dump({{"id", *id}, {"state", "pending"}}));
}

}  // namespace

void AddDeliveryRoutes(Router& router, ApiContext& ctx) {
  auto add = [&](const char* method, const char* path,
                 Response (*fn)(ApiContext&, Request&, const Principal&)) {
    router.Add(method, path,
               Authed(ctx, [&ctx, fn](Request& r, const Principal& w) { return fn(ctx, r, w); }));
  };
  add("PUT", "/api/v1/projects/{owner}/{name}/forge", PutForge);
  add("GET", "/api/v1/projects/{owner}/{name}/forge", GetForge);
  add("DELETE", "/api/v1/projects/{owner}/{name}/forge", DeleteForge);
  add("PUT", "/api/v1/projects/{owner}/{name}/notifications", PutNotifications);
  add("GET", "/api/v1/projects/{owner}/{name}/notifications", GetNotifications);
  add("PUT", "/api/v1/user/notifications", PutUserNotifications);
  add("GET", "/api/v1/user/notifications", [](ApiContext& c, Request&, const Principal& w) {
    return Response::Json(200, Dump(UserNotifications(c, w)));
  });
  add("GET", "/api/v1/projects/{owner}/{name}/deliveries", ListDeliveries);
  add("POST", "/api/v1/projects/{owner}/{name}/deliveries/{id}/retry", RetryDelivery);
}

}  // namespace gantry::server
