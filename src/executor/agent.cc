#include "executor/agent.h"

#include <poll.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "actions/builtins.h"
#include "actions/docker_host.h"
#include "core/masker.h"
#include "executor/artifact_zip.h"
#include "executor/heartbeat.h"
#include "executor/job_setup.h"

namespace gantry::executor {

namespace fs = std::filesystem;
using core::Status;

/// A job being run, as Run's stop reaches it.
struct Agent::ActiveJob {
  backend::CancelToken cancel;
};

namespace {

engine::JobReport FailedReport(const JobSpec& spec, std::string error) {
  engine::JobReport r;
  r.key = {spec.job_id, spec.instance, spec.display_name};
  r.conclusion = engine::Conclusion::kFailure;
  r.error = std::move(error);
  return r;
}

void MaskReport(engine::JobReport& job, const core::Masker& masker) {
  job.failed_step = masker.Mask(job.failed_step);
  job.error = masker.Mask(job.error);
  job.summary = masker.Mask(job.summary);
  for (auto& [k, v] : job.outputs) v = masker.Mask(v);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

Agent::Agent(AgentOptions options, AgentDeps deps)
    : options_(std::move(options)), deps_(std::move(deps)) {
  options_.capacity = std::max(1, options_.capacity);
  if (options_.action_cache_dir.empty())
    options_.action_cache_dir = options_.work_dir + "/_actions";
  if (options_.cache_dir.empty()) options_.cache_dir = options_.work_dir + "/_cache";
  client_ = std::make_unique<ProtocolClient>(*deps_.transport, options_.token, options_.retry);
}

Agent::~Agent() = default;

core::Status Agent::Run(const backend::CancelToken& stop) {
  std::error_code ec;
  fs::create_directories(options_.work_dir, ec);
  if (ec) return Status::Internal("cannot create the work dir " + options_.work_dir);
  // `stop` and Drain() both end the leasing through halt_, which also interrupts a lease
  // long-poll in flight; the watcher turns `stop` into halt_.
  backend::CancelToken run_done;
  std::thread watcher([&] { WatchStop(stop, run_done); });
  std::list<std::thread> threads;
  std::list<std::thread::id> finished;  // GUARDED_BY(mu_)
  Status error;
  int failures = 0;
  while (!halt_.cancelled()) {
    int free = 0;
    {
      std::unique_lock lock(mu_);
      // A full executor waits for a slot; a finishing job, Drain() and `stop` wake it.
      cv_.wait(lock, [&] { return running_ < options_.capacity || halt_.cancelled(); });
      free = options_.capacity - running_;
      for (auto id : finished) {
        auto it = std::find_if(threads.begin(), threads.end(),
                               [&](const std::thread& t) { return t.get_id() == id; });
        if (it != threads.end()) {
          it->join();
          threads.erase(it);
        }
      }
      finished.clear();
    }
    if (halt_.cancelled()) break;
    const auto asked = std::chrono::steady_clock::now();
    auto lease = client_->LeaseJob(free, options_.labels, options_.wait_seconds, &halt_);
    if (!lease.ok()) {
      if (lease.status().code() == core::StatusCode::kCancelled) break;
      if (lease.status().code() == core::StatusCode::kPermissionDenied) {
        error = lease.status();
        break;
      }
      // The server is away: ask again later, less and less often.
      Log(lease.status().message());
      RetryPolicy pause = options_.retry;
      pause.max_backoff = std::chrono::milliseconds(30000);
      auto wait = BackoffFor(pause, ++failures);
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, wait, [&] { return halt_.cancelled(); });
      continue;
    }
    failures = 0;
    if (!lease->has_value()) {
      // A server that answers "no job" without holding the request is not asked in a hot loop.
      if (options_.wait_seconds > 0 &&
          std::chrono::steady_clock::now() - asked < std::chrono::milliseconds(500)) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return halt_.cancelled(); });
      }
      continue;
    }
    // A job leased as the drain began is run like the others: the server gave it to us.
    std::lock_guard lock(mu_);
    ++running_;
    threads.emplace_back([this, l = std::move(**lease), &finished]() {
      RunLease(l);
      std::lock_guard done(mu_);
      --running_;
      finished.push_back(std::this_thread::get_id());
      cv_.notify_all();
    });
  }
  if (error.ok() && drain_.cancelled()) {
    std::unique_lock lock(mu_);
    if (running_ > 0) Log("draining: waiting for " + std::to_string(running_) + " job(s)");
    cv_.wait(lock, [&] { return running_ == 0 || stop.cancelled(); });
  }
  CancelAll();  // after a drain, only the jobs a `stop` interrupted are left
  for (std::thread& t : threads) t.join();
  run_done.Cancel();
  watcher.join();
  return error;
}

