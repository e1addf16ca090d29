#include "server/scheduler.h"

#include <malloc.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <regex>
#include <utility>

#include "backend/backend.h"
#include "core/masker.h"
#include "core/strings.h"
#include "engine/concurrency.h"
#include "engine/contexts.h"
#include "engine/plan.h"
#include "engine/run_setup.h"
#include "engine/run_state.h"
#include "queue/notifier.h"
#include "server/git_mirrors.h"
#include "server/labels.h"
#include "server/run_context.h"
#include "workflow/loader.h"

namespace gantry::server {
namespace {

// The scheduler only evaluates conditions and matrices; it never runs a process.
class NoProcesses : public backend::Backend {
 public:
  core::Result<backend::ProcessResult> Run(const backend::ProcessSpec&, const backend::OutputSink&,
                                           const backend::CancelToken&) override {
    return core::Status::Internal("the scheduler runs no process");
  }
};

class NoObserver : public engine::RunObserver {};

engine::Conclusion ConclusionOf(const std::string& c) {
  if (c == "success") return engine::Conclusion::kSuccess;
  if (c == "cancelled") return engine::Conclusion::kCancelled;
  if (c == "skipped") return engine::Conclusion::kSkipped;
  return engine::Conclusion::kFailure;
}

engine::JobReport ReportOf(const store::Job& row) {
  engine::JobReport report;
  report.key = engine::JobKey{row.job_id, row.instance, row.name};
  report.conclusion = ConclusionOf(row.conclusion);
  report.error = row.error;
  report.summary = row.summary;
  report.continued_on_error = row.continued_on_error;
  nlohmann::json outputs = nlohmann::json::parse(row.outputs, nullptr, false);
  if (outputs.is_object()) {
    for (const auto& [k, v] : outputs.items()) {
      if (v.is_string()) report.outputs[k] = v.get<std::string>();
    }
  }
  return report;
}

std::string JsonText(const expr::Value& v) { return v.ToJsonText(); }

}  // namespace

struct Scheduler::ActiveRun {
  std::mutex mu;
  store::Run run;
  store::Project project;
  std::shared_ptr<const workflow::Workflow> workflow;
  engine::Plan plan;
  engine::RunOptions options;
  core::Masker masker;
  NoProcesses backend;
  NoObserver observer;
  std::unique_ptr<engine::RunSetup> setup;
  std::unique_ptr<engine::RunState> state;
  /// Instance → the job's row of this attempt.
  std::map<engine::InstanceId, store::Id> rows;
  /// Instances handed out by the state and not finished.
  std::set<engine::InstanceId> running;
  /// A re-run of failed jobs: the previous attempt's successful instances, by (job id,
  /// instance), carried into this attempt instead of running again.
  std::map<std::pair<std::string, int>, store::Job> carry;
  /// Rows of this attempt known to be completed (applied to the state, or completed by it).
  std::set<store::Id> completed;
  int64_t since = 0;  // when this replica began driving it (ms)
  bool done = false;
  /// github, vars, inputs: what workflow- and job-level `concurrency:` groups see.
  expr::EvalContext context;
  /// The workflow's evaluated `concurrency:` group ("" = none) and cancel-in-progress.
  std::string group;
  bool cancel_in_progress = false;
  /// Waiting for its group (status pending): not begun, no job queued.
  bool pending = false;
};

Scheduler::Scheduler(ApiContext& ctx, SchedulerOptions options)
    : ctx_(ctx), options_(std::move(options)) {}

Scheduler::~Scheduler() { Stop(); }

std::string Scheduler::EmbeddedLeasePrefix() const {
  return "e" + crypto::Sha256Hex(options_.replica_id).substr(0, 8) + "-";
}

core::Status Scheduler::Start() {
  // This replica's runs from before a restart, and those no replica drives any more.
  auto active = ctx_.store->ClaimRuns(options_.replica_id, ctx_.now_ms(), OwnerExpiry(), true);
  if (!active.ok()) return active.status();
  for (const store::Run& run : active.value()) {
    if (auto s = Recover(run, true); !s.ok()) {
      std::cerr << "gantry server: run " << run.id << " cannot be resumed: " << s.message() << "\n";
      store::Run failed = run;
      failed.status = "completed";
      failed.conclusion = "failure";
      failed.error = "the run could not be resumed after a restart: " + s.message();
      failed.completed_at = ctx_.now_ms();
      (void)ctx_.store->UpdateRun(failed);
    }
  }
  expire_thread_ = std::thread([this] { ExpireLoop(); });
  return core::Status::Ok();
}

void Scheduler::Stop() {
  stop_.Cancel();
  ctx_.notifier->Publish("advance");  // wakes the background loop
  if (expire_thread_.joinable()) {
    expire_thread_.join();
    // Another replica may take this one's runs over at once.
    (void)ctx_.store->RenewRunOwnership(options_.replica_id, 0);
  }
}

size_t Scheduler::active_runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_.size();
}

core::Result<std::shared_ptr<const workflow::Workflow>> Scheduler::LoadWorkflow(
    const store::Project& p, const store::Run& run) {
  auto yaml = ctx_.mirrors->ReadFile(p.owner, p.name, run.sha, run.workflow_file);
  if (!yaml.ok()) return yaml.status();
  workflow::LoadOptions options;
  options.read_file = [&](const std::string& path) -> std::optional<std::string> {
    auto text = ctx_.mirrors->ReadFile(p.owner, p.name, run.sha, path);
    if (!text.ok()) return std::nullopt;
    return std::move(text).value();
  };
  workflow::LoadResult loaded = workflow::LoadWorkflow(yaml.value(), run.workflow_file, options);
  if (!loaded.ok()) return core::Status::InvalidArgument("the workflow file no longer loads");
  return loaded.workflow;
}

