#include "server/hooks_api.h"

#include <iostream>

#include "server/git_mirrors.h"
#include "server/triggers.h"
#include "workflow/cron.h"
#include "workflow/loader.h"

namespace gantry::server {
namespace {

constexpr std::string_view kZeroSha = "0000000000000000000000000000000000000000";

std::string FirstLine(const std::string& s) { return s.substr(0, s.find('\n')); }

std::string Str(const nlohmann::json& j, std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &j;
  for (const char* k : path) {
    if (!cur->is_object() || !cur->contains(k)) return "";
    cur = &(*cur)[k];
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_number()) return cur->dump();
  return "";
}

Response Accepted(const std::vector<store::Id>& ids) {
  return Response::Json(202, Dump({{"runs", ids}}));
}

// [{"id","run_number"}] of runs just made: who dispatched can name them without reading each.
nlohmann::json RunList(ApiContext& ctx, const std::vector<store::Id>& ids) {
  nlohmann::json list = nlohmann::json::array();
  for (store::Id id : ids) {
    auto run = ctx.store->GetRun(id);
    list.push_back(
        {{"id", id}, {"run_number", run.ok() ? nlohmann::json(run.value().number) : nullptr}});
  }
  return list;
}

Response Hook(ApiContext& ctx, Request& request) {
  std::string event = request.Header("x-github-event");
  if (event.empty()) event = request.Header("x-gitea-event");
  if (event.empty()) event = request.Header("x-forgejo-event");
  std::string delivery = request.Header("x-github-delivery");
  if (delivery.empty()) delivery = request.Header("x-gitea-delivery");
  if (delivery.empty()) delivery = request.Header("x-forgejo-delivery");
  std::string signature = request.Header("x-hub-signature-256");
  if (signature.empty()) signature = request.Header("x-gitea-signature");
  if (signature.empty()) signature = request.Header("x-forgejo-signature");
  Response bad_signature = Response::Error(
      401, "bad_signature",
      "the X-Hub-Signature-256 header does not match the project's webhook secret (or there is "
      "no such project)");
  auto project = ctx.store->GetProjectByName(request.Param("owner"), request.Param("name"));
  if (!project.ok()) return bad_signature;
  auto secret = ctx.box->Open(project.value().webhook_secret);
  if (!secret.ok()) return StoreError(secret.status());
  if (signature.empty() ||
      !crypto::VerifyGithubSignature(secret.value(), request.body, signature)) {
    return bad_signature;
  }
  if (event.empty()) {
    return Response::Error(400, "missing_header", "the X-GitHub-Event header is missing",
                           "X-GitHub-Event");
  }
  nlohmann::json payload = nlohmann::json::parse(request.body, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return Response::Error(400, "invalid_json", "the payload is not a JSON object");
  }
  if (event == "ping") return Response::Json(200, Dump({{"zen", "gantry is listening"}}));
  if (event != "push" && event != "pull_request") {
    return Response::Json(202, Dump({{"runs", nlohmann::json::array()},
                                     {"ignored", "event '" + event + "' starts no run"}}));
  }
  TriggerEvent ev;
  ev.event = event;
  ev.payload = payload;
  if (event == "push") {
    ev.ref = Str(payload, {"ref"});
    ev.sha = Str(payload, {"after"});
    ev.before = Str(payload, {"before"});
    ev.actor = Str(payload, {"sender", "login"});
    if (ev.actor.empty()) ev.actor = Str(payload, {"pusher", "name"});
    ev.title = FirstLine(Str(payload, {"head_commit", "message"}));
    if (ev.ref.empty()) return Response::Error(422, "invalid", "the push has no 'ref'", "ref");
    if (ev.sha.size() != 40) {
      return Response::Error(422, "invalid", "the push's 'after' is not a commit sha", "after");
    }
  } else {
    ev.action = Str(payload, {"action"});
    ev.sha = Str(payload, {"pull_request", "head", "sha"});
    ev.base_ref = Str(payload, {"pull_request", "base", "ref"});
    ev.head_ref = Str(payload, {"pull_request", "head", "ref"});
    std::string number = Str(payload, {"number"});
    if (number.empty()) number = Str(payload, {"pull_request", "number"});
    ev.ref = "refs/pull/" + number + "/head";
    ev.actor = Str(payload, {"sender", "login"});
    ev.title = Str(payload, {"pull_request", "title"});
    if (ev.sha.size() != 40) {
      return Response::Error(422, "invalid", "pull_request.head.sha is not a commit sha",
                             "pull_request.head.sha");
    }
  }
  if (!delivery.empty()) {
    auto recorded = ctx.store->RecordDelivery(project.value().id, delivery, ctx.now_ms());
    if (!recorded.ok()) {
      if (recorded.code() == core::StatusCode::kAlreadyExists) {
        return Response::Json(200, Dump({{"runs", nlohmann::json::array()},
                                         {"duplicate", "delivery " + delivery + " was seen"}}));
      }
      return StoreError(recorded);
    }
  }
  if (event == "push" && ev.sha == kZeroSha) return Accepted({});  // a deleted branch
  const store::Project& p = project.value();
  // A push the mirror already has (a redelivery, or the ref moved there by an earlier fetch)
  // needs no fetch.
  bool have = event == "push" && ctx.mirrors->RefIs(p.owner, p.name, ev.ref, ev.sha);
  if (!have) {
    if (auto s = ctx.mirrors->Fetch(p.owner, p.name); !s.ok()) {
      return Response::Error(502, "fetch_failed", s.message());
    }
  }
  if (event == "push" && (ev.title.empty() || ev.actor.empty())) {
    // A minimal payload (`gantry hook post-receive`, scripts): the commit says what it is.
    if (auto info = ctx.mirrors->CommitInfo(p.owner, p.name, ev.sha); info.ok()) {
      if (ev.title.empty()) ev.title = info.value().first;
      if (ev.actor.empty()) ev.actor = info.value().second;
    }
  }
  if (event == "pull_request" && !ctx.mirrors->RefIs(p.owner, p.name, ev.ref, ev.sha)) {
    // The mirror's fetch (every ref) brought refs/pull/N/head when the forge has it; when not,
    // fetch the ref GitHub offers for it (the head may live in a fork).
    std::string number = ev.ref.substr(10, ev.ref.size() - 15);
    (void)core::RunProgram(
        {"git", "fetch", "--quiet", "origin", "+refs/pull/" + number + "/head:" + ev.ref},
        ctx.mirrors->PathFor(p.owner, p.name));
  }
  auto ids = TriggerRuns(ctx, p, ev);
  if (!ids.ok()) return Response::Error(422, "unreadable_commit", ids.status().message());
  return Accepted(ids.value());
}

Response Dispatch(ApiContext& ctx, Request& request, const Principal& who) {
  ProjectAccess access;
  if (auto e = RequireProject(ctx, who, request.Param("owner"), request.Param("name"), "developer",
                              &access)) {
    return *e;
  }
  nlohmann::json body;
  if (auto e = ParseBody(
          request, {{"ref", FieldType::kString, false}, {"inputs", FieldType::kObject, false}},
          &body)) {
    return *e;
  }
  const store::Project& p = access.project;
  std::string ref = body.value("ref", p.default_branch);
  if (ref.empty()) ref = p.default_branch;
  (void)ctx.mirrors->Fetch(p.owner, p.name);
  auto sha = ctx.mirrors->Resolve(p.owner, p.name, ref);
  if (!sha.ok())
    return Response::Error(422, "invalid", "no branch, tag or commit '" + ref + "'", "ref");
  std::string file = request.Param("file");
  if (file.find('/') == std::string::npos) file = ".github/workflows/" + file;
  auto yaml = ctx.mirrors->ReadFile(p.owner, p.name, sha.value(), file);
  if (!yaml.ok()) {
    return Response::Error(404, "not_found", "no workflow '" + file + "' at " + ref);
  }
  workflow::LoadResult loaded = workflow::LoadWorkflow(yaml.value(), file);
  if (!loaded.ok()) {
    std::string text;
    for (const auto& d : loaded.diagnostics) {
      if (d.IsError()) text += (text.empty() ? "" : "\n") + d.ToString();
    }
    return Response::Error(422, "invalid_workflow", text);
  }
  const workflow::EventTrigger* trigger = loaded.workflow->on.Find("workflow_dispatch");
  if (trigger == nullptr) {
    return Response::Error(422, "no_dispatch",
                           "workflow '" + file + "' has no workflow_dispatch trigger");
  }
  std::optional<Response> error;
  nlohmann::json inputs = ValidateDispatchInputs(
      trigger->inputs, body.value("inputs", nlohmann::json::object()), &error);
  if (error) return *error;
  TriggerEvent ev;
  ev.event = "workflow_dispatch";
  std::string full_ref = ref;
  if (auto refs = ctx.mirrors->Refs(p.owner, p.name); refs.ok()) {
    if (refs.value().count("refs/heads/" + ref))
      full_ref = "refs/heads/" + ref;
    else if (refs.value().count("refs/tags/" + ref))
      full_ref = "refs/tags/" + ref;
  }
  ev.ref = full_ref;
  ev.sha = sha.value();
  ev.actor = who.user.username;
  ev.title = "Manually run by " + who.user.username;
  ev.inputs = inputs;
  ev.payload = {{"inputs", inputs},
                {"ref", full_ref},
                {"repository", {{"full_name", p.owner + "/" + p.name}}},
                {"sender", {{"login", who.user.username}}},
                {"workflow", file}};
  ev.only_workflow = file;
  auto ids = TriggerRuns(ctx, p, ev);
  if (!ids.ok()) return StoreError(ids.status());
  (void)ctx.store->Audit(
      {0, who.user.id, p.id, "workflow.dispatch", file, Dump(inputs), ctx.now_ms()});
  return Response::Json(201,
                        Dump({{"runs", ids.value()}, {"run_list", RunList(ctx, ids.value())}}));
}

}  // namespace

Response DispatchWorkflow(ApiContext& ctx, Request& request, const Principal& who) {
  return Dispatch(ctx, request, who);
}

void AddHookRoutes(Router& router, ApiContext& ctx) {
  router.Add("POST", "/api/v1/hooks/{owner}/{name}", [&ctx](Request& r) { return Hook(ctx, r); });
  router.Add("POST", "/api/v1/projects/{owner}/{name}/workflows/{file}/dispatches",
             Authed(ctx, [&ctx](Request& r, const Principal& w) { return Dispatch(ctx, r, w); }));
}

Triggerer::Triggerer(ApiContext& ctx) : ctx_(ctx) {}

Triggerer::~Triggerer() { Stop(); }

void Triggerer::Start() {
  thread_ = std::thread([this] {
    while (!stop_.cancelled()) {
      Tick(ctx_.now_ms());
      stop_.SleepFor(std::chrono::seconds(1));
    }
  });
}

void Triggerer::Stop() {
  stop_.Cancel();
  if (thread_.joinable()) thread_.join();
}

void Triggerer::Tick(int64_t now_ms) {
  auto projects = ctx_.store->ListProjects(0, true);
  if (!projects.ok()) return;
  int64_t minute = now_ms / 60000 * 60000;
  bool new_minute = minute != last_minute_;
  for (const store::Project& p : projects.value()) {
    if (p.poll_interval_seconds > 0 && now_ms >= next_poll_[p.id]) {
      next_poll_[p.id] = now_ms + int64_t{p.poll_interval_seconds} * 1000;
      Poll(p);
    }
    if (new_minute && last_minute_ != 0) Schedules(p, minute);
  }
  last_minute_ = minute;
}

void Triggerer::Poll(const store::Project& p) {
  if (!ctx_.mirrors->Fetch(p.owner, p.name).ok()) return;
  auto refs = ctx_.mirrors->Refs(p.owner, p.name);
  if (!refs.ok()) return;
  nlohmann::json last = nlohmann::json::parse(p.last_polled_sha, nullptr, false);
  if (!last.is_object()) last = nlohmann::json::object();
  for (const auto& [ref, sha] : refs.value()) {
    std::string before = last.value(ref, std::string(kZeroSha));
    if (before == sha) continue;
    // Replicas poll too: the first to record this ref's move triggers its runs.
    if (!ctx_.store->RecordDelivery(p.id, "poll:" + ref + ":" + before + ":" + sha, ctx_.now_ms())
             .ok()) {
      continue;
    }
    TriggerEvent ev;
    ev.event = "push";
    ev.ref = ref;
    ev.sha = sha;
    ev.before = before;
    auto info = ctx_.mirrors->CommitInfo(p.owner, p.name, sha);
    if (info.ok()) {
      ev.title = info.value().first;
      ev.actor = info.value().second;
    }
    ev.payload = {{"ref", ref},
                  {"before", before},
                  {"after", sha},
                  {"repository", {{"full_name", p.owner + "/" + p.name}}},
                  {"head_commit", {{"id", sha}, {"message", ev.title}}},
                  {"pusher", {{"name", ev.actor}}}};
    auto ids = TriggerRuns(ctx_, p, ev);
    if (!ids.ok()) {
      std::cerr << "gantry server: poll of " << p.owner << "/" << p.name << ": "
                << ids.status().message() << "\n";
    }
  }
  nlohmann::json now = refs.value();
  (void)ctx_.store->UpdateProjectPoll(p.id, Dump(now));
}

void Triggerer::Schedules(const store::Project& p, int64_t minute_ms) {
  auto sha = ctx_.mirrors->Resolve(p.owner, p.name, "refs/heads/" + p.default_branch);
  if (!sha.ok()) return;
  auto files = ctx_.mirrors->Workflows(p.owner, p.name, sha.value());
  if (!files.ok()) return;
  auto t = std::chrono::sys_seconds(std::chrono::seconds(minute_ms / 1000));
  for (const std::string& file : files.value()) {
    auto yaml = ctx_.mirrors->ReadFile(p.owner, p.name, sha.value(), file);
    if (!yaml.ok() || yaml.value().find("schedule") == std::string::npos) continue;
    workflow::LoadResult loaded = workflow::LoadWorkflow(yaml.value(), file);
    if (!loaded.ok()) continue;
    const workflow::EventTrigger* trigger = loaded.workflow->on.Find("schedule");
    if (trigger == nullptr) continue;
    for (const workflow::ScheduleEntry& entry : trigger->schedule) {
      // Time zones other than UTC are left to a later change: they are evaluated as UTC.
      auto cron = workflow::ParseCron(entry.cron);
      if (!cron.ok() || !cron.value().Matches(t)) continue;
      // Each replica's clock ticks this minute: the first to record it triggers the run.
      if (!ctx_.store
               ->RecordDelivery(
                   p.id,
                   "schedule:" + file + ":" + entry.cron + ":" + std::to_string(minute_ms / 60000),
                   ctx_.now_ms())
               .ok()) {
        break;
      }
      TriggerEvent ev;
      ev.event = "schedule";
      ev.ref = "refs/heads/" + p.default_branch;
      ev.sha = sha.value();
      ev.actor = p.owner;
      ev.title = loaded.workflow->name ? loaded.workflow->name->value : file;
      ev.payload = {{"schedule", entry.cron}};
      ev.only_workflow = file;
      (void)TriggerRuns(ctx_, p, ev);
      break;
    }
  }
}

}  // namespace gantry::server
