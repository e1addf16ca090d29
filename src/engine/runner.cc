// The scheduler of a run: job instances start when all their needs finished, at most
// RunOptions::parallelism at once (and strategy.max-parallel per matrix), one thread per
// running instance. The scheduling thread sleeps in poll() on a wake-up pipe (a job finished)
// and the run's cancel token, so it reacts to both at once and costs nothing while waiting.

#include "engine/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include "engine/job_runner.h"
#include "engine/run_setup.h"

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

bool RunReport::success() const {
  for (const JobReport& j : jobs) {
    bool ok = j.conclusion == Conclusion::kSuccess || j.conclusion == Conclusion::kSkipped ||
              (j.conclusion == Conclusion::kFailure && j.continued_on_error);
    if (!ok) return false;
  }
  return !cancelled;
}

namespace {

using JobStatus = expr::EvalContext::JobStatus;

struct Instance {
  JobKey key;
  expr::Value matrix, strategy;
  enum class State { kPending, kRunning, kDone } state = State::kPending;
  JobReport report;
  std::unique_ptr<backend::CancelToken> token;
  std::thread thread;
  int slot = -1;  // the file-command directory it uses while running
};

struct JobState {
  const PlannedJob* planned = nullptr;
  std::vector<int> needs;       // plan indices of the needs that are in the plan
  std::vector<int> dependents;  // plan indices
  int unfinished_needs = 0;
  bool resolved = false, done = false;
  JobLaunch launch;  // contexts and strategy, once resolved
  std::vector<Instance> instances;
  int running = 0, finished = 0;
  Conclusion result = Conclusion::kSuccess;  // needs.<id>.result once done
  std::map<std::string, std::string> outputs;
};

struct Completion {
  int job = 0, instance = 0;
  JobReport report;
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
    jobs_.resize(plan_.jobs.size());
    for (size_t i = 0; i < plan_.jobs.size(); ++i) {
      jobs_[i].planned = &plan_.jobs[i];
      for (const std::string& need : plan_.jobs[i].needs) {
        for (size_t j = 0; j < plan_.jobs.size(); ++j) {
          if (plan_.jobs[j].id != need) continue;
          jobs_[i].needs.push_back(static_cast<int>(j));
          jobs_[j].dependents.push_back(static_cast<int>(i));
        }
      }
      jobs_[i].unfinished_needs = static_cast<int>(jobs_[i].needs.size());
    }
    for (size_t i = 0; i < jobs_.size(); ++i) {
      if (jobs_[i].unfinished_needs == 0) Resolve(static_cast<int>(i));
    }
    Loop();
    RunReport report;
    report.cancelled = cancelled_;
    for (JobState& j : jobs_) {
      for (Instance& inst : j.instances) report.jobs.push_back(std::move(inst.report));
    }
    return report;
  }

