#pragma once

// What the agent does for a leased job before and after the engine runs it: the job's
// directories, the clone of its repository at its commit, its workflow and plan, and its
// artifacts.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "core/status.h"
#include "engine/actions.h"
#include "engine/plan.h"
#include "engine/run_one.h"
#include "executor/job_spec.h"

namespace gantry::executor {

/// The directories of one job: root/ holding src/ (the clone), run/ and artifacts/.
struct JobDirs {
  std::string root;
  std::string src;
  std::string run;
  std::string artifacts;
};

/// Creates a fresh <work_dir>/job-<id>-XXXXXX/ with its subdirectories (a job leased again
/// after a lost lease gets another). Internal naming the path when it cannot.
core::Result<JobDirs> MakeJobDirs(const std::string& work_dir, int64_t job_id);

/// Receives progress lines.
using LineFn = std::function<void(std::string_view)>;

/// False when the job can run without the repository: no job of its workflow calls a reusable
/// workflow, and its own steps are `run:` steps, waits and cancels, or uses of the built-in
/// artifact and cache actions — a job that never checks the code out starts in an empty
/// workspace on GitHub too, so the clone (several processes) is skipped.
bool JobNeedsRepository(const JobSpec& spec);

/// Whether the job may need more of the repository than its commit: its workflow calls a
/// reusable workflow, or one of its actions/checkout steps asks for a `ref`, `fetch-tags` or a
/// `fetch-depth` other than 1 (GitHub's default checkout has the commit alone).
bool JobNeedsHistory(const JobSpec& spec);

/// Clones spec's repository into `dest` (which must not exist) and checks out its sha,
/// fetching the ref when the sha is not on a branch. A local directory (the server's mirror,
/// embedded executor) is borrowed with --shared; an http(s) URL (the server's smart HTTP) is
/// fetched with `token` (the executor token) sent through git's environment only: the commit
/// alone (`--depth=1`) unless JobNeedsHistory, else all of it. With no
/// repository URL, creates `dest` empty. Errors name the command and quote git's output.
core::Status CloneRepository(backend::Backend& backend, const JobSpec& spec,
                             const std::string& dest, const std::string& token, const LineFn& log,
                             const backend::CancelToken& cancel);

/// Loads the spec's workflow (local reusable workflows from `repo_dir`, remote ones with
/// `fetcher` when it is not nullptr) and plans spec.job_id alone. InvalidArgument with the
/// diagnostics ("file:line:col: message", one a line) when the workflow does not load.
core::Result<engine::Plan> PlanJob(const JobSpec& spec, const std::string& repo_dir,
                                   engine::ActionFetcher* fetcher);

/// The job instance the server decided.
engine::OneJob OneJobOf(const JobSpec& spec);

/// What steps start from: the variables of this process's environment a runner machine would
/// have (PATH, HOME, USER, SHELL, LANG, LC_*, TZ, TMPDIR, TERM, DOCKER_HOST, proxies) and no
/// other: the process may be `gantry server`, whose environment holds its own secrets.
std::vector<std::pair<std::string, std::string>> BaseEnvironment();

/// "true" (any case) in `values` under `name`.
bool IsTrueIn(const NameValues& values, std::string_view name);

}  // namespace gantry::executor
