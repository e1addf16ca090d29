// Step semantics against a fake Backend: shells, environment, file commands, workflow
// commands and masking.
#include "engine/step_runner.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "core/masker.h"
#include "engine/runner_test_util.h"

namespace gantry::engine {
namespace {

using testing::FakeBackend;
using testing::FindJob;
using testing::RecordingObserver;
using testing::RunWorkflow;
using testing::TempDir;

// Runs `body` in place of the process: it sees the spec (script path last in argv).
class CallbackBackend : public backend::Backend {
 public:
  explicit CallbackBackend(std::function<void(const backend::ProcessSpec&)> body)
      : body_(std::move(body)) {}
  core::Result<backend::ProcessResult> Run(const backend::ProcessSpec& spec,
                                           const backend::OutputSink&,
                                           const backend::CancelToken&) override {
    body_(spec);
    return backend::ProcessResult{};
  }

 private:
  std::function<void(const backend::ProcessSpec&)> body_;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

// Runs `script` as a step whose files live in `dir`; `body` plays the process.
ScriptResult RunInDir(const std::string& dir, const std::string& script,
                      std::function<void(const backend::ProcessSpec&)> body) {
  CallbackBackend backend(std::move(body));
  RecordingObserver observer;
  core::Masker masker;
  JobKey key;
  StepOutputOptions oo;
  oo.masker = &masker;
  oo.observer = &observer;
  oo.job = &key;
  StepOutput output(oo);
  ScriptStep step;
  step.script = script;
  step.shell = "bash";
  step.workspace = dir;
  step.script_dir = dir;
  step.files = MakeStepFiles(dir);
  step.env = {{"PATH", "/usr/bin:/bin"},
              {"GITHUB_ENV", step.files.env},
              {"GITHUB_OUTPUT", step.files.output},
              {"GITHUB_PATH", step.files.path},
              {"GITHUB_STEP_SUMMARY", step.files.summary},
              {"GITHUB_STATE", step.files.state}};
  backend::CancelToken cancel;
  return RunScriptStep(step, backend, cancel, output);
}

TEST(StepRunnerTest, DefaultShellIsBashWithShArguments) {
  auto shell = ResolveShell("", "/usr/bin:/bin");
  ASSERT_TRUE(shell.ok()) << shell.status().ToString();
  EXPECT_NE(shell->program.find("bash"), std::string::npos);
  EXPECT_EQ(shell->args, (std::vector<std::string>{"-e", "{0}"}));
  EXPECT_EQ(shell->extension, ".sh");
}

TEST(StepRunnerTest, BuiltinShellsUseGitHubsArguments) {
  auto bash = ResolveShell("bash", "/usr/bin:/bin");
  ASSERT_TRUE(bash.ok());
  EXPECT_EQ(bash->args,
            (std::vector<std::string>{"--noprofile", "--norc", "-e", "-o", "pipefail", "{0}"}));
  auto sh = ResolveShell("sh", "/usr/bin:/bin");
  ASSERT_TRUE(sh.ok());
  EXPECT_EQ(sh->args, (std::vector<std::string>{"-e", "{0}"}));
  auto python = ResolveShell("python", "/usr/bin:/bin");
  if (python.ok()) {
    EXPECT_EQ(python->args, std::vector<std::string>{"{0}"});
    EXPECT_EQ(python->extension, ".py");
  }
}

TEST(StepRunnerTest, CustomShellKeepsItsArguments) {
  auto custom = ResolveShell("bash -c \"cat {0} | sh\"", "/usr/bin:/bin");
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->args, (std::vector<std::string>{"-c", "cat {0} | sh"}));
  EXPECT_EQ(custom->extension, ".sh");
  auto cp = ResolveShell("cp {0} action.yml", "/usr/bin:/bin");
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->extension, "");
}

TEST(StepRunnerTest, MissingOrInvalidShellsAreClearErrors) {
  auto pwsh = ResolveShell("pwsh", "/nonexistent");
  ASSERT_FALSE(pwsh.ok());
  EXPECT_NE(pwsh.status().message().find("PowerShell"), std::string::npos);
  auto bad = ResolveShell("bash -x", "/usr/bin:/bin");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("format string containing '{0}'"), std::string::npos);
}

