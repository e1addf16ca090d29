// The driver of a run in memory: RunState decides which job instances start, what is
// cancelled and how jobs conclude; the scheduler runs at most RunOptions::parallelism
// instances at once, one thread per running instance. The scheduling thread sleeps in poll()
// on a wake-up pipe (a job finished) and the run's cancel token, so it reacts to both at once
// and costs nothing while waiting.

#include "engine/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "engine/concurrency.h"
#include "engine/job_runner.h"
#include "engine/run_setup.h"
#include "engine/run_state.h"

namespace gantry::engine {

const char* ConclusionName(Conclusion c) {
  switch (c) {
    case Conclusion::kSuccess:
      return "success";
    case Conclusion::kFailure:
      return "failure";
    case Conclusion::kCancelled:
      return "cancelled";
    case Conclusion::kSkipped:
      return "skipped";
  }
  return "failure";
}

bool RunReport::success() const { return conclusion() == Conclusion::kSuccess; }

Conclusion RunReport::conclusion() const {
  if (cancelled) return Conclusion::kCancelled;
  bool any_cancelled = false;
  for (const JobReport& j : jobs) {
    if (j.conclusion == Conclusion::kFailure && !j.continued_on_error) return Conclusion::kFailure;
    any_cancelled = any_cancelled || j.conclusion == Conclusion::kCancelled;
  }
  return any_cancelled ? Conclusion::kCancelled : Conclusion::kSuccess;
}

namespace {

struct Completion {
  InstanceId id;
  JobReport report;
};

// A job instance whose thread runs.
struct Running {
  std::unique_ptr<backend::CancelToken> token;
  std::thread thread;
  int slot = -1;  // the file-command directory it uses
};

class Scheduler {
 public:
  Scheduler(const Plan& plan, const RunOptions& options, backend::Backend& backend,
            RunObserver& observer)
      : plan_(plan), options_(options), backend_(backend), observer_(observer) {}

  ~Scheduler() {
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
  }

  RunReport Run() {
    setup_ = PrepareRun(plan_, options_, backend_, observer_, &local_masker_);
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
    state_ = std::make_unique<RunState>(plan_, *setup_);
    state_->Begin();
    Apply();
    Loop();
    return state_->Report();
  }

 private:
  void Loop() {
    bool watch_cancel = options_.cancel != nullptr;
    while (!state_->Done()) {
      if (watch_cancel && options_.cancel->cancelled()) {
        watch_cancel = false;
        state_->CancelRun();
        Apply();
      }
      // An instance that waits for its concurrency group takes no slot: take more meanwhile.
      for (bool more = true; more;) {
        const int free = Parallelism() - static_cast<int>(running_.size());
        std::vector<Runnable> taken =
            free > 0 ? state_->TakeRunnable(free) : std::vector<Runnable>();
        more = !taken.empty();
        for (Runnable& r : taken) {
          if (EnterJobGroup(r)) Start(r);
        }
      }
      if (state_->Done()) break;
      Wait(watch_cancel);
      std::vector<Completion> completed;
      {
        std::lock_guard<std::mutex> lock(mu_);
        completed.swap(completed_);
      }
      for (Completion& c : completed) OnInstanceDone(c);
    }
  }

  // Acts on what the run state decided: cancel running instances, report the ones that
  // finished without running.
  void Apply() {
    for (Decision& d : state_->TakeDecisions()) {
      if (d.kind == Decision::Kind::kFinished) {
        observer_.OnJobFinished(d.report);
      } else if (auto it = running_.find(d.id); it != running_.end()) {
        it->second.token->Cancel();
      } else if (std::optional<Runnable> waiting = LeaveGroupUnstarted(d.id)) {
        FinishUnstarted(*waiting, "The run was cancelled.");
      }
    }
  }

  void Wait(bool watch_cancel) {
    pollfd fds[2] = {{wake_[0], POLLIN, 0}, {-1, POLLIN, 0}};
    if (watch_cancel) fds[1].fd = options_.cancel->wait_fd();
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!completed_.empty()) return;
    }
    if (wake_[0] < 0) {  // no pipe: fall back to a short sleep
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return;
    }
    int n = ::poll(fds, 2, -1);
    if (n > 0 && (fds[0].revents & POLLIN) != 0) {
      char buf[256];
      while (::read(wake_[0], buf, sizeof buf) > 0) {
      }
    }
  }

  void Wake() {
    if (wake_[1] < 0) return;
    char b = 1;
    ssize_t n = ::write(wake_[1], &b, 1);
    (void)n;  // a full pipe already wakes the scheduler
  }

  int Parallelism() const { return options_.parallelism < 1 ? 1 : options_.parallelism; }

  void Start(const Runnable& r) {
    Running& run = running_[r.id];
    run.token = std::make_unique<backend::CancelToken>();
    // Running jobs share a few file-command directories: files are reused, not created, which
    // is what a trivial step costs most on some filesystems.
    if (free_slots_.empty()) {
      run.slot = next_slot_++;
    } else {
      run.slot = free_slots_.back();
      free_slots_.pop_back();
    }
    JobInstance spec = MakeJobInstance(*setup_, plan_.jobs[r.id.job], r.job, run.slot);
    const backend::CancelToken* token = run.token.get();
    try {
      run.thread = std::thread([this, id = r.id, spec = std::move(spec), token] {
        JobReport report = RunJob(spec, setup_->shared, *token);
        {
          std::lock_guard<std::mutex> lock(mu_);
          completed_.push_back(Completion{id, std::move(report)});
        }
        Wake();
      });
    } catch (const std::system_error& e) {
      JobReport report;
      report.key = JobKey{r.job.job_id, r.job.instance, r.job.display_name};
      report.conclusion = Conclusion::kFailure;
      report.error = std::string("cannot start a thread for the job: ") + e.what();
      observer_.OnJobFinished(report);
      std::lock_guard<std::mutex> lock(mu_);
      completed_.push_back(Completion{r.id, std::move(report)});
    }
  }

