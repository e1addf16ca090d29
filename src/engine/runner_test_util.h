#pragma once

// Test doubles for the runner: a Backend that interprets a tiny script language instead of
// starting processes, an observer that records everything, and a helper that loads, plans
// and runs a workflow.

#include <gtest/gtest.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engine/plan.h"
#include "engine/runner.h"
#include "workflow/loader.h"

namespace gantry::engine::testing {

/// Interprets the step's script file, one command per line:
///   echo TEXT     prints TEXT and '\n'        print TEXT   prints TEXT (no newline)
///   exit N        ends with exit code N        sleep MS     sleeps MS milliseconds
///   output K=V    appends to $GITHUB_OUTPUT    env K=V      appends to $GITHUB_ENV
///   path DIR      appends to $GITHUB_PATH      summary TEXT appends to $GITHUB_STEP_SUMMARY
///   block         waits until cancelled or timed out
///   getenv NAME   prints NAME=value of the process environment
/// Records "start:<job>" / "end:<job>" (GITHUB_JOB) and the peak number of concurrent runs.
class FakeBackend : public backend::Backend {
 public:
  core::Result<backend::ProcessResult> Run(const backend::ProcessSpec& spec,
                                           const backend::OutputSink& output,
                                           const backend::CancelToken& cancel) override {
    std::string job = Env(spec, "GITHUB_JOB");
    {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back("start:" + job);
      specs_.push_back(spec);
      peak_ = std::max(peak_, ++running_);
    }
    backend::ProcessResult result = Interpret(spec, output, cancel);
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back("end:" + job);
    --running_;
    return result;
  }

  std::vector<std::string> events() const {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  std::vector<backend::ProcessSpec> specs() const {
    std::lock_guard<std::mutex> lock(mu_);
    return specs_;
  }
  int peak() const {
    std::lock_guard<std::mutex> lock(mu_);
    return peak_;
  }

  static std::string Env(const backend::ProcessSpec& spec, const std::string& name) {
    for (const auto& [k, v] : spec.env) {
      if (k == name) return v;
    }
    return "";
  }

 private:
  static void Append(const std::string& file, const std::string& text) {
    std::ofstream(file, std::ios::app) << text << "\n";
  }

  backend::ProcessResult Interpret(const backend::ProcessSpec& spec,
                                   const backend::OutputSink& output,
                                   const backend::CancelToken& cancel) {
    backend::ProcessResult result;
    std::ifstream in(spec.argv.back());
    std::string line;
    while (std::getline(in, line)) {
      std::string cmd = line.substr(0, line.find(' '));
      std::string arg = line.size() > cmd.size() ? line.substr(cmd.size() + 1) : "";
      if (cmd == "echo") {
        output(arg + "\n");
      } else if (cmd == "print") {
        output(arg);
      } else if (cmd == "exit") {
        result.exit_code = std::stoi(arg);
        return result;
      } else if (cmd == "sleep") {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(arg)));
      } else if (cmd == "output") {
        Append(Env(spec, "GITHUB_OUTPUT"), arg);
      } else if (cmd == "env") {
        Append(Env(spec, "GITHUB_ENV"), arg);
      } else if (cmd == "path") {
        Append(Env(spec, "GITHUB_PATH"), arg);
      } else if (cmd == "summary") {
        Append(Env(spec, "GITHUB_STEP_SUMMARY"), arg);
      } else if (cmd == "getenv") {
        output(arg + "=" + Env(spec, arg) + "\n");
      } else if (cmd == "block") {
        pollfd fd{cancel.wait_fd(), POLLIN, 0};
        int timeout = spec.timeout.count() > 0 ? static_cast<int>(spec.timeout.count()) : 10000;
        if (::poll(&fd, 1, timeout) > 0) {
          result.cancelled = true;
        } else {
          result.timed_out = true;
        }
        result.signal = 15;
        return result;
      }
    }
    return result;
  }

  mutable std::mutex mu_;
  std::vector<std::string> events_;
  std::vector<backend::ProcessSpec> specs_;
  int running_ = 0, peak_ = 0;
};