core::Status Scheduler::Build(const store::Run& run,
                              std::shared_ptr<const workflow::Workflow> workflow,
                              std::unique_ptr<ActiveRun>* out) {
  auto r = std::make_unique<ActiveRun>();
  r->run = run;
  r->since = ctx_.now_ms();
  auto project = ctx_.store->GetProject(run.project_id);
  if (!project.ok()) return project.status();
  r->project = std::move(project).value();
  r->workflow = std::move(workflow);
  auto vars = ctx_.store->ListVariables(run.project_id);
  if (!vars.ok()) return vars.status();
  RunContext rc = MakeRunContext(ctx_, r->project, run, vars.value());
  r->options.github = rc.github;
  r->options.vars = rc.vars;
  r->options.inputs = rc.inputs;
  // Environments' vars, for the url of a job naming one (their secrets reach only the job's
  // executor, added when it is leased); read only for a workflow with such a url.
  const bool env_urls =
      std::any_of(r->workflow->jobs.begin(), r->workflow->jobs.end(),
                  [](const workflow::Job& j) { return j.environment && j.environment->url; });
  auto environments =
      env_urls ? ctx_.store->ListEnvironments(run.project_id)
               : core::Result<std::vector<store::Environment>>(std::vector<store::Environment>());
  if (!environments.ok()) return environments.status();
  for (const store::Environment& env : environments.value()) {
    auto env_vars = ctx_.store->ListEnvironmentVariables(run.project_id, env.name);
    if (!env_vars.ok()) return env_vars.status();
    if (env_vars->empty()) continue;
    auto& values = r->options.environments[core::AsciiLower(env.name)];
    for (const store::Variable& v : env_vars.value()) values.vars.emplace_back(v.name, v.value);
  }
  r->options.masker = &r->masker;
  r->options.run_dir = ctx_.config.data_dir + "/runs/" + std::to_string(run.id);
  r->context = rc.plan_context;
  if (const auto& c = r->workflow->concurrency) {
    auto group = engine::EvaluateString(c->group, r->context, run.workflow_file);
    if (!group.ok()) return group.status();
    r->group = std::move(group).value();
    if (c->cancel_in_progress) {
      auto cancel = engine::EvaluateBool(*c->cancel_in_progress, r->context, run.workflow_file);
      if (!cancel.ok()) return cancel.status();
      r->cancel_in_progress = cancel.value();
    }
  }
  engine::PlanOptions plan_options;
  plan_options.context = rc.plan_context;
  auto plan = engine::BuildPlan(r->workflow, plan_options);
  if (!plan.ok()) return plan.status();
  r->plan = std::move(plan).value();
  r->setup = engine::PrepareRun(r->plan, r->options, r->backend, r->observer, &r->masker);
  r->state = std::make_unique<engine::RunState>(r->plan, *r->setup);
  *out = std::move(r);
  return core::Status::Ok();
}

core::Status Scheduler::Launch(const store::Run& run,
                               std::shared_ptr<const workflow::Workflow> workflow) {
  std::unique_ptr<ActiveRun> built;
  if (auto s = Build(run, std::move(workflow), &built); !s.ok()) {
    store::Run failed = run;
    failed.status = "completed";
    failed.conclusion = "failure";
    failed.error = s.message();
    failed.completed_at = ctx_.now_ms();
    if (ctx_.store->UpdateRun(failed).ok() && observer_ != nullptr) {
      observer_->OnRunCompleted(failed);
    }
    ctx_.notifier->Publish("run:" + std::to_string(run.id));
    return core::Status::Ok();
  }
  std::shared_ptr<ActiveRun> r(std::move(built));
  std::lock_guard<std::mutex> lock(r->mu);
  {
    std::lock_guard<std::mutex> g(mu_);
    runs_[run.id] = r;
  }
  if (auto s = ctx_.store->SetRunOwner(run.id, options_.replica_id, OwnerExpiry()); !s.ok()) {
    return s;
  }
  if (!r->group.empty()) return EnterGroup(*r);
  r->state->Begin();
  if (observer_ != nullptr) observer_->OnRunStarted(r->run);
  return Advance(*r);
}

core::Status Scheduler::EnterGroup(ActiveRun& r) {
  auto others = ctx_.store->EnterRunGroup(r.run.id, r.group);
  if (!others.ok()) return others.status();
  r.pending = true;
  r.run.status = "pending";
  if (auto me = ctx_.store->GetRun(r.run.id); me.ok()) r.run.group_order = me->group_order;
  std::vector<engine::GroupMember> group;
  for (const store::Run& o : others.value()) {
    group.push_back({o.id, o.status == "pending", o.cancel_requested, o.group_order});
  }
  engine::GroupEntry entry =
      engine::EnterGroup({r.run.id, true, false, r.run.group_order}, r.cancel_in_progress, group);
  if (entry.cancel_self) {
    (void)ctx_.store->RequestCancel(r.run.id);
    return EndPending(r);
  }
  // Runs of other replicas are cancelled by their owners (woken by "advance"); locks are taken
  // newer run first only, so two entries never wait for each other.
  for (store::Id id : entry.cancel) {
    if (auto s = CancelWith(id, engine::GroupCancelMessage(r.group)); !s.ok()) {
      std::cerr << "gantry server: run " << id << " could not be cancelled for concurrency group '"
                << r.group << "': " << s.message() << "\n";
    }
  }
  ctx_.notifier->Publish("run:" + std::to_string(r.run.id));
  return TryAdmit(r);
}