TEST(StepRunnerTest, SplitArgumentsHonoursQuotes) {
  EXPECT_EQ(SplitArguments(R"(a "b c" d\"e  "")"),
            (std::vector<std::string>{"a", "b c", "d\"e", ""}));
}

TEST(StepRunnerTest, EnvPrecedenceWorkflowJobStepAndGitHubVariables) {
  FakeBackend backend;
  RecordingObserver observer;
  RunOptions options;
  options.base_env = {{"PATH", "/usr/bin:/bin"}, {"HOME", "/home/me"}, {"CI", "false"}};
  expr::Object github;
  github.Set("sha", expr::Value("abc123"));
  github.Set("ref", expr::Value("refs/heads/main"));
  github.Set("repository", expr::Value("octo/repo"));
  github.Set("event_name", expr::Value("push"));
  options.github = expr::Value(std::move(github));
  RunReport r = RunWorkflow(R"y(on: push
env:
  A: workflow
  B: workflow
  C: workflow
jobs:
  build:
    runs-on: x
    env:
      B: job
      C: job
    steps:
      - id: show
        env:
          C: step ${{ env.B }}
          GITHUB_SHA: user
        run: echo
)y",
                            backend, observer, options);
  ASSERT_TRUE(r.success());
  std::vector<backend::ProcessSpec> specs = backend.specs();
  ASSERT_EQ(specs.size(), 1u);
  const backend::ProcessSpec& spec = specs[0];
  auto env = [&](const char* name) { return FakeBackend::Env(spec, name); };
  EXPECT_EQ(env("A"), "workflow");
  EXPECT_EQ(env("B"), "job");
  EXPECT_EQ(env("C"), "step job");
  EXPECT_EQ(env("HOME"), "/home/me");
  EXPECT_EQ(env("CI"), "true");
  EXPECT_EQ(env("GITHUB_ACTIONS"), "true");
  EXPECT_EQ(env("GITHUB_SHA"), "abc123");  // GITHUB_* cannot be overridden
  EXPECT_EQ(env("GITHUB_REF_NAME"), "main");
  EXPECT_EQ(env("GITHUB_REPOSITORY_OWNER"), "octo");
  EXPECT_EQ(env("GITHUB_JOB"), "build");
  EXPECT_EQ(env("GITHUB_ACTION"), "show");
  EXPECT_EQ(env("RUNNER_OS"), "Linux");
  EXPECT_FALSE(env("RUNNER_TEMP").empty());
  EXPECT_FALSE(env("GITHUB_WORKSPACE").empty());
  EXPECT_EQ(spec.cwd, env("GITHUB_WORKSPACE"));
  EXPECT_NE(env("GITHUB_EVENT_PATH").find("event.json"), std::string::npos);
  EXPECT_NE(env("GITHUB_OUTPUT").find("set_output"), std::string::npos);
  EXPECT_EQ(spec.argv.size(), 3u);
  EXPECT_EQ(spec.argv[1], "-e");
}

TEST(StepRunnerTest, FileCommandsReachLaterSteps) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  j:
    runs-on: x
    steps:
      - run: |
          env GREETING=hello
          path /opt/one
          path /opt/two
          summary ## Done
      - id: check
        if: env.GREETING == 'hello'
        run: |
          getenv GREETING
          getenv PATH
          output result=${{ env.GREETING }}
      - run: echo ${{ steps.check.outputs.result }}
)y",
                            backend, observer);
  ASSERT_TRUE(r.success());
  EXPECT_EQ(observer.lines("j"),
            (std::vector<std::string>{"GREETING=hello", "PATH=/opt/two:/opt/one:/usr/bin:/bin",
                                      "hello"}));
  EXPECT_EQ(FindJob(r, "j")->summary, "## Done\n");
}

