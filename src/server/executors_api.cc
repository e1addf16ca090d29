#include "server/executors_api.h"

#include <cctype>
#include <limits>
#include <map>

#include "queue/notifier.h"
#include "server/crypto.h"
#include "server/labels.h"

namespace gantry::server {
namespace {

std::optional<Response> RequireAdmin(const Principal& who) {
  if (who.user.is_admin) return std::nullopt;
  return Response::Error(403, "forbidden", "only an admin may manage executors");
}

bool ValidExecutorName(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

nlohmann::json ExecutorJson(const ApiContext& ctx, const store::Executor& e,
                            const std::vector<store::Job>& jobs) {
  std::string state = e.state;
  if (state != "disabled") {
    state = ctx.now_ms() - e.last_seen < kExecutorOnlineMs ? "online" : "offline";
  }
  nlohmann::json running = nlohmann::json::array();
  for (const store::Job& j : jobs) {
    if (j.executor == e.name) {
      running.push_back({{"id", j.id}, {"run_id", j.run_id}, {"name", j.name}});
    }
  }
  return {{"id", e.id},
          {"name", e.name},
          {"labels", LabelsFromJson(e.labels)},
          {"version", e.version},
          {"state", state},
          {"capacity", e.capacity},
          {"jobs", running},
          {"last_seen", TimeJson(e.last_seen)},
          {"created_at", TimeJson(e.created_at)}};
}

// Every job an executor holds: leases that expire before the end of time.
std::vector<store::Job> LeasedJobs(ApiContext& ctx) {
  auto jobs = ctx.store->ListExpiredLeases(std::numeric_limits<int64_t>::max());
  return jobs.ok() ? std::move(jobs).value() : std::vector<store::Job>();
}

Response CreateRegistrationToken(ApiContext& ctx, Request& request, const Principal& who) {
  if (auto denied = RequireAdmin(who)) return *denied;
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"expires_in", FieldType::kInt, false}, {"uses", FieldType::kInt, false}},
                         &body)) {
    return *e;
  }
  int64_t expires_in = body.value("expires_in", int64_t{3600});
  if (expires_in < 60 || expires_in > int64_t{30} * 86400) {
    return Response::Error(422, "invalid", "expires_in must be 60 to 2592000 seconds",
                           "expires_in");
  }
  int64_t uses = body.value("uses", int64_t{1});
  if (uses < 1 || uses > 1000) {
    return Response::Error(422, "invalid", "uses must be 1 to 1000", "uses");
  }
  std::string token = crypto::RandomToken("gnr_");
  store::RegistrationToken row;
  row.token_hash = crypto::Sha256Hex(token);
  row.created_by = who.user.id;
  row.uses_left = static_cast<int>(uses);
  row.created_at = ctx.now_ms();
  row.expires_at = row.created_at + expires_in * 1000;
  auto created = ctx.store->CreateRegistrationToken(row);
  if (!created.ok()) return StoreError(created.status());
  (void)ctx.store->Audit({0, who.user.id, 0, "executor.registration_token", "",
                          Dump({{"uses", uses}, {"expires_at", Rfc3339(row.expires_at)}}),
                          ctx.now_ms()});
  return Response::Json(
      201, Dump({{"token", token}, {"expires_at", Rfc3339(row.expires_at)}, {"uses", uses}}));
}

Response Register(ApiContext& ctx, Request& request) {
  nlohmann::json body;
  if (auto e = ParseBody(request,
                         {{"token", FieldType::kString, true},
                          {"name", FieldType::kString, true},
                          {"labels", FieldType::kArray, false},
                          {"version", FieldType::kString, false},
                          {"capacity", FieldType::kInt, false}},
                         &body)) {
    return *e;
  }
  std::string name = body["name"];
  if (!ValidExecutorName(name) || name == "embedded") {
    return Response::Error(422, "invalid",
                           "name must be 1 to 64 letters, digits, '-', '_' or '.' (and not "
                           "'embedded')",
                           "name");
  }
  nlohmann::json labels = nlohmann::json::array();
  for (const auto& l : body.value("labels", nlohmann::json::array())) {
    if (!l.is_string() || l.get<std::string>().empty() || l.get<std::string>().size() > 100) {
      return Response::Error(422, "invalid", "labels must be non-empty strings", "labels");
    }
    labels.push_back(l);
  }
  int64_t capacity = body.value("capacity", int64_t{1});
  if (capacity < 1 || capacity > 1024) {
    return Response::Error(422, "invalid", "capacity must be 1 to 1024", "capacity");
  }
  auto existing = ctx.store->ListExecutors();
  if (!existing.ok()) return StoreError(existing.status());
  for (const store::Executor& e : existing.value()) {
    if (e.name == name) {
      return Response::Error(409, "conflict",
                             "an executor named '" + name +
                                 "' is registered: choose another --name, or have an admin "
                                 "remove it (DELETE /api/v1/executors/" +
                                 std::to_string(e.id) + ")",
                             "name");
    }
  }
  core::Status used = ctx.store->UseRegistrationToken(
      crypto::Sha256Hex(body["token"].get<std::string>()), ctx.now_ms());
  if (!used.ok()) {
    std::string why =
        used.code() == core::StatusCode::kNotFound ? "unknown registration token" : used.message();
    if (used.code() != core::StatusCode::kNotFound &&
        used.code() != core::StatusCode::kPermissionDenied) {
      return StoreError(used);
    }
    return Response::Error(401, "invalid_token",
                           why +
                               ": ask an admin for a new one (POST "
                               "/api/v1/executors/registration-tokens)",
                           "token");
  }
  std::string token = crypto::RandomToken("gne_");
  store::Executor row;
  row.name = name;
  row.token_hash = crypto::Sha256Hex(token);
  row.labels = Dump(labels);
  row.version = body.value("version", "");
  row.capacity = static_cast<int>(capacity);
  row.state = "online";
  row.last_seen = ctx.now_ms();
  row.created_at = ctx.now_ms();
  auto created = ctx.store->CreateExecutor(row);
  if (!created.ok()) return StoreError(created.status());
  (void)ctx.store->Audit({0, 0, 0, "executor.register", name, Dump(labels), ctx.now_ms()});
  return Response::Json(201, Dump({{"id", created.value().id}, {"name", name}, {"token", token}}));
}