core::Status Scheduler::TryAdmit(ActiveRun& r) {
  auto admitted = ctx_.store->AdmitRun(r.run.id);
  if (!admitted.ok()) return admitted.status();
  if (!admitted.value()) return core::Status::Ok();  // the group's holder wakes it when done
  r.pending = false;
  r.run.status = "queued";
  r.state->Begin();
  if (observer_ != nullptr) observer_->OnRunStarted(r.run);
  return Advance(r);
}

core::Status Scheduler::EndPending(ActiveRun& r) {
  auto fresh = ctx_.store->GetRun(r.run.id);
  if (fresh.ok()) r.run = fresh.value();
  r.done = true;
  r.pending = false;
  store::Run run = r.run;
  run.status = "completed";
  run.conclusion = "cancelled";
  if (run.error.empty()) run.error = engine::GroupCancelMessage(r.group);
  run.completed_at = ctx_.now_ms();
  if (auto s = ctx_.store->UpdateRun(run); !s.ok()) return s;
  r.run = run;
  if (observer_ != nullptr) observer_->OnRunCompleted(r.run);
  {
    std::lock_guard<std::mutex> g(mu_);
    runs_.erase(r.run.id);
  }
  ctx_.notifier->Publish("run:" + std::to_string(r.run.id));
  ctx_.notifier->Publish("advance");  // the group's next run may start
  return core::Status::Ok();
}

core::Status Scheduler::Advance(ActiveRun& r) {
  bool queued = false;
  for (;;) {
    bool progress = false;
    for (engine::Decision& d : r.state->TakeDecisions()) {
      progress = true;
      if (d.kind == engine::Decision::Kind::kFinished) {
        // An instance that ended without running (skipped, cancelled before start, bad if:).
        store::Job row;
        row.run_id = r.run.id;
        row.attempt = r.run.attempt;
        row.job_id = d.report.key.job_id;
        row.instance = d.report.key.instance;
        row.name = d.report.key.display_name;
        row.created_at = ctx_.now_ms();
        auto stored = ctx_.store->UpsertJob(row);
        if (!stored.ok()) return stored.status();
        r.rows[d.id] = stored.value().id;
        r.completed.insert(stored.value().id);
        if (stored.value().status != "completed") {
          store::Job done = stored.value();
          done.conclusion = engine::ConclusionName(d.report.conclusion);
          done.error = d.report.error;
          done.completed_at = ctx_.now_ms();
          auto completed = ctx_.store->CompleteJob(done);
          if (!completed.ok() && completed.status().code() != core::StatusCode::kInvalidArgument) {
            return completed.status();
          }
        }
        continue;
      }
      // A running instance must stop: a queued one ends cancelled here; one an executor runs
      // hears it in its next heartbeat.
      auto it = r.rows.find(d.id);
      if (it == r.rows.end()) continue;
      auto row = ctx_.store->GetJob(it->second);
      if (!row.ok()) return row.status();
      if (row.value().status == "queued" || row.value().status == "waiting") {
        store::Job done = row.value();
        done.conclusion = "cancelled";
        done.error = r.run.cancel_requested ? "The run was cancelled." : "";
        done.completed_at = ctx_.now_ms();
        auto completed = ctx_.store->CompleteJob(done);
        if (completed.ok()) {
          r.completed.insert(done.id);
          r.running.erase(d.id);
          (void)r.state->Finish(d.id, ReportOf(completed.value()));
          // It was announced as queued (a pending commit status): its end is announced too.
          if (observer_ != nullptr) observer_->OnJobCompleted(r.run, completed.value());
        }
      } else if (row.value().status == "in_progress") {
        (void)ctx_.store->RequestJobCancel(it->second);
      }
    }
    for (const engine::Runnable& one : r.state->TakeRunnable(-1)) {
      progress = true;
      store::Job row;
      row.run_id = r.run.id;
      row.attempt = r.run.attempt;
      row.job_id = one.job.job_id;
      row.instance = one.job.instance;
      row.name = one.job.display_name;
      row.matrix = JsonText(one.job.matrix);
      row.strategy = JsonText(one.job.strategy);
      row.needs = JsonText(one.job.needs);
      row.labels = nlohmann::json(one.runs_on).dump();
      row.created_at = ctx_.now_ms();
      bool job_cancel_in_progress = false;
      row.concurrency_group = JobGroup(r, one, &job_cancel_in_progress);
      auto carried = r.carry.find({row.job_id, row.instance});
      // An environment with protection rules holds the job back ("waiting") until they pass.
      const std::string& environment = one.job.environment;
      const bool gated = carried == r.carry.end() && !environment.empty();
      EnvironmentGate gate;
      if (gated) {
        auto g = PrepareEnvironment(r.run, environment);
        if (!g.ok()) return g.status();
        gate = std::move(g).value();
        if (gate.wait || !gate.error.empty()) row.status = "waiting";
      }
      if (carried == r.carry.end()) {
        nlohmann::json spec = Spec(r, row, one.deployment);
        if (gated) spec["environment"] = {{"name", environment}, {"url", one.job.environment_url}};
        row.spec = spec.dump();
      }
      if (carried != r.carry.end()) {
        const store::Job& prev = carried->second;
        row.started_at = prev.started_at;
        row.executor = prev.executor;
      }
      auto stored = ctx_.store->UpsertJob(row);
      if (!stored.ok()) return stored.status();
      r.rows[one.id] = stored.value().id;
      if (gated) {
        const store::Job& st = stored.value();
        if (auto s = RecordEnvironment(st, environment, one.job.environment_url, gate); !s.ok()) {
          return s;
        }
        if (!gate.error.empty() && st.status == "waiting") {
          store::Job done = st;
          done.conclusion = "failure";
          done.error = gate.error;
          done.completed_at = ctx_.now_ms();
          auto completed = ctx_.store->CompleteJob(done);
          if (!completed.ok()) return completed.status();
          r.completed.insert(done.id);
          if (auto s = r.state->Finish(one.id, ReportOf(completed.value())); !s.ok()) return s;
          continue;
        }
        if (st.status == "waiting") {
          r.running.insert(one.id);
          // A check (pending commit status) and a deployment waiting for review, as on GitHub.
          if (observer_ != nullptr) observer_->OnJobQueued(r.run, st);
          continue;
        }
      }
      if (carried != r.carry.end() && stored.value().status == "queued") {
        store::Job done = stored.value();
        done.conclusion = carried->second.conclusion;
        done.outputs = carried->second.outputs;
        done.summary = carried->second.summary;
        done.started_at = carried->second.started_at;
        done.completed_at = carried->second.completed_at;
        done.executor = carried->second.executor;
        auto completed = ctx_.store->CompleteJob(done);
        if (!completed.ok()) return completed.status();
        r.completed.insert(done.id);
        if (auto s = r.state->Finish(one.id, ReportOf(completed.value())); !s.ok()) return s;
        continue;
      }
      r.running.insert(one.id);
      queued = true;
      if (!stored.value().concurrency_group.empty() && stored.value().status == "queued") {
        EnterJobGroup(r, stored.value(), job_cancel_in_progress);
      }
      if (observer_ != nullptr) observer_->OnJobQueued(r.run, stored.value());
    }
    if (!progress) break;
  }
  if (queued) ctx_.notifier->Publish("queue");
  if (r.state->Done() && !r.done) {
    r.done = true;
    engine::RunReport report = r.state->Report();
    // As committed: another replica may have started or cancelled it.
    auto fresh = ctx_.store->GetRun(r.run.id);
    if (fresh.ok()) r.run = fresh.value();
    store::Run run = r.run;
    run.status = "completed";
    run.conclusion =
        run.cancel_requested ? "cancelled" : engine::ConclusionName(report.conclusion());
    if (run.started_at == 0) run.started_at = ctx_.now_ms();
    run.completed_at = ctx_.now_ms();
    if (auto s = ctx_.store->UpdateRun(run); !s.ok()) return s;
    r.run = run;
    // The group's next run (on any replica) may start.
    if (!r.group.empty()) ctx_.notifier->Publish("advance");
    if (observer_ != nullptr) observer_->OnRunCompleted(r.run);
    std::error_code ec;
    std::filesystem::remove_all(r.options.run_dir, ec);
    std::lock_guard<std::mutex> g(mu_);
    runs_.erase(r.run.id);
    trim_pending_ = true;
  }
  ctx_.notifier->Publish("run:" + std::to_string(r.run.id));
  return core::Status::Ok();
}

