// The scheduler's part of environments (docs/server.md, "Environments and approvals"): a job
// naming an environment with protection rules is stored "waiting" instead of "queued" (its
// run too) until its reviewers approve it and its wait timer ends; a rejection or a review
// that timed out fails it as an executor's failure would. Every transition is a conditional
// update in the store, so any replica may make it and the run's owner applies the outcome.

#include <algorithm>
#include <cctype>
#include <iostream>

#include "queue/notifier.h"
#include "server/environment_rules.h"
#include "server/scheduler.h"

namespace gantry::server {
namespace {

std::string LowerCase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

core::Result<Scheduler::EnvironmentGate> Scheduler::PrepareEnvironment(const store::Run& run,
                                                                       const std::string& name) {
  EnvironmentGate gate;
  if (auto s = ValidateEnvironmentName(name); !s.ok()) {
    gate.error = "environment '" + name + "': " + s.message();
    return gate;
  }
  auto env = ctx_.store->EnsureEnvironment(run.project_id, name);
  if (!env.ok()) return env.status();
  if (!RefAllowed(env->branches, run.ref)) {
    gate.error = RefNotAllowedMessage(env->name, run.ref);
    return gate;
  }
  gate.review = !env->reviewers.empty();
  gate.wait = gate.review || env->wait_timer > 0;
  if (!gate.review && env->wait_timer > 0) {
    gate.not_before = ctx_.now_ms() + env->wait_timer * 1000;
  }
  return gate;
}

core::Status Scheduler::RecordEnvironment(const store::Job& row, const std::string& name,
                                          const std::string& url, const EnvironmentGate& gate) {
  store::JobEnvironment je;
  je.job_id = row.id;
  je.run_id = row.run_id;
  je.environment = name;
  je.url = url;
  je.state = gate.wait && gate.error.empty() ? "waiting"
             : gate.error.empty()            ? "approved"
                                             : "rejected";
  je.needs_review = gate.review;
  je.not_before = gate.not_before;
  je.requested_at = ctx_.now_ms();
  if (auto s = ctx_.store->PutJobEnvironment(je); !s.ok()) return s;
  if (row.status == "waiting" && gate.error.empty()) return ctx_.store->SetRunWaiting(row.run_id);
  return core::Status::Ok();
}

core::Status Scheduler::ReleaseWaiting(const store::JobEnvironment& je) {
  store::JobEnvironment next = je;
  next.state = "approved";
  next.needs_review = false;
  auto changed = ctx_.store->UpdateJobEnvironment(next, "waiting");
  if (!changed.ok() || !changed.value()) return changed.status();
  auto queued = ctx_.store->QueueWaitingJob(je.job_id);
  if (!queued.ok()) return queued.status();
  ctx_.notifier->Publish("queue");
  ctx_.notifier->Publish("run:" + std::to_string(je.run_id));
  return core::Status::Ok();
}

core::Status Scheduler::RejectWaiting(const store::JobEnvironment& je, const std::string& error) {
  store::JobEnvironment next = je;
  next.state = "rejected";
  next.needs_review = false;
  auto changed = ctx_.store->UpdateJobEnvironment(next, "waiting");
  if (!changed.ok() || !changed.value()) return changed.status();
  auto job = ctx_.store->GetJob(je.job_id);
  if (!job.ok()) return job.status();
  if (job->status != "waiting") return core::Status::Ok();  // cancelled meanwhile
  auto s = CompleteRow(job.value(), "failure", error);
  ctx_.notifier->Publish("run:" + std::to_string(je.run_id));
  return s;
}

core::Result<int> Scheduler::DecideEnvironment(store::Id run_id, const std::string& environment,
                                               bool approve, const std::string& who,
                                               const std::string& comment) {
  auto run = ctx_.store->GetRun(run_id);
  if (!run.ok()) return run.status();
  auto list = ctx_.store->ListJobEnvironments(run_id);
  if (!list.ok()) return list.status();
  int decided = 0;
  for (const store::JobEnvironment& je : list.value()) {
    if (je.state != "waiting" || !je.needs_review) continue;
    if (LowerCase(je.environment) != LowerCase(environment)) continue;
    if (!approve) {
      std::string error = "rejected by " + who + (comment.empty() ? "" : ": " + comment);
      if (auto s = RejectWaiting(je, error); !s.ok()) return s;
      ++decided;
      continue;
    }
    auto env = ctx_.store->GetEnvironment(run->project_id, je.environment);
    const int64_t timer = env.ok() ? env->wait_timer : 0;
    if (timer <= 0) {
      if (auto s = ReleaseWaiting(je); !s.ok()) return s;
    } else {
      // The wait timer starts now; CheckEnvironmentGates queues the job when it ends.
      store::JobEnvironment next = je;
      next.needs_review = false;
      next.not_before = ctx_.now_ms() + timer * 1000;
      auto changed = ctx_.store->UpdateJobEnvironment(next, "waiting");
      if (!changed.ok()) return changed.status();
    }
    ++decided;
  }
  ctx_.notifier->Publish("run:" + std::to_string(run_id));
  return decided;
}

void Scheduler::CheckEnvironmentGates() {
  auto waiting = ctx_.store->ListWaitingJobEnvironments();
  if (!waiting.ok()) return;
  const int64_t now = ctx_.now_ms();
  const int64_t timeout_ms = options_.approval_timeout_seconds * 1000;
  for (const store::JobEnvironment& je : waiting.value()) {
    core::Status s = core::Status::Ok();
    if (je.needs_review && ReviewTimedOut(je.requested_at, now, timeout_ms)) {
      s = RejectWaiting(je, "the review of environment " + je.environment +
                                " timed out: nobody approved it within " +
                                std::to_string(options_.approval_timeout_seconds) + " seconds");
      auto run = ctx_.store->GetRun(je.run_id);
      if (s.ok() && run.ok()) {
        (void)ctx_.store->Audit({0, 0, run->project_id, "environment.timeout",
                                 std::to_string(je.run_id) + "/" + je.environment, "{}", now});
      }
    } else if (!je.needs_review && je.not_before <= now) {
      s = ReleaseWaiting(je);
    }
    if (!s.ok()) {
      std::cerr << "gantry server: environment " << je.environment << " of job " << je.job_id
                << ": " << s.message() << "\n";
    }
  }
}

core::Status Scheduler::AddEnvironmentSecrets(store::Id project_id, nlohmann::json& spec) {
  const nlohmann::json* env = spec.contains("environment") ? &spec["environment"] : nullptr;
  if (env == nullptr || !env->is_object()) return core::Status::Ok();
  const std::string name = env->value("name", "");
  if (name.empty()) return core::Status::Ok();
  // Environment variables and secrets win over the project's of the same name.
  auto vars = ctx_.store->ListEnvironmentVariables(project_id, name);
  if (!vars.ok()) return vars.status();
  if (!spec["vars"].is_object()) spec["vars"] = nlohmann::json::object();
  for (const store::Variable& v : vars.value()) spec["vars"][v.name] = v.value;
  auto secrets = ctx_.store->ListEnvironmentSecrets(project_id, name);
  if (!secrets.ok()) return secrets.status();
  const nlohmann::json names = spec.value("secret_names", nlohmann::json());
  const bool all = names.is_string() && names.get<std::string>() == "*";
  if (!spec["secrets"].is_object()) spec["secrets"] = nlohmann::json::object();
  for (const store::Secret& s : secrets.value()) {
    const bool needed = all || (names.is_array() && std::find(names.begin(), names.end(),
                                                              LowerCase(s.name)) != names.end());
    if (!needed) continue;
    auto value = ctx_.box->Open(s.ciphertext);
    if (!value.ok()) {
      std::cerr << "gantry server: secret " << s.name << " of environment " << name
                << " cannot be decrypted: " << value.status().message() << "\n";
      continue;
    }
    // A project secret of the same name (any case) gives way.
    for (auto it = spec["secrets"].begin(); it != spec["secrets"].end();) {
      if (LowerCase(it.key()) == LowerCase(s.name)) {
        it = spec["secrets"].erase(it);
      } else {
        ++it;
      }
    }
    spec["secrets"][s.name] = value.value();
  }
  return core::Status::Ok();
}

}  // namespace gantry::server