TEST(StepRunnerTest, WorkflowCommandsBecomeObserverCalls) {
  FakeBackend backend;
  RecordingObserver observer;
  RunOptions options;
  options.secrets = {{"TOKEN", "s3cr3t"}};
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  j:
    runs-on: x
    steps:
      - run: |
          echo ::group::Build s3cr3t
          echo ::add-mask::hidden-value
          echo before hidden-value s3cr3t
          echo ::endgroup::
          echo ::error file=src/a.cc,line=3,col=5,title=Bad::broken hidden-value
          echo ::warning::careful
          echo ::debug::not shown
          print partial-hid
          print den-value
)y",
                            backend, observer, options);
  ASSERT_TRUE(r.success());
  EXPECT_EQ(observer.lines("j"), (std::vector<std::string>{"before *** ***", "partial-***"}));
  auto annotations = observer.annotations();
  ASSERT_EQ(annotations.size(), 2u);
  EXPECT_EQ(annotations[0].level, "error");
  EXPECT_EQ(annotations[0].message, "broken ***");
  EXPECT_EQ(annotations[0].file, "src/a.cc");
  EXPECT_EQ(annotations[0].line, 3);
  EXPECT_EQ(annotations[0].column, 5);
  EXPECT_EQ(annotations[0].title, "Bad");
  EXPECT_EQ(annotations[1].level, "warning");
  std::string all = observer.AllText();
  EXPECT_NE(all.find("group j: Build ***"), std::string::npos);
  EXPECT_EQ(all.find("not shown"), std::string::npos);
  EXPECT_EQ(all.find("s3cr3t"), std::string::npos);
}

TEST(StepRunnerTest, DeprecatedCommandsAsGitHubTreatsThem) {
  FakeBackend backend;
  RecordingObserver observer;
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  outputs:
    runs-on: x
    steps:
      - id: s
        run: echo ::set-output name=v::old-style
      - run: echo ${{ steps.s.outputs.v }}
  setenv:
    runs-on: x
    steps:
      - run: echo ::set-env name=A::b
  allowed:
    runs-on: x
    env:
      ACTIONS_ALLOW_UNSECURE_COMMANDS: true
    steps:
      - run: |
          echo ::set-env name=A::b
          echo ::add-path::/zip
      - run: |
          getenv A
          getenv PATH
)y",
                            backend, observer);
  EXPECT_EQ(FindJob(r, "outputs")->conclusion, Conclusion::kSuccess);
  EXPECT_EQ(observer.lines("outputs"), std::vector<std::string>{"old-style"});
  EXPECT_EQ(FindJob(r, "setenv")->conclusion, Conclusion::kFailure);
  EXPECT_EQ(FindJob(r, "allowed")->conclusion, Conclusion::kSuccess);
  EXPECT_EQ(observer.lines("allowed"),
            (std::vector<std::string>{"A=b", "PATH=/zip:/usr/bin:/bin"}));
  std::string all = observer.AllText();
  EXPECT_NE(all.find("The `set-output` command is deprecated"), std::string::npos);
  EXPECT_NE(all.find("The `set-env` command is disabled."), std::string::npos);
}

TEST(StepRunnerTest, DebugMessagesNeedStepDebug) {
  FakeBackend backend;
  RecordingObserver observer;
  RunOptions options;
  options.secrets = {{"ACTIONS_STEP_DEBUG", "true"}};
  RunWorkflow("on: push\njobs:\n  j:\n    runs-on: x\n    steps: [{run: 'echo ::debug::shown'}]\n",
              backend, observer, options);
  EXPECT_NE(observer.AllText().find("debug j: shown"), std::string::npos);
}

TEST(StepRunnerTest, OutputsThatMayHoldSecretsAreDropped) {
  FakeBackend backend;
  RecordingObserver observer;
  RunOptions options;
  options.secrets = {{"PASSWORD", "hunter2"}};
  RunReport r = RunWorkflow(R"y(on: push
jobs:
  j:
    runs-on: x
    outputs:
      leak: ${{ secrets.PASSWORD }}
      fine: ok
    steps: [{run: echo}]
)y",
                            backend, observer, options);
  const JobReport* j = FindJob(r, "j");
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(j->outputs.count("leak"), 0u);
  EXPECT_EQ(j->outputs.at("fine"), "ok");
  EXPECT_NE(observer.AllText().find("Skip output 'leak' since it may contain secret."),
            std::string::npos);
}

