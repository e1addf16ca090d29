#include "server/deployments.h"

#include <iostream>
#include <nlohmann/json.hpp>

namespace gantry::server {
namespace {

struct Target {
  std::string name;
  std::string url;
};

// The environment the scheduler put in the job's spec; nullopt for a job without one.
std::optional<Target> TargetOf(const store::Job& job) {
  if (job.spec.empty()) return std::nullopt;
  nlohmann::json spec = nlohmann::json::parse(job.spec, nullptr, false);
  if (!spec.is_object() || !spec.contains("environment")) return std::nullopt;
  const nlohmann::json& env = spec["environment"];
  if (!env.is_object() || !env.value("name", nlohmann::json()).is_string()) return std::nullopt;
  Target t{env["name"].get<std::string>(), ""};
  if (env.contains("url") && env["url"].is_string()) t.url = env["url"].get<std::string>();
  if (t.name.empty()) return std::nullopt;
  return t;
}

void Log(const store::Job& job, const core::Status& s) {
  std::cerr << "gantry server: deployment of job " << job.id << ": " << s.message() << "\n";
}

core::Result<store::Deployment> Record(ApiContext& ctx, const store::Run& run,
                                       const store::Job& job, const Target& target,
                                       const std::string& status) {
  store::Deployment d;
  d.project_id = run.project_id;
  d.environment = target.name;
  d.sha = run.sha;
  d.ref = run.ref;
  d.workflow_file = run.workflow_file;
  d.run_id = run.id;
  d.job_row_id = job.id;
  d.job_id = job.job_id;
  d.attempt = job.attempt;
  d.actor = run.actor;
  d.status = status;
  d.url = target.url;
  d.created_at = ctx.now_ms();
  return ctx.store->CreateDeployment(d);
}

}  // namespace

std::string DeploymentStatusOf(const std::string& conclusion) {
  if (conclusion == "success" || conclusion == "failure") return conclusion;
  if (conclusion == "cancelled" || conclusion == "skipped") return "cancelled";
  return "failure";
}

void DeploymentRecorder::OnJobQueued(const store::Run& run, const store::Job& job) {
  std::optional<Target> target = TargetOf(job);
  if (!target) return;
  // A job held back by its environment's protection rules: GitHub's deployment is "waiting".
  const std::string status = job.status == "waiting" ? "waiting" : "queued";
  if (auto d = Record(ctx_, run, job, *target, status); !d.ok()) Log(job, d.status());
}

void DeploymentRecorder::OnJobStarted(const store::Job& job) {
  std::optional<Target> target = TargetOf(job);
  if (!target) return;
  auto updated = ctx_.store->UpdateDeploymentStatus(job.id, "in_progress", "", ctx_.now_ms());
  if (updated.ok()) return;
  if (updated.status().code() != core::StatusCode::kNotFound) return Log(job, updated.status());
  // Leased before the driving replica recorded it as queued: record it here.
  auto run = ctx_.store->GetRun(job.run_id);
  if (!run.ok()) return Log(job, run.status());
  if (auto d = Record(ctx_, run.value(), job, *target, "in_progress"); !d.ok()) {
    Log(job, d.status());
  }
}

void DeploymentRecorder::OnJobCompleted(const store::Run& run, const store::Job& job) {
  // The completed row carries the spec written when the job was queued.
  std::optional<Target> target = TargetOf(job);
  if (!target) return;
  const std::string status = DeploymentStatusOf(job.conclusion);
  auto updated = ctx_.store->UpdateDeploymentStatus(job.id, status, "", ctx_.now_ms());
  if (updated.ok()) return;
  if (updated.status().code() != core::StatusCode::kNotFound) return Log(job, updated.status());
  auto created = Record(ctx_, run, job, *target, "queued");
  if (!created.ok()) return Log(job, created.status());
  if (auto again = ctx_.store->UpdateDeploymentStatus(job.id, status, "", ctx_.now_ms());
      !again.ok()) {
    Log(job, again.status());
  }
}

void ObserverFanOut::OnRunStarted(const store::Run& run) {
  for (SchedulerObserver* o : observers_) o->OnRunStarted(run);
}
void ObserverFanOut::OnJobQueued(const store::Run& run, const store::Job& job) {
  for (SchedulerObserver* o : observers_) o->OnJobQueued(run, job);
}
void ObserverFanOut::OnJobStarted(const store::Job& job) {
  for (SchedulerObserver* o : observers_) o->OnJobStarted(job);
}
void ObserverFanOut::OnJobCompleted(const store::Run& run, const store::Job& job) {
  for (SchedulerObserver* o : observers_) o->OnJobCompleted(run, job);
}
void ObserverFanOut::OnRunCompleted(const store::Run& run) {
  for (SchedulerObserver* o : observers_) o->OnRunCompleted(run);
}

}  // namespace gantry::server