void Agent::Drain() {
  drain_.Cancel();
  halt_.Cancel();
  // Under mu_: a waiter checks halt_ with mu_ held, so it either sees it or gets this wake-up.
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

void Agent::WatchStop(const backend::CancelToken& stop, const backend::CancelToken& done) {
  std::array<pollfd, 2> fds{pollfd{stop.wait_fd(), POLLIN, 0}, pollfd{done.wait_fd(), POLLIN, 0}};
  while (!stop.cancelled() && !done.cancelled()) (void)poll(fds.data(), fds.size(), -1);
  if (!stop.cancelled()) return;
  halt_.Cancel();
  std::lock_guard lock(mu_);
  cv_.notify_all();
}

void Agent::CancelAll() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  for (ActiveJob* job : active_) job->cancel.Cancel();
}

void Agent::RunLease(const Lease& lease) {
  ActiveJob active;
  {
    std::lock_guard lock(mu_);
    if (stopping_) active.cancel.Cancel();
    active_.push_back(&active);
  }
  struct Unregister {
    Agent* agent;
    ActiveJob* job;
    ~Unregister() {
      std::lock_guard lock(agent->mu_);
      agent->active_.remove(job);
    }
  } unregister{this, &active};

  if (!lease.spec) {
    // A job we cannot even read: the server learns why it failed.
    Completion c;
    c.conclusion = engine::Conclusion::kFailure;
    c.error = "the executor could not read the job: " + lease.spec_error;
    if (lease.job_id > 0) (void)client_->Complete(lease.job_id, lease.lease_id, c);
    return;
  }
  const JobSpec& spec = *lease.spec;
  core::Masker masker;
  for (const auto& [name, value] : spec.secrets) masker.Add(value);
  // Only the clone's git sees the executor token; should git ever quote it, it is masked too.
  masker.Add(options_.token);
  std::optional<JobDirs> dirs;
  auto made = MakeJobDirs(options_.work_dir, spec.id);
  if (made.ok()) dirs = *made;
  LogUploaderOptions log_options = options_.logs;
  log_options.debug = options_.verbose || IsTrueIn(spec.secrets, "ACTIONS_STEP_DEBUG") ||
                      IsTrueIn(spec.vars, "ACTIONS_STEP_DEBUG");
  // What the server cannot take right away waits in the job's directory, masked.
  if (dirs && log_options.spool_path.empty()) log_options.spool_path = dirs->root + "/log.spool";
  log_options.masker = &masker;
  if (!log_options.log) log_options.log = [this](std::string_view line) { Log(std::string(line)); };
  LogUploader uploader(*client_, spec.id, lease.lease_id, log_options,
                       [&active] { active.cancel.Cancel(); });
  // The lease is kept until the completion call: artifact uploads and the last logs may take
  // longer than a lease period.
  Heartbeat heartbeat(*client_, spec.id, lease.lease_id, lease.lease_seconds,
                      lease.heartbeat_seconds, active.cancel);
  // Nothing of the job runs before the server has the lease acknowledged (a heartbeat answered):
  // a lease it never saw acknowledged it queues again, and the job would run twice.
  const bool acknowledged = heartbeat.WaitAcknowledged();

  engine::JobReport report;
  std::optional<RunArtifactFetcher> artifacts;
  if (!acknowledged) {
    Log("job " + std::to_string(spec.id) +
        ": the lease was not acknowledged (lost, or the executor stops); the job was not run");
  } else if (!made.ok()) {
    report = FailedReport(spec, made.status().message());
  } else {
    artifacts.emplace(*client_, spec.id, lease.lease_id, dirs->artifacts);
    report = RunJob(spec, *dirs, masker, uploader, active.cancel, &*artifacts);
  }
  if (report.conclusion == engine::Conclusion::kCancelled && !heartbeat.cancel_requested() &&
      report.error.empty()) {
    std::lock_guard lock(mu_);
    if (stopping_) report.error = "the executor was stopped while the job ran";
  }
  MaskReport(report, masker);
  bool lost = !acknowledged || heartbeat.lease_lost() || uploader.lease_lost();
  if (!lost) {
    lost = !Report(spec, lease, report, dirs, masker, uploader, artifacts ? &*artifacts : nullptr);
  }
  if (lost) {
    uploader.Abandon();
    if (acknowledged) {
      Log("job " + std::to_string(spec.id) + ": the lease was lost; the job was stopped");
    }
  }
  bool keep = options_.keep_failed && (lost || report.conclusion == engine::Conclusion::kFailure);
  if (dirs && !keep) {
    std::error_code ec;
    fs::remove_all(dirs->root, ec);
  }
}