TEST(StepRunnerTest, ReusedFilesStartEmptyAndScriptsAreRewrittenWhole) {
  TempDir dir;
  ScriptResult first = RunInDir(dir.path(), "echo a long first script\necho more\n",
                                [](const backend::ProcessSpec& spec) {
                                  Append(FakeBackend::Env(spec, "GITHUB_ENV"), "A=1\n");
                                  Append(FakeBackend::Env(spec, "GITHUB_OUTPUT"), "o=1\n");
                                  Append(FakeBackend::Env(spec, "GITHUB_PATH"), "/opt/x\n");
                                  Append(FakeBackend::Env(spec, "GITHUB_STEP_SUMMARY"), "sum\n");
                                  Append(FakeBackend::Env(spec, "GITHUB_STATE"), "s=1\n");
                                });
  ASSERT_EQ(first.outcome, Conclusion::kSuccess) << first.error;
  EXPECT_EQ(first.env, (EnvList{{"A", "1"}}));
  EXPECT_EQ(first.outputs, (EnvList{{"o", "1"}}));
  EXPECT_EQ(first.paths, std::vector<std::string>{"/opt/x"});
  EXPECT_EQ(first.summary, "sum\n");

  std::string script_seen;
  std::vector<std::string> sizes;
  ScriptResult second = RunInDir(dir.path(), "true", [&](const backend::ProcessSpec& spec) {
    script_seen = Slurp(spec.argv.back());
    for (const char* name :
         {"GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_STEP_SUMMARY", "GITHUB_STATE"}) {
      sizes.push_back(name + std::string("=") + Slurp(FakeBackend::Env(spec, name)));
    }
  });
  ASSERT_EQ(second.outcome, Conclusion::kSuccess) << second.error;
  EXPECT_EQ(script_seen, "true");
  EXPECT_EQ(sizes, (std::vector<std::string>{"GITHUB_ENV=", "GITHUB_OUTPUT=", "GITHUB_PATH=",
                                             "GITHUB_STEP_SUMMARY=", "GITHUB_STATE="}));
  EXPECT_TRUE(second.env.empty());
  EXPECT_TRUE(second.outputs.empty());
  EXPECT_TRUE(second.paths.empty());
  EXPECT_EQ(second.summary, "");
}

TEST(StepRunnerTest, FileCommandFileReplacedByALinkIsRecreatedWithoutTouchingTheTarget) {
  TempDir dir;
  std::string outside = dir.path() + "/outside";
  std::ofstream(outside) << "B=2\n";
  ScriptResult linked = RunInDir(dir.path(), "true", [&](const backend::ProcessSpec& spec) {
    std::string env_file = FakeBackend::Env(spec, "GITHUB_ENV");
    ASSERT_EQ(::unlink(env_file.c_str()), 0);
    ASSERT_EQ(::symlink(outside.c_str(), env_file.c_str()), 0);
  });
  ASSERT_EQ(linked.outcome, Conclusion::kSuccess) << linked.error;
  EXPECT_EQ(linked.env, (EnvList{{"B", "2"}}));

  bool regular_and_empty = false;
  ScriptResult next = RunInDir(dir.path(), "true", [&](const backend::ProcessSpec& spec) {
    struct stat st {};
    std::string env_file = FakeBackend::Env(spec, "GITHUB_ENV");
    regular_and_empty =
        ::lstat(env_file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
  });
  ASSERT_EQ(next.outcome, Conclusion::kSuccess) << next.error;
  EXPECT_TRUE(regular_and_empty);
  EXPECT_EQ(Slurp(outside), "B=2\n");
}

}  // namespace
}  // namespace gantry::engine