Response List(ApiContext& ctx, Request&, const Principal&) {
  auto executors = ctx.store->ListExecutors();
  if (!executors.ok()) return StoreError(executors.status());
  std::vector<store::Job> jobs = LeasedJobs(ctx);
  nlohmann::json out = nlohmann::json::array();
  for (const store::Executor& e : executors.value()) out.push_back(ExecutorJson(ctx, e, jobs));
  return Response::Json(200, Dump({{"executors", out}}));
}

// The executor named by the path, for an admin; else the 403/404 answer.
std::optional<Response> AdminExecutor(ApiContext& ctx, const Request& request, const Principal& who,
                                      store::Executor* out) {
  if (auto denied = RequireAdmin(who)) return denied;
  auto id = ParseId(request.Param("id"));
  auto executors = ctx.store->ListExecutors();
  if (!executors.ok()) return StoreError(executors.status());
  for (const store::Executor& e : executors.value()) {
    if (id && e.id == *id) {
      *out = e;
      return std::nullopt;
    }
  }
  return Response::Error(404, "not_found", "no executor " + request.Param("id"));
}

Response SetState(ApiContext& ctx, Request& request, const Principal& who, bool enabled) {
  store::Executor e;
  if (auto err = AdminExecutor(ctx, request, who, &e)) return *err;
  e.state = enabled ? "online" : "disabled";
  if (auto s = ctx.store->UpdateExecutor(e); !s.ok()) return StoreError(s);
  (void)ctx.store->Audit({0, who.user.id, 0, enabled ? "executor.enable" : "executor.disable",
                          e.name, "", ctx.now_ms()});
  // A disabled executor's waiting lease answers at once; an enabled one may lease again.
  ctx.notifier->Publish("queue");
  return Response::Json(200, Dump(ExecutorJson(ctx, e, LeasedJobs(ctx))));
}

Response Remove(ApiContext& ctx, Request& request, const Principal& who) {
  store::Executor e;
  if (auto err = AdminExecutor(ctx, request, who, &e)) return *err;
  if (auto s = ctx.store->DeleteExecutor(e.id); !s.ok()) return StoreError(s);
  (void)ctx.store->Audit({0, who.user.id, 0, "executor.remove", e.name, "", ctx.now_ms()});
  return Response::NoContent();
}

}  // namespace

void AddExecutorRoutes(Router& router, ApiContext& ctx) {
  router.Add("POST", "/api/v1/executors/registration-tokens",
             Authed(ctx, [&ctx](Request& r, const Principal& who) {
               return CreateRegistrationToken(ctx, r, who);
             }));
  router.Add("POST", "/api/v1/executor/register", [&ctx](Request& r) { return Register(ctx, r); });
  router.Add("GET", "/api/v1/executors",
             Authed(ctx, [&ctx](Request& r, const Principal& who) { return List(ctx, r, who); }));
  router.Add("POST", "/api/v1/executors/{id}/disable",
             Authed(ctx, [&ctx](Request& r, const Principal& who) {
               return SetState(ctx, r, who, false);
             }));
  router.Add("POST", "/api/v1/executors/{id}/enable",
             Authed(ctx, [&ctx](Request& r, const Principal& who) {
               return SetState(ctx, r, who, true);
             }));
  router.Add("DELETE", "/api/v1/executors/{id}",
             Authed(ctx, [&ctx](Request& r, const Principal& who) { return Remove(ctx, r, who); }));
}

}  // namespace gantry::server