std::shared_ptr<Scheduler::ActiveRun> Scheduler::Find(store::Id run_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = runs_.find(run_id);
  return it == runs_.end() ? nullptr : it->second;
}

std::string Scheduler::MetricsText() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string text =
      "# HELP gantry_jobs_completed_total Jobs that ran and completed, by conclusion.\n"
      "# TYPE gantry_jobs_completed_total counter\n";
  for (const char* c : {"success", "failure", "cancelled", "skipped"}) {
    auto it = completed_.find(c);
    text += std::string("gantry_jobs_completed_total{conclusion=\"") + c + "\"} " +
            std::to_string(it == completed_.end() ? 0 : it->second) + "\n";
  }
  text += "# HELP gantry_leases_total Jobs handed to executors.\n";
  text += "# TYPE gantry_leases_total counter\n";
  text += "gantry_leases_total " + std::to_string(leases_) + "\n";
  return text;
}

core::Status Scheduler::FinishRow(ActiveRun& r, const store::Job& row) {
  engine::InstanceId id{r.state->JobIndex(row.job_id), row.instance};
  r.completed.insert(row.id);
  if (r.running.erase(id) == 0) return core::Status::Ok();  // finished already
  if (auto s = r.state->Finish(id, ReportOf(row)); !s.ok()) return s;
  {
    std::lock_guard<std::mutex> g(mu_);
    ++completed_[row.conclusion];
  }
  if (observer_ != nullptr) observer_->OnJobCompleted(r.run, row);
  return Advance(r);
}

