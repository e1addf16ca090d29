#include "server/delivery_events.h"

#include <iostream>
#include <set>

#include "queue/notifier.h"
#include "server/check_names.h"
#include "server/deliveries.h"
#include "server/run_comment.h"
#include "server/run_derived.h"

namespace gantry::server {
namespace {

using json = nlohmann::json;

std::string BranchOf(const std::string& ref) {
  for (const char* prefix : {"refs/heads/", "refs/tags/"}) {
    if (ref.rfind(prefix, 0) == 0) return ref.substr(std::string(prefix).size());
  }
  return ref;
}

std::string Describe(const std::string& conclusion) {
  if (conclusion.empty()) return "Running";
  if (conclusion == "success") return "Successful";
  if (conclusion == "skipped") return "Skipped";
  if (conclusion == "cancelled") return "Cancelled";
  if (conclusion == "timed_out") return "Timed out";
  return "Failed";
}

}  // namespace

std::string RunUrl(const ApiContext& ctx, const store::Project& project, const store::Run& run) {
  return ctx.config.base_url + "/" + project.owner + "/" + project.name + "/runs/" +
         std::to_string(run.id);
}

void DeliveryEnqueuer::Enqueue(store::OutboundDelivery d) {
  d.created_at = ctx_.now_ms();
  auto stored = ctx_.store->EnqueueDelivery(d);
  if (!stored.ok()) {
    std::cerr << "gantry server: cannot enqueue a " << d.kind
              << " delivery: " << stored.status().message() << "\n";
    return;
  }
  ctx_.notifier->Publish(kDeliveriesTopic);
}

void DeliveryEnqueuer::Status(const store::Run& run, const std::string& job_name,
                              const std::string& conclusion) {
  auto forge = LoadForgeSettings(ctx_, run.project_id);
  if (!forge.ok() || !forge->statuses || run.sha.empty()) return;
  auto project = ctx_.store->GetProject(run.project_id);
  if (!project.ok()) return;
  std::string workflow = run.workflow_name.empty() ? run.workflow_file : run.workflow_name;
  std::string context = job_name.empty() ? WorkflowContext(workflow, run.event)
                                         : StatusContext(workflow, job_name, run.event);
  json payload = {
      {"repository", forge->repository},         {"sha", run.sha},
      {"state", notify::ForgeState(conclusion)}, {"target_url", RunUrl(ctx_, project.value(), run)},
      {"description", Describe(conclusion)},     {"context", context}};
  store::OutboundDelivery d;
  d.project_id = run.project_id;
  d.kind = "commit_status";
  d.target = forge->repository + "@" + run.sha + " " + context;
  d.payload = payload.dump();
  Enqueue(std::move(d));
}

void DeliveryEnqueuer::OnRunStarted(const store::Run& run) { Status(run, "", ""); }

void DeliveryEnqueuer::OnJobQueued(const store::Run& run, const store::Job& job) {
  Status(run, job.name, "");
}

void DeliveryEnqueuer::OnJobCompleted(const store::Run& run, const store::Job& job) {
  Status(run, job.name, job.conclusion);
}

core::Status DeliveryEnqueuer::EnqueuePrComment(const store::Project& project, int64_t pr_number,
                                                const std::string& body) {
  auto forge = LoadForgeSettings(ctx_, project.id);
  if (!forge.ok()) return forge.status();
  if (!forge->comments) return core::Status::NotFound("the project's forge comments are off");
  store::OutboundDelivery d;
  d.project_id = project.id;
  d.kind = "pr_comment";
  d.target = forge->repository + "#" + std::to_string(pr_number);
  d.payload = json{{"repository", forge->repository}, {"number", pr_number}, {"body", body}}.dump();
  Enqueue(std::move(d));
  return core::Status::Ok();
}

void DeliveryEnqueuer::OnRunCompleted(const store::Run& run) {
  Status(run, "", run.conclusion);
  auto project = ctx_.store->GetProject(run.project_id);
  if (!project.ok()) return;
  notify::RunSummary summary;
  summary.project = project->owner + "/" + project->name;
  summary.run_id = run.id;
  summary.number = run.number;
  summary.workflow = run.workflow_name.empty() ? run.workflow_file : run.workflow_name;
  // A pull request run's e-mail names its head branch, not refs/pull/N/head.
  std::string head = HeadBranch(run);
  summary.branch = head.empty() ? BranchOf(run.ref) : head;
  summary.sha = run.sha;
  summary.event = run.event;
  summary.conclusion = run.conclusion;
  summary.run_url = RunUrl(ctx_, project.value(), run);
  summary.actor = run.actor;
  if (auto jobs = ctx_.store->ListJobs(run.id, run.attempt); jobs.ok()) {
    for (const store::Job& j : jobs.value()) {
      if (notify::IsFailed(j.conclusion)) summary.failed_jobs.push_back(j.name);
    }
  }
  if (run.event.rfind("pull_request", 0) == 0) {
    if (std::optional<int64_t> pr = PullRequestNumber(run)) {
      // The run's reports are complete here: a job completes only after its reports are taken.
      auto body = RunCommentMarkdown(ctx_, run.id);
      if (body.ok()) {
        (void)EnqueuePrComment(project.value(), *pr, body.value());
      } else {
        std::cerr << "gantry server: no pull-request comment for run " << run.id << ": "
                  << body.status().message() << "\n";
      }
    }
  }
  Notify(run, summary);
}

void DeliveryEnqueuer::Notify(const store::Run& run, const notify::RunSummary& summary) {
  // The previous completed run of the same workflow on the same branch decides "fixed".
  std::string previous;
  store::RunFilter filter;
  filter.project_id = run.project_id;
  filter.workflow_file = run.workflow_file;
  filter.branch = BranchOf(run.ref);
  filter.status = "completed";
  filter.before = run.id;
  filter.limit = 1;
  if (auto runs = ctx_.store->ListRuns(filter); runs.ok() && !runs->empty()) {
    previous = runs->front().conclusion;
  }
  auto wants = [&](const std::string& on) {
    std::optional<notify::On> parsed = notify::ParseOn(on);
    return parsed && notify::ShouldNotify(*parsed, run.conclusion, previous);
  };
  std::set<std::string> mailed;
  auto mail = [&](const std::vector<std::string>& to, const std::string& subject,
                  const std::string& body) {
    store::OutboundDelivery d;
    d.project_id = run.project_id;
    d.kind = "email";
    for (const std::string& a : to) d.target += (d.target.empty() ? "" : ", ") + a;
    d.payload = json{{"to", to},
                     {"subject", notify::Render(subject, summary)},
                     {"body", notify::Render(body, summary)}}
                    .dump();
    Enqueue(std::move(d));
  };

  auto sealed = ctx_.store->GetDeliverySetting("notifications", run.project_id);
  json settings;
  if (sealed.ok()) {
    if (auto text = ctx_.box->Open(sealed.value()); text.ok()) {
      settings = json::parse(text.value(), nullptr, false);
    }
  }
  std::string subject(notify::kDefaultSubject);
  std::string body(notify::kDefaultBody);
  if (settings.is_object() && settings.contains("email") && settings["email"].is_object()) {
    const json& e = settings["email"];
    subject = e.value("subject", subject);
    body = e.value("body", body);
    std::vector<std::string> to = e.value("to", std::vector<std::string>{});
    if (!to.empty() && wants(e.value("on", "failure"))) {
      mail(to, subject, body);
      mailed.insert(to.begin(), to.end());
    }
  }
  if (settings.is_object() && settings.contains("webhooks") && settings["webhooks"].is_array()) {
    for (const json& w : settings["webhooks"]) {
      if (!w.is_object() || !wants(w.value("on", "failure"))) continue;
      bool slack = w.value("format", "json") == "slack";
      std::string secret = w.value("secret", "");
      store::OutboundDelivery d;
      d.project_id = run.project_id;
      d.kind = slack ? "slack" : "webhook";
      d.target = w.value("url", "");
      json payload = {
          {"url", d.target},
          {"body", (slack ? notify::SlackBody(summary) : notify::WebhookBody(summary)).dump()},
          {"secret_sealed", secret.empty() ? "" : HexOf(ctx_.box->Seal(secret))}};
      d.payload = payload.dump();
      Enqueue(std::move(d));
    }
  }
  // Members' own settings: runs they triggered (only_own) or every run of the project.
  auto members = ctx_.store->ListMembers(run.project_id);
  if (!members.ok()) return;
  for (const store::Member& m : members.value()) {
    auto mine = ctx_.store->GetDeliverySetting("user_notifications", m.user_id);
    if (!mine.ok()) continue;
    json u = json::parse(std::string(mine->begin(), mine->end()), nullptr, false);
    if (!u.is_object()) continue;
    std::string address = u.value("email", "");
    if (address.empty()) {
      if (auto user = ctx_.store->GetUser(m.user_id); user.ok()) address = user->email;
    }
    if (address.empty() || mailed.count(address) > 0) continue;
    if (u.value("only_own", true) && m.username != run.actor) continue;
    if (!wants(u.value("on", "failure"))) continue;
    mail({address}, subject, body);
    mailed.insert(address);
  }
}

}  // namespace gantry::server