/// Records every observer call (thread-safe).
class RecordingObserver : public RunObserver {
 public:
  void OnJobStarted(const JobKey& job) override { Add("job-start " + job.display_name); }
  void OnStepStarted(const JobKey& job, int, const std::string& name) override {
    Add("step-start " + job.display_name + ": " + name);
  }
  void OnLogLine(const JobKey& job, int, std::string_view line) override {
    std::lock_guard<std::mutex> lock(mu_);
    lines_[job.display_name].emplace_back(line);
  }
  void OnGroup(const JobKey& job, int, bool start, std::string_view title) override {
    Add((start ? "group " : "endgroup ") + job.display_name + ": " + std::string(title));
  }
  void OnDebug(const JobKey& job, int, std::string_view message) override {
    Add("debug " + job.display_name + ": " + std::string(message));
  }
  void OnAnnotation(const JobKey& job, int, const Annotation& a) override {
    std::lock_guard<std::mutex> lock(mu_);
    annotations_.push_back(a);
    events_.push_back(a.level + " " + job.display_name + ": " + a.message);
  }
  void OnReport(const JobKey& job, int step, std::string_view kind,
                std::string_view json) override {
    Add("report " + job.display_name + " step " + std::to_string(step) + " " + std::string(kind) +
        " " + std::string(json));
  }
  void OnStepFinished(const JobKey& job, const StepReport& step) override {
    std::lock_guard<std::mutex> lock(mu_);
    steps_[job.display_name].push_back(step);
  }
  void OnJobFinished(const JobReport& job) override {
    Add(std::string("job-end ") + job.key.display_name + " " + ConclusionName(job.conclusion));
  }

  std::vector<std::string> lines(const std::string& job) {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_[job];
  }
  std::vector<StepReport> steps(const std::string& job) {
    std::lock_guard<std::mutex> lock(mu_);
    return steps_[job];
  }
  std::vector<Annotation> annotations() {
    std::lock_guard<std::mutex> lock(mu_);
    return annotations_;
  }
  std::vector<std::string> events() {
    std::lock_guard<std::mutex> lock(mu_);
    return events_;
  }
  /// Every log line of every job, joined with '\n'.
  std::string AllText() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& [job, lines] : lines_) {
      for (const auto& l : lines) out += l + "\n";
    }
    for (const auto& e : events_) out += e + "\n";
    return out;
  }

 private:
  void Add(std::string e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(e));
  }
  std::mutex mu_;
  std::vector<std::string> events_;
  std::map<std::string, std::vector<std::string>> lines_;
  std::map<std::string, std::vector<StepReport>> steps_;
  std::vector<Annotation> annotations_;
};

/// A temp directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "gantry-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// Loads `yaml`, plans every job and runs the plan with `options` (run_dir defaults to a
/// temp dir). Fails the test when the workflow does not load or plan.
/// `files` holds the workflows it may call, by repository path.
inline RunReport RunWorkflow(const std::string& yaml, backend::Backend& backend,
                             RunObserver& observer, RunOptions options = {},
                             const std::map<std::string, std::string>& files = {}) {
  workflow::LoadOptions load;
  load.read_file = [&files](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
  auto loaded = workflow::LoadWorkflow(yaml, ".github/workflows/test.yml", load);
  std::string problems;
  for (const auto& d : loaded.diagnostics) problems += d.ToString() + "\n";
  EXPECT_TRUE(loaded.ok()) << problems;
  if (!loaded.ok()) return {};
  auto plan = BuildPlan(loaded.workflow, PlanOptions{});
  EXPECT_TRUE(plan.ok()) << plan.status().ToString();
  if (!plan.ok()) return {};
  TempDir dir;
  if (options.run_dir.empty()) options.run_dir = dir.path();
  if (options.base_env.empty()) options.base_env = {{"PATH", "/usr/bin:/bin"}};
  return RunPlan(*plan, options, backend, observer);
}

/// The report of the job instance named `display_name`, or nullptr.
inline const JobReport* FindJob(const RunReport& report, const std::string& display_name) {
  for (const JobReport& j : report.jobs) {
    if (j.key.display_name == display_name) return &j;
  }
  return nullptr;
}

}  // namespace gantry::engine::testing
