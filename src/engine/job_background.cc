// Background steps, as GitHub's runner runs them (its BackgroundStepCoordinator): a
// `background: true` step is prepared on the job's thread (env, name, if:, timeout), then its
// body runs on a thread of its own while the job goes on; at most
// RunOptions::max_background_steps (10) run at once, the others queue. What it changes in the
// job (steps.<id>, $GITHUB_ENV, $GITHUB_PATH, the summary) is held back on its Lane until a
// `wait:`, `wait-all:` or `cancel:` step — or the end of the main steps — completes it. A wait
// step's result is the merged result of the steps it waited for; a cancelled step's
// cancellation does not count against the job.
#include <poll.h>

#include <algorithm>
#include <filesystem>

#include "engine/job_steps.h"

namespace gantry::engine {
namespace internal {
namespace {

// The runner's words for a result, as its wait and cancel steps print them.
const char* ResultWord(Conclusion c) {
  switch (c) {
    case Conclusion::kFailure:
      return "Failed";
    case Conclusion::kCancelled:
      return "Canceled";
    case Conclusion::kSkipped:
      return "Skipped";
    default:
      return "Succeeded";
  }
}

// GitHub's TaskResult merge: a failure or cancellation already there stays; otherwise the
// worse of the two wins.
Conclusion Merge(Conclusion current, Conclusion coming) {
  if (current == Conclusion::kFailure || current == Conclusion::kCancelled) return current;
  return coming == Conclusion::kSuccess ? current : coming;
}

const char* DefaultControlName(workflow::StepKind kind) {
  switch (kind) {
    case workflow::StepKind::kWait:
      return "Wait";
    case workflow::StepKind::kWaitAll:
      return "Wait for all";
    default:
      return "Cancel";
  }
}

}  // namespace

std::vector<const workflow::Step*> RunnableSteps(const workflow::Job& job) {
  std::vector<const workflow::Step*> out;
  for (const workflow::Step& s : job.steps) {
    if (s.kind == workflow::StepKind::kParallel) {
      for (const workflow::Step& p : s.parallel) out.push_back(&p);
    } else if (s.kind == workflow::StepKind::kRun || s.kind == workflow::StepKind::kUses) {
      out.push_back(&s);
    }
  }
  return out;
}

void JobRunner::RunJobStep(const workflow::Step& s, int report) {
  switch (s.kind) {
    case workflow::StepKind::kParallel: {
      // Each step of the block is a background step; the block waits for exactly them.
      std::vector<BackgroundStep*> started;
      for (size_t i = 0; i < s.parallel.size(); ++i) {
        size_t before = background_.size();
        StartBackground(s.parallel[i], report + static_cast<int>(i));
        if (background_.size() > before) started.push_back(&background_.back());
      }
      AwaitSteps(started);
      Conclusion result = CompleteSteps(started);
      // A failed step fails the job here, before the next step; a cancellation comes from the
      // job's own (which the job already sees).
      if (result == Conclusion::kFailure) {
        for (BackgroundStep* bg : started) {
          if (bg->report.conclusion == Conclusion::kFailure) MarkFailed(bg->report.name);
        }
      }
      return;
    }
    case workflow::StepKind::kWait:
    case workflow::StepKind::kWaitAll:
    case workflow::StepKind::kCancel:
      return RunControlStep(s, report);
    default:
      if (s.background) return StartBackground(s, report);
      return RunStepIn(s, scope_, report, nullptr);
  }
}

bool JobRunner::HasFreeSlot() const {
  int max = sh_.options->max_background_steps;
  return max <= 0 || running_background_ < max;
}

BackgroundStep* JobRunner::FindBackground(const std::string& id) {
  // The last one started under that name (a step id is unique; generated names too).
  for (auto it = background_.rbegin(); it != background_.rend(); ++it) {
    if (it->id == id) return &*it;
  }
  return nullptr;
}

void JobRunner::StartBackground(const workflow::Step& s, int report) {
  BackgroundStep& bg = background_.emplace_back();
  bg.step = &s;
  bg.scope = scope_;
  bg.scope.lane = &bg.lane;
  bg.lane.env = env_;
  bg.lane.prepend_path = prepend_path_;
  bg.lane.files_dir = in_.files_dir + "/background/" + std::to_string(background_.size());
  std::error_code ec;
  std::filesystem::create_directories(bg.lane.files_dir, ec);
  std::optional<PreparedStep> p = PrepareStep(s, bg.scope, report, nullptr, true);
  if (!p) {
    // Skipped by its if: (or failed to evaluate): it never became a background step.
    background_.pop_back();
    return;
  }
  const expr::Value* action = p->call.github.Find("action");
  bg.id = action != nullptr && action->is_string() ? action->string_value() : s.id;
  bg.name = p->report.name;
  bg.after_cancel = p->call.after_cancel;
  if (!cancel_watch_.joinable()) {
    // One watcher per job stops the background steps when the job is cancelled.
    cancel_watch_ = std::jthread([this](const std::stop_token& stop) {
      pollfd fd{cancel_.wait_fd(), POLLIN, 0};
      while (!stop.stop_requested()) {
        if (::poll(&fd, 1, 100) > 0) {
          std::lock_guard lock(mu_);
          for (BackgroundStep& b : background_) {
            if (!b.after_cancel) b.lane.cancel.Cancel();
          }
          changed_.notify_all();
          return;
        }
      }
    });
  }
  // A free slot is taken here, so the step shows as started before the job's next step.
  if (HasFreeSlot()) TakeSlot(bg, *p);
  bg.thread = std::thread(
      [this, &bg, prepared = std::move(*p)]() mutable { BackgroundMain(bg, std::move(prepared)); });
}

void JobRunner::TakeSlot(BackgroundStep& bg, PreparedStep& p) {
  ++running_background_;
  bg.has_slot = true;
  p.started = Clock::now();
  sh_.observer->OnStepStarted(in_.key, p.report.index, p.report.name);
}

void JobRunner::BackgroundMain(BackgroundStep& bg, PreparedStep p) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return bg.has_slot || HasFreeSlot() || bg.lane.cancel.cancelled(); });
  if (!bg.has_slot && bg.lane.cancel.cancelled()) {
    // Cancelled while it waited for a slot: it never ran.
    p.report.outcome = p.report.conclusion = Conclusion::kCancelled;
    sh_.observer->OnStepStarted(in_.key, p.report.index, p.report.name);
    sh_.observer->OnStepFinished(in_.key, p.report);
  } else {
    if (!bg.has_slot) TakeSlot(bg, p);
    ExecuteStep(p, *bg.step, bg.scope, true, &bg.outputs);
    --running_background_;
  }
  bg.report = p.report;
  bg.done = true;
  changed_.notify_all();
}

