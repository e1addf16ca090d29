#pragma once

// The job executor: leases jobs from the server, runs each with the engine (RunOneJob) in a
// workspace of its own, streams its logs and step transitions, uploads its artifacts and
// reports its completion. `gantry server` embeds one; `gantry executor` runs one elsewhere.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "core/masker.h"
#include "core/status.h"
#include "engine/actions.h"
#include "engine/plan.h"
#include "engine/run_observer.h"
#include "engine/run_one.h"
#include "engine/runner.h"
#include "executor/artifact_fetch.h"
#include "executor/client.h"
#include "executor/job_setup.h"
#include "executor/log_uploader.h"
#include "executor/transport.h"

namespace gantry::executor {

/// Where jobs' processes run.
enum class BackendKind {
  kHost,     // directly on this machine
  kSandbox,  // under bubblewrap (backend/sandbox): the host read-only but the work dir
  /// Every job in a container: its own `container:`, else one of default_container_image.
  /// The clone and the built-in actions run on this machine, on the mounted workspace.
  kDocker,
};

/// How an Agent works.
struct AgentOptions {
  std::string server_url;  // "http://127.0.0.1:8080"
  std::string token;       // the executor token
  std::vector<std::string> labels = {"self-hosted", "linux", "x64"};
  int capacity = 1;      // jobs at once (>= 1)
  std::string work_dir;  // jobs' workspaces are made under it (created when missing)
  BackendKind backend = BackendKind::kHost;
  /// kDocker: the image of the job container of a job without `container:` (or with an empty
  /// one); unused by the other backends.
  std::string default_container_image = "debian:bookworm";
  bool keep_failed = false;      // keep the workspace of a job that did not succeed
  int wait_seconds = 30;         // lease long-poll
  std::string action_cache_dir;  // remote actions; "" = <work_dir>/_actions
  std::string cache_dir;         // actions/cache; "" = <work_dir>/_cache
  std::string actions_url;       // base URL of remote actions; "" = the fetcher's default
  bool verbose = false;          // ::debug:: lines for every job
  /// A finished job's remaining logs (the spool included) are delivered before its completion
  /// as long as the server takes a batch at least this often; 0 = the lease period.
  std::chrono::milliseconds log_drain_timeout{0};
  RetryPolicy retry;
  LogUploaderOptions logs;
  /// Receives the agent's own messages (server unreachable, a completion not delivered...);
  /// unset: standard error. Called from several threads.
  std::function<void(std::string_view)> log;
};

/// Runs one job instance: engine::RunOneJob, or a fake in tests.
using RunJobFn = std::function<engine::JobReport(const engine::Plan&, const engine::RunOptions&,
                                                 const engine::OneJob&, backend::Backend&,
                                                 engine::RunObserver&)>;

/// What an Agent uses besides its options (replaceable in tests).
struct AgentDeps {
  std::unique_ptr<Transport> transport;
  RunJobFn run_job;
  std::unique_ptr<backend::Backend> backend;
  /// Fetches remote actions (shared by the jobs); nullptr: remote actions fail their step.
  std::unique_ptr<engine::ActionFetcher> fetcher;
};

/// The agent. Run may be called once; the other members are for Run's threads.
class Agent {
 public:
  Agent(AgentOptions options, AgentDeps deps);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  /// An agent talking to options.server_url over HTTP, running jobs with engine::RunOneJob on
  /// options.backend. InvalidArgument for unusable options (no URL, capacity < 1, no work
  /// dir); for kSandbox, MakeSandboxBackend's errors (Unavailable without bubblewrap); for
  /// kDocker, Unavailable naming DOCKER_HOST when no Docker engine answers there.
  static core::Result<std::unique_ptr<Agent>> Make(AgentOptions options);

  /// Leases and runs jobs, up to `capacity` at once, until `stop` fires or Drain() is called.
  /// On `stop`: cancels the running jobs (their always() steps still run), reports them
  /// (their last logs and the completion get 5 s each) and returns. On Drain(): leases no
  /// more, lets the running jobs finish and report normally, and returns once they have (a
  /// `stop` while they run cancels them as above). Errors: a rejected token
  /// (PermissionDenied) or an unusable work dir; a server that cannot be reached is waited for.
  core::Status Run(const backend::CancelToken& stop);

  /// Asks Run to drain: no new lease (a lease long-poll in flight is abandoned at once), the
  /// running jobs finish, then Run returns. Idempotent; thread-safe (not async-signal-safe:
  /// call it from a thread, not a signal handler). Before Run, Run then returns at once.
  void Drain();
  /// True once Drain() was called.
  bool draining() const { return drain_.cancelled(); }

  /// Runs one leased job to its completion call (what Run's job threads do); a job still
  /// running when Run's `stop` fires is cancelled.
  void RunLease(const Lease& lease);

 private:
  struct ActiveJob;

  /// Cancels every running job and those that start later (stop).
  void CancelAll();
  /// Watches `stop` for Run until `done` fires: fires halt_ and wakes cv_ when it does.
  void WatchStop(const backend::CancelToken& stop, const backend::CancelToken& done);
  /// Uploads the job's artifacts (not those `fetched` brought from the server unchanged),
  /// delivers its logs and completes it; false when the lease was lost on the way.
  bool Report(const JobSpec& spec, const Lease& lease, const engine::JobReport& report,
              const std::optional<JobDirs>& dirs, const core::Masker& masker, LogUploader& uploader,
              const RunArtifactFetcher* fetched);
  void Log(const std::string& line) const;
  /// Clones, plans and runs the job in `dirs`; set-up failures become a failed report.
  /// `artifacts` (may be nullptr) brings the run's artifacts when a download-artifact asks.
  engine::JobReport RunJob(const JobSpec& spec, const JobDirs& dirs, core::Masker& masker,
                           LogUploader& uploader, const backend::CancelToken& cancel,
                           RunArtifactFetcher* artifacts);

  AgentOptions options_;
  AgentDeps deps_;
  std::unique_ptr<ProtocolClient> client_;
  backend::CancelToken drain_;  // Drain() was called
  /// Fires on Drain() or Run's `stop`: no more leases; interrupts a lease long-poll.
  backend::CancelToken halt_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::list<ActiveJob*> active_;  // GUARDED_BY(mu_)
  int running_ = 0;               // GUARDED_BY(mu_)
  bool stopping_ = false;         // GUARDED_BY(mu_)
};

}  // namespace gantry::executor
