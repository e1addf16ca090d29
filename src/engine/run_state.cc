#include "engine/run_state.h"

#include <deque>

namespace gantry::engine {
namespace {

using JobStatus = expr::EvalContext::JobStatus;

Decision CancelDecision(InstanceId id) {
  Decision d;
  d.kind = Decision::Kind::kCancel;
  d.id = id;
  return d;
}

Decision FinishedDecision(InstanceId id, const JobReport& report) {
  Decision d;
  d.kind = Decision::Kind::kFinished;
  d.id = id;
  d.report = report;
  return d;
}

}  // namespace

RunState::RunState(const Plan& plan, const RunSetup& setup) : plan_(plan), setup_(setup) {
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
}

void RunState::Begin() {
  if (begun_) return;
  begun_ = true;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    if (jobs_[i].unfinished_needs == 0 && !jobs_[i].resolved) Resolve(static_cast<int>(i));
  }
  FinishIfStalled();
}

std::vector<Runnable> RunState::TakeRunnable(int free_slots) {
  std::vector<Runnable> out;
  for (auto it = ready_.begin();
       it != ready_.end() && (free_slots < 0 || static_cast<int>(out.size()) < free_slots);) {
    JobState& j = jobs_[it->first];
    if (j.launch.max_parallel > 0 && j.running >= j.launch.max_parallel) {
      ++it;
      continue;
    }
    InstanceId id{it->first, it->second};
    it = ready_.erase(it);
    Instance& inst = j.instances[id.instance];
    inst.state = Instance::State::kRunning;
    ++running_;
    ++j.running;
    Runnable r;
    r.id = id;
    r.job.job_id = j.planned->id;
    r.job.instance = id.instance;
    r.job.display_name = inst.key.display_name;
    r.job.matrix = inst.matrix;
    r.job.strategy = inst.strategy;
    r.job.needs = j.launch.needs;
    r.runs_on = j.launch.instances[id.instance].runs_on;
    r.job.environment = j.launch.instances[id.instance].environment;
    r.job.environment_url = j.launch.instances[id.instance].environment_url;
    r.deployment = j.launch.instances[id.instance].deployment;
    out.push_back(std::move(r));
  }
  return out;
}

core::Status RunState::Finish(InstanceId id, JobReport report) {
  if (!IsRunning(id)) {
    return core::Status::InvalidArgument("job instance " + std::to_string(id.job) + "/" +
                                         std::to_string(id.instance) + " is not running");
  }
  JobState& j = jobs_[id.job];
  Instance& inst = j.instances[id.instance];
  inst.state = Instance::State::kDone;
  inst.report = std::move(report);
  --running_;
  --j.running;
  ++j.finished;
  // Matrix outputs merge as on GitHub: later finishers win, empty values do not count.
  for (const auto& [k, v] : inst.report.outputs) {
    if (!v.empty()) j.outputs[k] = v;
  }
  if (inst.report.conclusion == Conclusion::kFailure && !inst.report.continued_on_error &&
      j.launch.fail_fast && j.instances.size() > 1) {
    CancelInstances(id.job, "");
  }
  if (j.finished == static_cast<int>(j.instances.size())) JobDone(id.job);
  FinishIfStalled();
  return core::Status::Ok();
}

void RunState::CancelRun() {
  if (cancelled_) return;
  cancelled_ = true;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    JobState& j = jobs_[i];
    if (!j.resolved || j.done) continue;
    // Instances still queued run only when their if: holds for a cancelled run (always()).
    bool keep = KeepAfterCancel(setup_, *j.planned, j.launch.needs);
    for (size_t k = 0; k < j.instances.size(); ++k) {
      Instance& inst = j.instances[k];
      if (inst.state != Instance::State::kRunning || inst.cancel_decided) continue;
      inst.cancel_decided = true;
      decisions_.push_back(CancelDecision(InstanceId{static_cast<int>(i), static_cast<int>(k)}));
    }
    if (!keep) CancelInstances(static_cast<int>(i), "The run was cancelled.");
    if (j.finished == static_cast<int>(j.instances.size())) JobDone(static_cast<int>(i));
  }
  FinishIfStalled();
}

std::vector<Decision> RunState::TakeDecisions() {
  std::vector<Decision> out;
  out.swap(decisions_);
  return out;
}