void JobRunner::AwaitSteps(const std::vector<BackgroundStep*>& steps) {
  // The caller holds mu_ (as every thread running this job's code does); waiting releases it.
  std::unique_lock lock(mu_, std::adopt_lock);
  changed_.wait(lock, [&] {
    return std::all_of(steps.begin(), steps.end(), [](BackgroundStep* b) { return b->done; });
  });
  lock.release();
  for (BackgroundStep* b : steps) {
    if (b->thread.joinable()) {
      Unlocked unlocked(mu_);
      b->thread.join();
    }
  }
}

Conclusion JobRunner::CompleteSteps(const std::vector<BackgroundStep*>& steps) {
  Conclusion result = Conclusion::kSuccess;
  for (BackgroundStep* b : steps) {
    if (!b->completed) {
      b->completed = true;
      for (Lane::Export& e : b->lane.exports) {
        ApplyExports(e.env, std::move(e.paths), e.summary);
      }
      b->lane.exports.clear();
      if (!b->step->id.empty()) {
        scope_.steps.push_back(StepRecord{b->step->id, std::move(b->outputs), b->report.outcome,
                                          b->report.conclusion});
      }
    }
    result = Merge(result, b->report.conclusion);
  }
  return result;
}

void JobRunner::RunControlStep(const workflow::Step& s, int report) {
  Clock::time_point started = Clock::now();
  StepReport rep;
  rep.index = report;
  rep.name = s.name ? s.name->value : DefaultControlName(s.kind);
  if (s.name) {
    auto n = EvaluateString(*s.name, Context(github_, env_, Status(), scope_), file_);
    if (n.ok()) rep.name = *n;
  }
  rep.name = sh_.masker->Mask(rep.name);
  sh_.observer->OnStepStarted(in_.key, report, rep.name);
  auto log = [&](const std::string& line) {
    sh_.observer->OnLogLine(in_.key, report, sh_.masker->Mask(line));
  };
  std::vector<BackgroundStep*> steps;
  auto names = [&] {
    std::string out;
    for (BackgroundStep* b : steps) out += (out.empty() ? "" : ", ") + b->name;
    return out.empty() ? std::string("(none)") : out;
  };
  if (s.kind == workflow::StepKind::kWaitAll) {
    for (BackgroundStep& b : background_) {
      if (!b.completed) steps.push_back(&b);
    }
  } else {
    for (const workflow::Text& t : s.targets) {
      // A target that is not a started background step (a plain step, or one its if:
      // skipped) has nothing to wait for, as on GitHub.
      if (BackgroundStep* b = FindBackground(t.value)) steps.push_back(b);
    }
  }
  Conclusion result = Conclusion::kSuccess;
  if (s.kind == workflow::StepKind::kCancel) {
    log("Cancelling background step(s): " + names());
    for (BackgroundStep* b : steps) {
      b->cancel_requested = true;
      if (!b->done) b->lane.cancel.Cancel();
    }
    changed_.notify_all();
    AwaitSteps(steps);
    CompleteSteps(steps);
    log("Finished cancelling background step(s).");
  } else {
    log(steps.empty() && s.kind == workflow::StepKind::kWaitAll
            ? "No background steps remaining to wait for."
            : (s.kind == workflow::StepKind::kWaitAll
                   ? "Waiting for all background step(s) to complete: "
                   : "Waiting for background step(s) to complete: ") +
                  names());
    AwaitSteps(steps);
    result = CompleteSteps(steps);
    log(s.kind == workflow::StepKind::kWaitAll ? "Finished waiting for all background step(s)."
                                               : "Finished waiting for background step(s).");
  }
  for (BackgroundStep* b : steps) log("  " + b->name + ": " + ResultWord(b->report.conclusion));
  bool coe = false;
  if (s.continue_on_error) {
    auto v = EvaluateBool(*s.continue_on_error, Context(github_, env_, Status(), scope_), file_);
    coe = v.ok() && *v;
  }
  rep.outcome = result;
  rep.conclusion = result == Conclusion::kFailure && coe ? Conclusion::kSuccess : result;
  if (result == Conclusion::kFailure) rep.error = "a background step it waited for failed";
  if (result == Conclusion::kCancelled) rep.error = "a background step it waited for was cancelled";
  rep.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  // As on GitHub, only a failed control step changes the job's result (a wait on a cancelled
  // step reports Canceled without cancelling the job).
  if (rep.conclusion == Conclusion::kFailure) MarkFailed(rep.name);
  if (!s.id.empty()) {
    scope_.steps.push_back(StepRecord{s.id, {}, rep.outcome, rep.conclusion});
  }
  sh_.observer->OnStepFinished(in_.key, rep);
}

void JobRunner::DrainBackground() {
  if (background_.empty()) return;
  std::vector<BackgroundStep*> all;
  for (BackgroundStep& b : background_) all.push_back(&b);
  AwaitSteps(all);
  CompleteSteps(all);
  for (BackgroundStep& b : background_) {
    Conclusion c = b.report.conclusion;
    if (c == Conclusion::kFailure) {
      MarkFailed(b.report.name);
    } else if (c == Conclusion::kCancelled && !b.cancel_requested) {
      cancelled_ = true;
    }
  }
  if (cancel_watch_.joinable()) {
    cancel_watch_.request_stop();
    Unlocked unlocked(mu_);
    cancel_watch_.join();
  }
}

}  // namespace internal
}  // namespace gantry::engine