  // Job-level `concurrency:` within the run (docs/exec.md), GitHub's rule as the server applies
  // it across runs (engine/concurrency.h): one instance of a group runs and the newest other
  // waits; an older waiting one ends cancelled, and with cancel-in-progress the newcomer stops
  // the one running. Whether `r` may start now; false: it waits or has ended.
  bool EnterJobGroup(const Runnable& r) {
    auto evaluated = JobConcurrency(*setup_, plan_.jobs[r.id.job], r.job);
    if (!evaluated.ok()) {
      // The group cannot be told: the job runs without one rather than never (as on the server).
      std::cerr << "gantry: job " << r.job.job_id
                << ": concurrency group: " << evaluated.status().message() << "\n";
      return true;
    }
    if (evaluated->group.empty()) return true;
    const std::string& name = evaluated->group;
    JobGroupState& group = groups_[name];
    const int64_t order = ++group_entries_;
    if (!group.running) {
      group.running = GroupHolder{r.id, order};
      holders_[r.id] = name;
      return true;
    }
    std::vector<GroupMember> others = {{group.running->order}};
    if (group.waiting) others.push_back({group.waiting_order, true});
    GroupEntry entry = EnterGroup({order}, evaluated->cancel_in_progress, others);
    for (int64_t cancelled : entry.cancel) {
      if (group.waiting && cancelled == group.waiting_order) {
        Runnable old = std::move(*group.waiting);
        group.waiting.reset();
        FinishUnstarted(old, GroupCancelMessage(name));
      } else if (cancelled == group.running->order) {
        if (auto it = running_.find(group.running->id); it != running_.end()) {
          it->second.token->Cancel();
        }
      }
    }
    group.waiting = r;
    group.waiting_order = order;
    return false;
  }

  // The group `id` held, released: its waiting instance, if any, starts now.
  void LeaveGroup(const InstanceId& id) {
    auto held = holders_.find(id);
    if (held == holders_.end()) return;
    const std::string name = held->second;
    holders_.erase(held);
    JobGroupState& group = groups_[name];
    group.running.reset();
    if (!group.waiting) return;
    Runnable next = std::move(*group.waiting);
    group.waiting.reset();
    group.running = GroupHolder{next.id, group.waiting_order};
    holders_[next.id] = name;
    Start(next);
  }

  // The instance `id` waiting for its group, taken out of it; nullopt when none waits as `id`.
  std::optional<Runnable> LeaveGroupUnstarted(const InstanceId& id) {
    for (auto& [name, group] : groups_) {
      if (group.waiting && group.waiting->id == id) {
        std::optional<Runnable> out = std::move(group.waiting);
        group.waiting.reset();
        return out;
      }
    }
    return std::nullopt;
  }

  // An instance the run state handed out ends cancelled without having run.
  void FinishUnstarted(const Runnable& r, const std::string& error) {
    JobReport report;
    report.key = JobKey{r.job.job_id, r.job.instance, r.job.display_name};
    report.conclusion = Conclusion::kCancelled;
    report.error = error;
    observer_.OnJobFinished(report);
    core::Status finished = state_->Finish(r.id, std::move(report));
    if (!finished.ok()) {
      std::cerr << "gantry: fatal: " << finished.message() << "\n";
      std::abort();
    }
    Apply();
  }

  void OnInstanceDone(Completion& c) {
    auto it = running_.find(c.id);
    if (it == running_.end()) {
      std::cerr << "gantry: fatal: a job instance finished that the scheduler did not start\n";
      std::abort();
    }
    if (it->second.thread.joinable()) it->second.thread.join();
    if (it->second.slot >= 0) free_slots_.push_back(it->second.slot);
    running_.erase(it);
    core::Status finished = state_->Finish(c.id, std::move(c.report));
    if (!finished.ok()) {
      std::cerr << "gantry: fatal: " << finished.message() << "\n";
      std::abort();
    }
    Apply();
    LeaveGroup(c.id);
  }

  const Plan& plan_;
  const RunOptions& options_;
  backend::Backend& backend_;
  RunObserver& observer_;
  core::Masker local_masker_;
  std::unique_ptr<RunSetup> setup_;
  std::unique_ptr<RunState> state_;
  std::map<InstanceId, Running> running_;
  std::vector<int> free_slots_;
  int next_slot_ = 0;
  int wake_[2] = {-1, -1};
  struct GroupHolder {
    InstanceId id;
    int64_t order = 0;
  };
  struct JobGroupState {
    std::optional<GroupHolder> running;
    std::optional<Runnable> waiting;
    int64_t waiting_order = 0;
  };
  std::map<std::string, JobGroupState> groups_;
  std::map<InstanceId, std::string> holders_;  // running instance → the group it holds
  int64_t group_entries_ = 0;
  std::mutex mu_;
  std::vector<Completion> completed_;  // guarded by mu_
};

}  // namespace

RunReport RunPlan(const Plan& plan, const RunOptions& options, backend::Backend& backend,
                  RunObserver& observer) {
  return Scheduler(plan, options, backend, observer).Run();
}

}  // namespace gantry::engine