bool Agent::Report(const JobSpec& spec, const Lease& lease, const engine::JobReport& report,
                   const std::optional<JobDirs>& dirs, const core::Masker& masker,
                   LogUploader& uploader, const RunArtifactFetcher* fetched) {
  const std::string& lease_id = lease.lease_id;
  auto say = [&](std::string_view line) { uploader.WriteLine(-1, masker.Mask(line)); };
  const std::string job = "job " + std::to_string(spec.id) + ": ";
  if (report.conclusion != engine::Conclusion::kSuccess && !report.error.empty()) {
    say("##[error]" + report.error);
  }
  for (const StoredArtifact& artifact :
       dirs ? FindArtifacts(dirs->artifacts) : std::vector<StoredArtifact>()) {
    if (fetched != nullptr && fetched->Unchanged(artifact)) continue;  // the server has it
    std::string zip = dirs->root + "/artifact.zip";
    Status st = ZipDirectory(artifact.files_dir, zip);
    if (st.ok()) st = client_->UploadArtifact(spec.id, lease_id, artifact.name, ReadFile(zip));
    std::error_code ec;
    fs::remove(zip, ec);
    if (IsLeaseLost(st)) return false;
    if (!st.ok())
      say("##[warning]artifact " + artifact.name + " was not uploaded: " + st.message());
  }
  // A stopping agent (e.g. `gantry server` shutting down) bounds its last calls, so that a
  // server that is going away does not hold the shutdown for the whole retry policy.
  bool stopping = false;
  {
    std::lock_guard lock(mu_);
    stopping = stopping_;
  }
  const std::chrono::milliseconds budget =
      stopping ? std::chrono::milliseconds(5000) : std::chrono::milliseconds(0);
  // Every log chunk goes before the completion: once the server has it, it takes no more
  // lines. The drain goes on while the server takes batches, and gives up after a lease
  // period without one (the heartbeats give the lease up then too).
  DrainLimits drain;
  drain.idle = options_.log_drain_timeout.count() > 0
                   ? options_.log_drain_timeout
                   : std::chrono::milliseconds(std::max(1, lease.lease_seconds) * 1000);
  if (stopping) drain.idle = drain.total = std::min(budget, drain.idle);
  Status drained = uploader.Finish(drain);
  if (IsLeaseLost(drained)) return false;
  if (!drained.ok()) Log(job + drained.message());
  Completion c;
  c.conclusion = report.conclusion;
  c.outputs = report.outputs;
  c.error = report.error;
  if (!drained.ok() && c.error.empty())
    c.error = "the job's log is incomplete: " + drained.message();
  c.summary = report.summary;
  c.continued_on_error = report.continued_on_error;
  c.failed_step = report.failed_step;
  c.nested_jobs = uploader.nested_jobs();
  Status st = client_->Complete(spec.id, lease_id, c, budget);
  if (IsLeaseLost(st)) return false;
  if (!st.ok()) Log(job + "the completion was not delivered: " + st.message());
  return true;
}