 private:
  void Loop() {
    bool watch_cancel = options_.cancel != nullptr;
    while (done_jobs_ < jobs_.size()) {
      if (watch_cancel && options_.cancel->cancelled()) {
        watch_cancel = false;
        CancelRun();
      }
      StartReady();
      if (running_ == 0 && done_jobs_ < jobs_.size() && ready_.empty()) {
        // Cannot happen with a valid plan; never hang on a broken one.
        for (size_t i = 0; i < jobs_.size(); ++i) {
          if (!jobs_[i].done)
            FinishWithoutRunning(static_cast<int>(i), Conclusion::kSkipped,
                                 "its needs never finished");
        }
        break;
      }
      Wait(watch_cancel);
      std::vector<Completion> completed;
      {
        std::lock_guard<std::mutex> lock(mu_);
        completed.swap(completed_);
      }
      for (Completion& c : completed) OnInstanceDone(c);
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

  // A job whose needs are all done: its if:, then its matrix.
  void Resolve(int index) {
    JobState& j = jobs_[index];
    j.resolved = true;
    std::vector<std::pair<std::string, const JobState*>> needs;
    for (int n : j.needs) needs.emplace_back(jobs_[n].planned->id, &jobs_[n]);
    expr::Value needs_ctx = NeedsContext(needs);
    JobStatus status = AncestorStatus(index);
    auto launch = ResolveJob(*setup_, *j.planned, needs_ctx, status);
    if (!launch.ok()) {
      return FinishWithoutRunning(index, Conclusion::kFailure, launch.status().message());
    }
    j.launch = std::move(launch).value();
    if (!j.launch.run) {
      return FinishWithoutRunning(index, cancelled_ ? Conclusion::kCancelled : Conclusion::kSkipped,
                                  "");
    }
    j.instances.resize(j.launch.instances.size());
    for (size_t i = 0; i < j.instances.size(); ++i) {
      Instance& inst = j.instances[i];
      inst.key = j.launch.instances[i].key;
      inst.matrix = j.launch.instances[i].matrix;
      inst.strategy = j.launch.instances[i].strategy;
      if (j.launch.instances[i].not_here.empty()) {
        ready_.insert({index, static_cast<int>(i)});
        continue;
      }
      // A runs-on this machine cannot serve: skipped, never started.
      inst.state = Instance::State::kDone;
      inst.report.key = inst.key;
      inst.report.conclusion = Conclusion::kSkipped;
      inst.report.not_here = j.launch.instances[i].not_here;
      observer_.OnJobFinished(inst.report);
      ++j.finished;
    }
    if (j.instances.empty()) {
      FinishWithoutRunning(index, Conclusion::kSkipped, "");
    } else if (j.finished == static_cast<int>(j.instances.size())) {
      JobDone(index);
    }
  }

  expr::Value NeedsContext(const std::vector<std::pair<std::string, const JobState*>>& needs) {
    expr::Object o;
    for (const auto& [id, state] : needs) {
      expr::Object n;
      expr::Object outputs;
      for (const auto& [k, v] : state->outputs) outputs.Set(k, expr::Value(v));
      n.Set("result", expr::Value(ConclusionName(state->result)));
      n.Set("outputs", expr::Value(std::move(outputs)));
      o.Set(id, expr::Value(std::move(n)));
    }
    return expr::Value(std::move(o));
  }

  // success() of a job-level if: every ancestor succeeded; failure(): one of them failed.
  JobStatus AncestorStatus(int index) {
    if (cancelled_) return JobStatus::kCancelled;
    std::vector<bool> seen(jobs_.size());
    std::deque<int> queue(jobs_[index].needs.begin(), jobs_[index].needs.end());
    bool failed = false, cancelled = false, incomplete = false;
    while (!queue.empty()) {
      int n = queue.front();
      queue.pop_front();
      if (seen[n]) continue;
      seen[n] = true;
      Conclusion r = jobs_[n].result;
      failed |= r == Conclusion::kFailure;
      cancelled |= r == Conclusion::kCancelled;
      incomplete |= r != Conclusion::kSuccess;
      queue.insert(queue.end(), jobs_[n].needs.begin(), jobs_[n].needs.end());
    }
    if (failed) return JobStatus::kFailure;
    if (cancelled) return JobStatus::kCancelled;
    return incomplete ? JobStatus::kSkipped : JobStatus::kSuccess;
  }

  void StartReady() {
    for (auto it = ready_.begin(); it != ready_.end() && running_ < Parallelism();) {
      JobState& j = jobs_[it->first];
      if (j.launch.max_parallel > 0 && j.running >= j.launch.max_parallel) {
        ++it;
        continue;
      }
      int job = it->first, instance = it->second;
      it = ready_.erase(it);
      Start(job, instance);
    }
  }

  int Parallelism() const { return options_.parallelism < 1 ? 1 : options_.parallelism; }

  void Start(int job, int index) {
    JobState& j = jobs_[job];
    Instance& inst = j.instances[index];
    inst.state = Instance::State::kRunning;
    inst.token = std::make_unique<backend::CancelToken>();
    ++running_;
    ++j.running;
    JobInstance spec;
    spec.job = j.planned->job;
    spec.key = inst.key;
    spec.matrix = inst.matrix;
    spec.strategy = inst.strategy;
    spec.needs = j.launch.needs;
    spec.dir = setup_->shared.run_dir + "/" + j.planned->id + "-" + std::to_string(index);
    // Running jobs share a few file-command directories: files are reused, not created, which
    // is what a trivial step costs most on some filesystems.
    if (free_slots_.empty()) {
      inst.slot = next_slot_++;
    } else {
      inst.slot = free_slots_.back();
      free_slots_.pop_back();
    }
    spec.files_dir = setup_->shared.run_dir + "/_runner_files/" + std::to_string(inst.slot);
    const backend::CancelToken* token = inst.token.get();
    try {
      inst.thread = std::thread([this, job, index, spec = std::move(spec), token] {
        JobReport report = RunJob(spec, setup_->shared, *token);
        {
          std::lock_guard<std::mutex> lock(mu_);
          completed_.push_back(Completion{job, index, std::move(report)});
        }
        Wake();
      });
    } catch (const std::system_error& e) {
      JobReport report;
      report.key = inst.key;
      report.conclusion = Conclusion::kFailure;
      report.error = std::string("cannot start a thread for the job: ") + e.what();
      observer_.OnJobFinished(report);
      std::lock_guard<std::mutex> lock(mu_);
      completed_.push_back(Completion{job, index, std::move(report)});
    }
  }

  void OnInstanceDone(Completion& c) {
    JobState& j = jobs_[c.job];
    Instance& inst = j.instances[c.instance];
    if (inst.thread.joinable()) inst.thread.join();
    inst.state = Instance::State::kDone;
    inst.report = std::move(c.report);
    if (inst.slot >= 0) free_slots_.push_back(inst.slot);
    --running_;
    --j.running;
    ++j.finished;
    // Matrix outputs merge as on GitHub: later finishers win, empty values do not count.
    for (const auto& [k, v] : inst.report.outputs) {
      if (!v.empty()) j.outputs[k] = v;
    }
    if (inst.report.conclusion == Conclusion::kFailure && !inst.report.continued_on_error &&
        j.launch.fail_fast && j.instances.size() > 1) {
      CancelInstances(j, "");
    }
    if (j.finished == static_cast<int>(j.instances.size())) JobDone(c.job);
  }

  // Cancels the running instances of `j` and reports its pending ones as cancelled.
  void CancelInstances(JobState& j, const std::string& why) {
    for (Instance& inst : j.instances) {
      if (inst.state == Instance::State::kRunning) {
        inst.token->Cancel();
      } else if (inst.state == Instance::State::kPending) {
        int job = static_cast<int>(&j - jobs_.data());
        ready_.erase({job, static_cast<int>(&inst - j.instances.data())});
        inst.state = Instance::State::kDone;
        inst.report.key = inst.key;
        inst.report.conclusion = Conclusion::kCancelled;
        inst.report.error = why;
        observer_.OnJobFinished(inst.report);
        ++j.finished;
      }
    }
  }

  void CancelRun() {
    cancelled_ = true;
    for (size_t i = 0; i < jobs_.size(); ++i) {
      JobState& j = jobs_[i];
      if (!j.resolved || j.done) continue;
      // Instances still queued run only when their if: holds for a cancelled run (always()).
      bool keep = KeepAfterCancel(*setup_, *j.planned, j.launch.needs);
      for (Instance& inst : j.instances) {
        if (inst.state == Instance::State::kRunning) inst.token->Cancel();
      }
      if (!keep) CancelInstances(j, "The run was cancelled.");
      if (j.finished == static_cast<int>(j.instances.size())) JobDone(static_cast<int>(i));
    }
  }

  void FinishWithoutRunning(int index, Conclusion conclusion, const std::string& error) {
    JobState& j = jobs_[index];
    j.resolved = true;
    Instance inst;
    inst.state = Instance::State::kDone;
    inst.report.key = JobKey{j.planned->id, 0, SkippedDisplayName(*setup_, *j.planned)};
    inst.report.conclusion = conclusion;
    inst.report.error = setup_->shared.masker->Mask(error);
    observer_.OnJobFinished(inst.report);
    j.instances.clear();
    j.instances.push_back(std::move(inst));
    j.finished = 1;
    JobDone(index);
  }

  void JobDone(int index) {
    JobState& j = jobs_[index];
    if (j.done) return;
    j.done = true;
    ++done_jobs_;
    bool failed = false, cancelled = false, all_skipped = true;
    for (const Instance& inst : j.instances) {
      Conclusion c = inst.report.conclusion;
      failed |= c == Conclusion::kFailure && !inst.report.continued_on_error;
      cancelled |= c == Conclusion::kCancelled;
      all_skipped &= c == Conclusion::kSkipped;
    }
    j.result = failed        ? Conclusion::kFailure
               : cancelled   ? Conclusion::kCancelled
               : all_skipped ? Conclusion::kSkipped
                             : Conclusion::kSuccess;
    for (int d : j.dependents) {
      if (--jobs_[d].unfinished_needs == 0 && !jobs_[d].resolved) Resolve(d);
    }
  }

  const Plan& plan_;
  const RunOptions& options_;
  backend::Backend& backend_;
  RunObserver& observer_;
  core::Masker local_masker_;
  std::unique_ptr<RunSetup> setup_;
  std::vector<JobState> jobs_;
  std::set<std::pair<int, int>> ready_;  // (plan index, instance): plan order first
  std::vector<int> free_slots_;
  int next_slot_ = 0;
  size_t done_jobs_ = 0;
  int running_ = 0;
  bool cancelled_ = false;
  int wake_[2] = {-1, -1};
  std::mutex mu_;
  std::vector<Completion> completed_;  // guarded by mu_
};

}  // namespace

RunReport RunPlan(const Plan& plan, const RunOptions& options, backend::Backend& backend,
                  RunObserver& observer) {
  return Scheduler(plan, options, backend, observer).Run();
}

}  // namespace gantry::engine