bool RunState::IsRunning(InstanceId id) const {
  return id.job >= 0 && id.job < static_cast<int>(jobs_.size()) && id.instance >= 0 &&
         id.instance < static_cast<int>(jobs_[id.job].instances.size()) &&
         jobs_[id.job].instances[id.instance].state == Instance::State::kRunning;
}

RunReport RunState::Report() const {
  RunReport report;
  report.cancelled = cancelled_;
  for (const JobState& j : jobs_) {
    for (const Instance& inst : j.instances) {
      if (inst.state == Instance::State::kDone) report.jobs.push_back(inst.report);
    }
  }
  return report;
}

int RunState::JobIndex(std::string_view id) const {
  for (size_t i = 0; i < plan_.jobs.size(); ++i) {
    if (plan_.jobs[i].id == id) return static_cast<int>(i);
  }
  return -1;
}

// A job whose needs are all done: its if:, then its matrix.
void RunState::Resolve(int index) {
  JobState& j = jobs_[index];
  j.resolved = true;
  expr::Object needs_ctx;
  for (int n : j.needs) {
    expr::Object outputs;
    for (const auto& [k, v] : jobs_[n].outputs) outputs.Set(k, expr::Value(v));
    expr::Object need;
    need.Set("result", expr::Value(ConclusionName(jobs_[n].result)));
    need.Set("outputs", expr::Value(std::move(outputs)));
    needs_ctx.Set(jobs_[n].planned->id, expr::Value(std::move(need)));
  }
  auto launch =
      ResolveJob(setup_, *j.planned, expr::Value(std::move(needs_ctx)), AncestorStatus(index));
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
    decisions_.push_back(FinishedDecision(InstanceId{index, static_cast<int>(i)}, inst.report));
    ++j.finished;
  }
  if (j.instances.empty()) {
    FinishWithoutRunning(index, Conclusion::kSkipped, "");
  } else if (j.finished == static_cast<int>(j.instances.size())) {
    JobDone(index);
  }
}

// success() of a job-level if: every ancestor succeeded; failure(): one of them failed.
JobStatus RunState::AncestorStatus(int index) const {
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

// Decides the cancellation of the running instances of job `index` and reports its queued
// ones as cancelled.
void RunState::CancelInstances(int index, const std::string& why) {
  JobState& j = jobs_[index];
  for (size_t k = 0; k < j.instances.size(); ++k) {
    Instance& inst = j.instances[k];
    InstanceId id{index, static_cast<int>(k)};
    if (inst.state == Instance::State::kRunning) {
      if (inst.cancel_decided) continue;
      inst.cancel_decided = true;
      decisions_.push_back(CancelDecision(id));
    } else if (inst.state == Instance::State::kPending) {
      ready_.erase({index, static_cast<int>(k)});
      inst.state = Instance::State::kDone;
      inst.report.key = inst.key;
      inst.report.conclusion = Conclusion::kCancelled;
      inst.report.error = why;
      decisions_.push_back(FinishedDecision(id, inst.report));
      ++j.finished;
    }
  }
}

// The job concludes as one instance that never ran.
void RunState::FinishWithoutRunning(int index, Conclusion conclusion, const std::string& error) {
  JobState& j = jobs_[index];
  j.resolved = true;
  for (size_t k = 0; k < j.instances.size(); ++k) ready_.erase({index, static_cast<int>(k)});
  Instance inst;
  inst.state = Instance::State::kDone;
  inst.report.key = JobKey{j.planned->id, 0, SkippedDisplayName(setup_, *j.planned)};
  inst.report.conclusion = conclusion;
  inst.report.error = setup_.shared.masker->Mask(error);
  decisions_.push_back(FinishedDecision(InstanceId{index, 0}, inst.report));
  j.instances.clear();
  j.instances.push_back(std::move(inst));
  j.finished = 1;
  JobDone(index);
}

void RunState::JobDone(int index) {
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

// Nothing runs and nothing can start, yet jobs remain: cannot happen with a valid plan (the
// loader rejects cycles); conclude them rather than wait forever.
void RunState::FinishIfStalled() {
  if (!begun_ || running_ > 0 || !ready_.empty() || Done()) return;
  for (size_t i = 0; i < jobs_.size(); ++i) {
    if (!jobs_[i].done) {
      FinishWithoutRunning(static_cast<int>(i), Conclusion::kSkipped, "its needs never finished");
    }
  }
}

}  // namespace gantry::engine