core::Status Scheduler::Recover(const store::Run& run, bool restarted) {
  auto project = ctx_.store->GetProject(run.project_id);
  if (!project.ok()) return project.status();
  auto workflow = LoadWorkflow(project.value(), run);
  if (!workflow.ok()) return workflow.status();
  std::unique_ptr<ActiveRun> built;
  if (auto s = Build(run, std::move(workflow).value(), &built); !s.ok()) return s;
  std::shared_ptr<ActiveRun> r(std::move(built));
  std::lock_guard<std::mutex> lock(r->mu);
  {
    std::lock_guard<std::mutex> g(mu_);
    runs_[run.id] = r;
  }
  if (run.status == "pending") {
    // Still waiting for its group: nothing of it was queued.
    r->pending = true;
    if (run.cancel_requested) return EndPending(*r);
    return TryAdmit(*r);
  }
  auto jobs = ctx_.store->ListJobs(run.id, run.attempt);
  if (!jobs.ok()) return jobs.status();
  std::vector<store::Job> rows = std::move(jobs).value();
  // Jobs this replica's embedded executor ran when it stopped: their processes are gone.
  // Those of other executors go on; a lost one's lease expires.
  const std::string mine = EmbeddedLeasePrefix();
  for (store::Job& row : rows) {
    if (!restarted || row.status != "in_progress" || row.lease_id.rfind(mine, 0) != 0) continue;
    row.conclusion = "failure";
    row.error = "the server stopped while the job ran";
    row.completed_at = ctx_.now_ms();
    auto done = ctx_.store->CompleteJob(row);
    if (done.ok()) row = done.value();
  }
  std::vector<const store::Job*> completed;
  for (const store::Job& row : rows) {
    if (row.status == "completed" && row.completion_seq > 0) completed.push_back(&row);
  }
  std::sort(completed.begin(), completed.end(), [](const store::Job* a, const store::Job* b) {
    return a->completion_seq < b->completion_seq;
  });
  r->state->Begin();
  if (auto s = Advance(*r); !s.ok()) return s;
  if (run.cancel_requested) r->state->CancelRun();
  for (const store::Job* row : completed) {
    // Rows the state itself ended (skipped ...) come back from Advance; the rest are
    // completions an executor (or the restart above) reported, replayed in their order.
    engine::InstanceId id{r->state->JobIndex(row->job_id), row->instance};
    r->completed.insert(row->id);
    if (r->running.erase(id) == 0) continue;
    if (auto s = r->state->Finish(id, ReportOf(*row)); !s.ok()) return s;
    if (auto s = Advance(*r); !s.ok()) return s;
  }
  return Advance(*r);
}

core::Status Scheduler::Cancel(store::Id run_id) { return CancelWith(run_id, ""); }

core::Status Scheduler::CancelWith(store::Id run_id, const std::string& why) {
  if (auto s = ctx_.store->RequestCancel(run_id); !s.ok()) return s;
  auto r = Find(run_id);
  if (!r) {
    // Completed, or driven by another replica: its owner applies the request.
    ctx_.notifier->Publish("advance");
    return core::Status::Ok();
  }
  std::lock_guard<std::mutex> lock(r->mu);
  if (r->done) return core::Status::Ok();
  if (r->pending) {
    if (!why.empty()) r->run.error = why;
    r->run.cancel_requested = true;
    auto fresh = ctx_.store->GetRun(run_id);
    store::Run run = fresh.ok() ? fresh.value() : r->run;
    if (run.error.empty()) run.error = why.empty() ? "The run was cancelled." : why;
    (void)ctx_.store->UpdateRun(run);
    return EndPending(*r);
  }
  r->run.cancel_requested = true;
  r->state->CancelRun();
  return Advance(*r);
}

core::Result<store::Run> Scheduler::Rerun(store::Id run_id, bool failed_only) {
  return RerunCarrying(run_id, [failed_only](const store::Job& prev) {
    return failed_only && prev.conclusion == "success";
  });
}

core::Result<store::Run> Scheduler::RerunJob(store::Id job_row_id) {
  auto target = ctx_.store->GetJob(job_row_id);
  if (!target.ok()) return target.status();
  auto run = ctx_.store->GetRun(target.value().run_id);
  if (!run.ok()) return run.status();
  auto jobs = ctx_.store->ListJobs(run.value().id, run.value().attempt);
  if (!jobs.ok()) return jobs.status();
  // The job ids to run again: the target's and, transitively, those of the jobs needing it.
  std::set<std::string> again = {target.value().job_id};
  for (bool grew = true; grew;) {
    grew = false;
    for (const store::Job& j : jobs.value()) {
      if (again.count(j.job_id) != 0) continue;
      nlohmann::json needs =
          nlohmann::json::parse(j.needs.empty() ? "null" : j.needs, nullptr, false);
      // The row keeps its `needs` context: {"build": {"result": ..., "outputs": ...}}.
      if (!needs.is_object()) continue;
      for (const auto& [name, value] : needs.items()) {
        if (again.count(name) != 0) {
          again.insert(j.job_id);
          grew = true;
          break;
        }
      }
    }
  }
  const store::Job picked = target.value();
  return RerunCarrying(run.value().id, [again, picked](const store::Job& prev) {
    if (prev.job_id == picked.job_id) return prev.instance != picked.instance;
    return again.count(prev.job_id) == 0;
  });
}

core::Result<store::Run> Scheduler::RerunCarrying(
    store::Id run_id, const std::function<bool(const store::Job&)>& carry) {
  if (auto active = Find(run_id)) {
    // It may be finishing right now (its last decisions are being committed).
    std::lock_guard<std::mutex> lock(active->mu);
    if (!active->done) {
      return core::Status::InvalidArgument("the run is still in progress: cancel it first");
    }
  }
  auto old = ctx_.store->GetRun(run_id);
  if (!old.ok()) return old.status();
  if (old.value().status != "completed") {
    return core::Status::InvalidArgument("the run is still in progress: cancel it first");
  }
  auto previous = ctx_.store->ListJobs(run_id, old.value().attempt);
  if (!previous.ok()) return previous.status();
  auto project = ctx_.store->GetProject(old.value().project_id);
  if (!project.ok()) return project.status();
  auto workflow = LoadWorkflow(project.value(), old.value());
  if (!workflow.ok()) return workflow.status();
  // Claimed before it becomes active again, so no other replica takes it over meanwhile.
  if (auto s = ctx_.store->SetRunOwner(run_id, options_.replica_id, OwnerExpiry()); !s.ok()) {
    return s;
  }
  auto run = ctx_.store->NewAttempt(run_id);
  if (!run.ok()) return run.status();
  std::unique_ptr<ActiveRun> built;
  if (auto s = Build(run.value(), std::move(workflow).value(), &built); !s.ok()) return s;
  std::shared_ptr<ActiveRun> r(std::move(built));
  std::lock_guard<std::mutex> lock(r->mu);
  {
    std::lock_guard<std::mutex> g(mu_);
    runs_[run_id] = r;
  }
  for (const store::Job& prev : previous.value()) {
    if (carry(prev)) r->carry[{prev.job_id, prev.instance}] = prev;
  }
  // A re-run enters its workflow's concurrency group again, as on GitHub.
  if (!r->group.empty()) {
    if (auto s = EnterGroup(*r); !s.ok()) return s;
    return r->run;
  }
  r->state->Begin();
  if (auto s = Advance(*r); !s.ok()) return s;
  return r->run;
}