void Agent::Log(const std::string& line) const {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "gantry executor: " << line << '\n';
  }
}

engine::JobReport Agent::RunJob(const JobSpec& spec, const JobDirs& dirs, core::Masker& masker,
                                LogUploader& uploader, const backend::CancelToken& cancel,
                                RunArtifactFetcher* artifacts) {
  auto say = [&](std::string_view line) { uploader.WriteLine(-1, masker.Mask(line)); };
  std::error_code ec;
  Status cloned = JobNeedsRepository(spec)
                      ? CloneRepository(*deps_.backend, spec, dirs.src, options_.token, say, cancel)
                      : (fs::create_directories(dirs.src, ec), Status::Ok());
  if (!cloned.ok()) {
    engine::JobReport r =
        FailedReport(spec, "cannot check out the repository: " + cloned.message());
    if (cloned.code() == core::StatusCode::kCancelled)
      r.conclusion = engine::Conclusion::kCancelled;
    return r;
  }
  auto plan = PlanJob(spec, dirs.src, deps_.fetcher.get());
  if (!plan.ok()) return FailedReport(spec, plan.status().message());

  actions::BuiltinOptions builtin_options;
  builtin_options.artifact_dir = dirs.artifacts;
  builtin_options.cache.dir = options_.cache_dir;
  if (artifacts != nullptr) {
    // Only a download of this run's artifacts needs those of the server, each fetched once.
    builtin_options.before_download = [artifacts](const engine::BuiltinCall& call) {
      std::string run_id = actions::GetInput(call, "run-id");
      if (!run_id.empty() && run_id != call.run_id) return Status::Ok();
      // A download by name needs that artifact only; by pattern or of all, every one.
      return artifacts->Fetch(call.run_id, actions::GetInput(call, "name"), call.log);
    };
  }
  std::unique_ptr<engine::BuiltinActions> builtins = actions::MakeBuiltinActions(builtin_options);
  // Containers of this job carry its own label, so the sweep below removes only its leftovers.
  actions::DockerContainerHost containers(
      "", actions::PullPolicy::kMissing,
      "executor-job-" + std::to_string(spec.id) + "-" + fs::path(dirs.root).filename().string());

  engine::RunOptions run;
  run.parallelism = 1;
  run.repository_dir = dirs.src;
  run.run_dir = dirs.run;
  run.github = spec.github;
  run.secrets = spec.secrets;
  run.vars = spec.vars;
  run.inputs = spec.inputs;
  run.base_env = BaseEnvironment();
  run.artifact_dir = dirs.artifacts;
  run.fetcher = deps_.fetcher.get();
  run.builtins = builtins.get();
  run.container_host = &containers;
  if (options_.backend == BackendKind::kDocker) {
    run.default_container_image = options_.default_container_image;
  }
  run.verbose = options_.verbose;
  run.masker = &masker;
  run.host_labels = nullptr;
  run.cancel = &cancel;
  engine::JobReport report = deps_.run_job(*plan, run, OneJobOf(spec), *deps_.backend, uploader);
  containers.Sweep([&](std::string_view line) { say(line); });
  return report;
}

}  // namespace gantry::executor