core::Result<std::optional<LeasedJob>> Scheduler::Lease(const store::Executor& executor,
                                                        std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    uint64_t version = ctx_.notifier->Version("queue");
    auto queued = ctx_.store->ListQueuedJobs(64);
    if (!queued.ok()) return queued.status();
    std::vector<store::Id> candidates;
    const std::vector<std::string> mine = LabelsFromJson(executor.labels);
    for (const store::Job& j : queued.value()) {
      if (ExecutorTakes(mine, LabelsFromJson(j.labels))) candidates.push_back(j.id);
    }
    if (!candidates.empty()) {
      store::LeaseRequest request;
      request.executor = executor.name;
      request.lease_id =
          (executor.name == "embedded" ? EmbeddedLeasePrefix() : "") + crypto::RandomHex(16);
      request.now = ctx_.now_ms();
      // Until its first heartbeat the lease lasts the acknowledgement window only, and an
      // expiry at exactly started_at + that window means it was never acknowledged.
      request.expires_at = request.now + AckWindowMs();
      auto leased = ctx_.store->LeaseJob(candidates, request);
      if (!leased.ok()) return leased.status();
      if (leased.value()) {
        store::Job job = *leased.value();
        (void)ctx_.store->StartRun(job.run_id, ctx_.now_ms());
        auto spec = LeaseSpec(job);
        if (!spec.ok()) {
          (void)CompleteRow(job, "failure", spec.status().message());
          continue;
        }
        {
          std::lock_guard<std::mutex> g(mu_);
          ++leases_;
        }
        if (observer_ != nullptr) observer_->OnJobStarted(job);
        LeasedJob out{job, std::move(spec).value()};
        ctx_.notifier->Publish("run:" + std::to_string(job.run_id));
        return std::optional<LeasedJob>(std::move(out));
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ctx_.notifier->shut_down() || stop_.cancelled()) {
      return std::optional<LeasedJob>();
    }
    ctx_.notifier->Wait("queue", version, left);
  }
}

core::Result<bool> Scheduler::Heartbeat(store::Id job_id, const std::string& lease_id) {
  int64_t expires = ctx_.now_ms() + int64_t{options_.lease_seconds} * 1000;
  if (auto s = ctx_.store->RenewLease(job_id, lease_id, expires); !s.ok()) return s;
  auto job = ctx_.store->GetJob(job_id);
  if (!job.ok()) return job.status();
  // Only the job's own flag: the run's owner sets it on the jobs that were running when the
  // run was cancelled (RequestJobCancel in Advance). A job started after the cancel (an
  // `if: always()` teardown) must run to its end, as on GitHub.
  return job.value().cancel_requested;
}

core::Status Scheduler::Apply(const store::Job& done) {
  // A job waiting for this one's group may be leased now.
  if (!done.concurrency_group.empty()) ctx_.notifier->Publish("queue");
  auto r = Find(done.run_id);
  if (!r) {
    ctx_.notifier->Publish("advance");  // the run's owner is another replica
    return core::Status::Ok();
  }
  std::lock_guard<std::mutex> lock(r->mu);
  return FinishRow(*r, done);
}

core::Status Scheduler::CompleteRow(store::Job row, const std::string& conclusion,
                                    const std::string& error) {
  row.conclusion = conclusion;
  row.error = error;
  row.completed_at = ctx_.now_ms();
  auto done = ctx_.store->CompleteJob(row);
  if (!done.ok()) return done.status();
  return Apply(done.value());
}

core::Status Scheduler::Complete(store::Id job_id, const std::string& lease_id,
                                 const store::Job& result) {
  auto job = ctx_.store->GetJob(job_id);
  if (!job.ok()) return job.status();
  if (job.value().status == "completed") return core::Status::Ok();  // a retried call
  if (job.value().lease_id != lease_id) {
    return core::Status::NotFound("the lease no longer holds the job");
  }
  store::Job row = job.value();
  row.conclusion = result.conclusion;
  row.outputs = result.outputs;
  row.error = result.error;
  row.summary = result.summary;
  row.continued_on_error = result.continued_on_error;
  row.completed_at = ctx_.now_ms();
  auto done = ctx_.store->CompleteJob(row);
  if (!done.ok()) {
    if (done.status().code() == core::StatusCode::kInvalidArgument) return core::Status::Ok();
    return done.status();
  }
  ctx_.notifier->Publish("job:" + std::to_string(job_id));
  return Apply(done.value());
}

void Scheduler::ExpireLoop() {
  int64_t renewed_at = ctx_.now_ms();
  uint64_t seen = ctx_.notifier->Version("advance");
  while (!stop_.cancelled()) {
    // Once a second, or at once when another replica committed something for a run this one
    // drives (with a notifier that reaches across replicas).
    seen = ctx_.notifier->Wait("advance", seen, std::chrono::seconds(1));
    if (stop_.cancelled()) break;
    const int64_t now = ctx_.now_ms();
    if (now - renewed_at >= int64_t{options_.owner_seconds} * 1000 / 3) {
      if (ctx_.store->RenewRunOwnership(options_.replica_id, OwnerExpiry()).ok()) renewed_at = now;
    }
    Sync();
    ExpireLeases();
    CheckEnvironmentGates();
    // Once no run is active, what the runs allocated goes back to the system: glibc keeps
    // freed memory in each thread's arena (a burst of 1,000 runs left ~20 MB held, 5 MB used).
    bool idle = false;
    {
      std::lock_guard<std::mutex> g(mu_);
      idle = runs_.empty() && trim_pending_;
      if (idle) trim_pending_ = false;
    }
    if (idle) malloc_trim(0);
  }
}

void Scheduler::Sync() {
  // Runs whose owner stopped renewing its claim (a replica that died) are taken over.
  auto orphans = ctx_.store->ClaimRuns(options_.replica_id, ctx_.now_ms(), OwnerExpiry(), false);
  if (orphans.ok()) {
    for (const store::Run& run : orphans.value()) {
      if (Find(run.id)) continue;
      std::cerr << "gantry server: run " << run.id << " lost the replica driving it: this replica ("
                << options_.replica_id << ") takes it over\n";
      if (auto s = Recover(run, false); !s.ok()) {
        std::cerr << "gantry server: run " << run.id << " cannot be taken over: " << s.message()
                  << "\n";
      }
    }
  }
  // Completions and cancels other replicas committed for runs this one drives.
  auto progress = ctx_.store->ListRunProgress(options_.replica_id);
  if (!progress.ok()) return;
  // A run this replica drives that the database no longer gives it (it went silent for a
  // claim period and another replica took the run over) is left to its new owner.
  std::set<store::Id> owned;
  for (const store::RunProgress& p : progress.value()) owned.insert(p.run_id);
  const int64_t settled = ctx_.now_ms() - int64_t{options_.owner_seconds} * 1000;
  {
    std::lock_guard<std::mutex> g(mu_);
    for (auto it = runs_.begin(); it != runs_.end();) {
      if (owned.count(it->first) == 0 && it->second->since < settled) {
        std::cerr << "gantry server: run " << it->first
                  << " is driven by another replica now: this one lets it go\n";
        it = runs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const store::RunProgress& p : progress.value()) {
    auto r = Find(p.run_id);
    if (!r) continue;
    std::lock_guard<std::mutex> lock(r->mu);
    if (r->done) continue;
    if (r->pending) {
      if (p.cancel_requested) {
        (void)EndPending(*r);
      } else {
        (void)TryAdmit(*r);
      }
      continue;
    }
    if (p.cancel_requested && !r->run.cancel_requested) {
      r->run.cancel_requested = true;
      r->state->CancelRun();
      (void)Advance(*r);
    }
    // Completions are applied in their order whichever replica committed them, so the owner
    // counts the rows it knows are done rather than trusting the newest sequence number.
    if (p.completed_jobs <= static_cast<int64_t>(r->completed.size())) continue;
    auto rows = ctx_.store->ListJobs(r->run.id, r->run.attempt);
    if (!rows.ok()) continue;
    std::vector<store::Job> completed;
    for (store::Job& row : rows.value()) {
      if (row.status == "completed" && r->completed.count(row.id) == 0) {
        completed.push_back(std::move(row));
      }
    }
    std::sort(completed.begin(), completed.end(), [](const store::Job& a, const store::Job& b) {
      return a.completion_seq < b.completion_seq;
    });
    for (const store::Job& row : completed) {
      if (r->done) break;
      r->completed.insert(row.id);  // also a row the state ended itself
      (void)FinishRow(*r, row);
    }
  }
}

void Scheduler::ExpireLeases() {
  auto expired = ctx_.store->ListExpiredLeases(ctx_.now_ms());
  if (!expired.ok()) return;
  const int64_t ack_ms = AckWindowMs();
  for (const store::Job& job : expired.value()) {
    if (job.lease_expires_at == job.started_at + ack_ms) {
      // Never acknowledged: nothing of it ran. Back to the queue for any executor.
      if (ctx_.store->RequeueJob(job.id, job.lease_id, job.lease_expires_at, false).ok()) {
        std::cerr << "gantry server: job " << job.id << " was leased to '" << job.executor
                  << "', which never acknowledged it: queued again\n";
        ctx_.notifier->Publish("queue");
        ctx_.notifier->Publish("run:" + std::to_string(job.run_id));
      }
      continue;
    }
    // Acknowledged and then silent: the executor is lost (killed, its machine gone, cut off).
    const std::vector<std::string> labels = LabelsFromJson(job.labels);
    bool requeue =
        job.requeues < options_.max_requeues &&
        std::any_of(labels.begin(), labels.end(), [&](const std::string& l) {
          return std::find(options_.requeue_labels.begin(), options_.requeue_labels.end(), l) !=
                 options_.requeue_labels.end();
        });
    if (requeue && ctx_.store->RequeueJob(job.id, job.lease_id, job.lease_expires_at, true).ok()) {
      store::LogChunk note;
      note.job_id = job.id;
      note.seq = -(job.requeues + 1);
      note.data = "##[warning]Executor lost: '" + job.executor +
                  "' stopped answering and its lease expired. The job was queued again (" +
                  std::to_string(job.requeues + 1) + " of " +
                  std::to_string(options_.max_requeues) + ").\n";
      (void)ctx_.store->AppendLogs(job.id, {note});
      std::cerr << "gantry server: job " << job.id << " lost its executor '" << job.executor
                << "': queued again\n";
      ctx_.notifier->Publish("queue");
      ctx_.notifier->Publish("job:" + std::to_string(job.id));
      ctx_.notifier->Publish("run:" + std::to_string(job.run_id));
      continue;
    }
    // Unless a heartbeat renewed the lease since it was listed (the window left is the time
    // between this read and the completion).
    auto now_row = ctx_.store->GetJob(job.id);
    if (!now_row.ok() || now_row.value().lease_id != job.lease_id ||
        now_row.value().lease_expires_at != job.lease_expires_at) {
      continue;
    }
    (void)CompleteRow(
        job, "failure",
        "Executor lost: '" + job.executor + "' stopped answering and its lease on the job expired");
  }
}

void Scheduler::EnterJobGroup(ActiveRun& r, const store::Job& job, bool cancel_in_progress) {
  auto listed = ctx_.store->ListGroupJobs(r.run.project_id, job.concurrency_group);
  if (!listed.ok()) return;
  // The job holding the group is the one in progress or, with none, the oldest queued one
  // (leases take the oldest first): the others queued are the ones waiting.
  bool held = false;
  for (const store::Job& o : listed.value()) held = held || o.status == "in_progress";
  std::vector<engine::GroupMember> group;
  for (const store::Job& o : listed.value()) {
    if (o.id == job.id) continue;
    bool waiting = o.status == "queued" && held;
    if (o.status == "queued") held = true;
    group.push_back({o.id, waiting, o.cancel_requested});
  }
  engine::GroupEntry entry = engine::EnterGroup({job.id}, cancel_in_progress, group);
  bool changed = false;
  for (store::Id id : entry.cancel) {
    auto now_row = ctx_.store->GetJob(id);
    if (!now_row.ok()) continue;
    if (now_row.value().status == "in_progress") {
      changed = ctx_.store->RequestJobCancel(id).ok() || changed;
    } else if (now_row.value().status == "queued") {
      store::Job done = now_row.value();
      done.conclusion = "cancelled";
      done.error = engine::GroupCancelMessage(job.concurrency_group);
      done.completed_at = ctx_.now_ms();
      changed = ctx_.store->CompleteJob(done).ok() || changed;
    }
  }
  // Each run's owner (this replica too) applies the completions in its next Sync.
  if (changed) ctx_.notifier->Publish("advance");
}

std::string Scheduler::JobGroup(ActiveRun& r, const engine::Runnable& one,
                                bool* cancel_in_progress) {
  const engine::PlannedJob* planned = r.plan.Find(one.job.job_id);
  if (planned == nullptr) return "";
  auto group = engine::JobConcurrency(*r.setup, *planned, one.job);
  if (!group.ok()) {
    // The group cannot be told: the job runs without one rather than never.
    std::cerr << "gantry server: run " << r.run.id << " job " << one.job.job_id
              << ": concurrency group: " << group.status().message() << "\n";
    return "";
  }
  *cancel_in_progress = group->cancel_in_progress;
  return std::move(group)->group;
}

nlohmann::json Scheduler::Spec(ActiveRun& r, const store::Job& job,
                               const std::optional<engine::EnvironmentRef>& environment) {
  nlohmann::json spec;
  spec["run_id"] = job.run_id;
  spec["attempt"] = job.attempt;
  spec["project"] = r.project.owner + "/" + r.project.name;
  auto read =
      ctx_.mirrors->ReadFile(r.project.owner, r.project.name, r.run.sha, r.run.workflow_file);
  std::string yaml = read.ok() ? read.value() : "";
  spec["workflow"] = {{"file", r.run.workflow_file}, {"yaml", yaml}};
  spec["job_id"] = job.job_id;
  spec["instance"] = job.instance;
  spec["display_name"] = job.name;
  auto parse = [](const std::string& text) {
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    return j.is_discarded() ? nlohmann::json::object() : j;
  };
  spec["matrix"] = parse(job.matrix);
  spec["strategy"] = parse(job.strategy);
  spec["needs"] = parse(job.needs);
  nlohmann::json github = nlohmann::json::parse(r.options.github.ToJsonText(), nullptr, false);
  spec["github"] = github;
  nlohmann::json vars = nlohmann::json::object();
  for (const auto& [k, v] : r.options.vars) vars[k] = v;
  spec["vars"] = vars;
  spec["inputs"] = parse(r.run.inputs);
  spec["secret_names"] = SecretNames(yaml, *r.workflow, job.job_id);
  spec["repository"] = {{"sha", r.run.sha}, {"ref", r.run.ref}};
  // Where the job deploys (the deployment recorder reads it back from the stored spec).
  if (environment) spec["environment"] = {{"name", environment->name}, {"url", environment->url}};
  return spec;
}

core::Result<nlohmann::json> Scheduler::LeaseSpec(const store::Job& job) {
  nlohmann::json spec = nlohmann::json::parse(job.spec, nullptr, false);
  if (!spec.is_object()) {
    return core::Status::InvalidArgument(
        "the job was queued by a server older than this one and carries no spec: re-run it");
  }
  auto run = ctx_.store->GetRun(job.run_id);
  if (!run.ok()) return run.status();
  auto p = ctx_.store->GetProject(run.value().project_id);
  if (!p.ok()) return p.status();
  const store::Project& pr = p.value();
  // The commit must be in this replica's mirror (another replica may have received the push):
  // reading at it fetches it when it is missing.
  (void)ctx_.mirrors->ReadFile(pr.owner, pr.name, run.value().sha, run.value().workflow_file);
  spec["id"] = job.id;
  spec["secrets"] = JobSecrets(ctx_, pr.id, spec.value("secret_names", nlohmann::json()));
  if (auto s = AddEnvironmentSecrets(pr.id, spec); !s.ok()) return s;
  spec.erase("secret_names");
  spec["repository"]["url"] = ctx_.mirrors->PathFor(pr.owner, pr.name);
  return spec;
}

}  // namespace gantry::server
