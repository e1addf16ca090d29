// `gantry server` under faults, and the differential test that runs workflows both with
// `gantry exec` and through the server and compares every job's conclusion and outputs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;

// A data dir restored without its server key: the server refuses to start (a new key would
// leave every sealed secret unreadable) and leaves no new key behind.
TEST(ServerCrashTest, AMissingServerKeyWithProjectsStopsTheStart) {
  std::string dir = TempDir("nokey");
  std::string db = TestDatabase("gantry_nokey_test");
  ServerProcess server;
  server.Start(dir + "/data", db);
  User u = SignUp(server.url(), "nokey");
  MakeProject(u, "shop", {{"README", "x"}}, server.url());
  server.Stop();
  fs::remove(dir + "/data/server.key");
  std::string command = "{ " + std::string(GANTRY_BINARY) +
                        " server --listen 127.0.0.1:0 --data-dir " + dir + "/data" +
                        (db.empty() ? "" : " --database '" + db + "'") + "; echo exit=$?; }";
  std::string out = Sh(command);
  EXPECT_THAT(out, HasSubstr("server.key is missing, but the database holds 1 project(s)"));
  EXPECT_THAT(out, HasSubstr("exit=1"));
  EXPECT_FALSE(fs::exists(dir + "/data/server.key"));
}

TEST(ServerCrashTest, KillNineMidRunThenRestartLosesNoRun) {
  std::string dir = TempDir("crash");
  ServerProcess server;
  server.Start(dir + "/data", TestDatabase("gantry_crash_test"), {"--executor-capacity", "1"});
  User u = SignUp(server.url(), "crash");
  std::string pidfile = dir + "/step.pid";
  Project p = MakeProject(u, "crash", {{".github/workflows/two.yml", R"(on: workflow_dispatch
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo $$ > )" + pidfile + R"(; echo started; sleep 300
  b:
    runs-on: ubuntu-latest
    steps:
      - run: echo b ran
)"}},
                          server.url());
  HttpReply d =
      Http("POST", server.url() + "/api/v1/projects/" + p.name + "/workflows/two.yml/dispatches",
           "{}", u.Auth());
  ASSERT_EQ(d.status, 201) << d.body;
  int64_t id = d.Json()["runs"][0];
  for (int i = 0; i < 600 && !fs::exists(pidfile); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(pidfile)) << server.Log();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // "started" reaches the server
  int step_pid = 0;
  std::ifstream(pidfile) >> step_pid;
  server.Kill9();
  server.Restart();
  json run = WaitRun(u, id, 60, server.url());
  EXPECT_EQ(run.value("conclusion", ""), "failure") << run.dump(2);
  const json* a = JobNamed(run, "a");
  const json* b = JobNamed(run, "b");
  ASSERT_TRUE(a && b) << run.dump(2);
  EXPECT_EQ(a->value("conclusion", ""), "failure");
  EXPECT_THAT(a->value("error", ""), HasSubstr("the server stopped while the job ran"));
  EXPECT_EQ(b->value("conclusion", ""), "success");
  EXPECT_THAT(JobLog(u, *b, server.url()), HasSubstr("b ran"));
  // The step's process died with the server.
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    gone = step_pid > 0 && ::kill(step_pid, 0) != 0;
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(gone) << "step process " << step_pid << " outlived the server";
  EXPECT_EQ(WEXITSTATUS(server.Stop()), 0);
  std::error_code ec;
  if (!::testing::Test::HasFailure()) fs::remove_all(dir, ec);
}

// Workflows whose every job conclusion and output must be the same with `gantry exec` and
// through the server (one scheduler, two front ends).
const std::vector<std::pair<std::string, std::string>> kCorpus = {
    {"needs-outputs.yml", R"Y(on: workflow_dispatch
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      v: ${{ steps.s.outputs.v }}
    steps:
      - id: s
        run: echo "v=42" >> "$GITHUB_OUTPUT"
  test:
    needs: build
    runs-on: ubuntu-latest
    outputs:
      doubled: ${{ steps.d.outputs.d }}
    steps:
      - id: d
        run: echo "d=$(( ${{ needs.build.outputs.v }} * 2 ))" >> "$GITHUB_OUTPUT"
)Y"},
    {"failure-paths.yml", R"(on: workflow_dispatch
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: exit 3
  cleanup:
    needs: test
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo cleaning
  deploy:
    needs: test
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy
  report:
    needs: [cleanup, deploy]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ needs.cleanup.result }} ${{ needs.deploy.result }}"
)"},
    {"matrix.yml", R"(on: workflow_dispatch
jobs:
  test:
    strategy:
      max-parallel: 1
      matrix:
        os: [linux, mac]
        n: [1, 2]
        exclude:
          - os: mac
            n: 2
        include:
          - os: bsd
            n: 9
    runs-on: ubuntu-latest
    outputs:
      last: ${{ steps.o.outputs.o }}
    steps:
      - id: o
        run: echo "o=${{ matrix.os }}-${{ matrix.n }}" >> "$GITHUB_OUTPUT"
)"},
    {"dynamic-matrix.yml", R"(on: workflow_dispatch
jobs:
  list:
    runs-on: ubuntu-latest
    outputs:
      items: ${{ steps.l.outputs.items }}
    steps:
      - id: l
        run: echo 'items=["a","b","c"]' >> "$GITHUB_OUTPUT"
  each:
    needs: list
    strategy:
      matrix:
        item: ${{ fromJSON(needs.list.outputs.items) }}
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ matrix.item }}"
)"},
    {"continue-on-error.yml", R"(on: workflow_dispatch
jobs:
  flaky:
    continue-on-error: true
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
  next:
    needs: flaky
    runs-on: ubuntu-latest
    steps:
      - run: echo "flaky was ${{ needs.flaky.result }}"
  skipped:
    if: github.event_name == 'push'
    runs-on: ubuntu-latest
    steps:
      - run: echo never
)"},
    {"fail-fast.yml", R"(on: workflow_dispatch
jobs:
  m:
    strategy:
      matrix:
        k: [bad, good]
    runs-on: ubuntu-latest
    steps:
      - run: |
          if [ "${{ matrix.k }}" = bad ]; then exit 1; fi
          sleep 5
)"},
    {"reusable.yml", R"(on: workflow_dispatch
jobs:
  call:
    uses: ./.github/workflows/called.yml
    with:
      who: world
  after:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ needs.call.outputs.greeting }}"
)"},
    {"called.yml", R"(on:
  workflow_call:
    inputs:
      who:
        type: string
        required: true
    outputs:
      greeting:
        value: ${{ jobs.hello.outputs.g }}
jobs:
  hello:
    runs-on: ubuntu-latest
    outputs:
      g: ${{ steps.s.outputs.g }}
    steps:
      - id: s
        run: echo "g=hello ${{ inputs.who }}" >> "$GITHUB_OUTPUT"
)"},
};

// job name → "conclusion outputs-json", from `gantry exec --json`.
std::map<std::string, std::string> ExecResults(const std::string& repo, const std::string& file) {
  std::string out = Sh("cd " + Quote(repo) + " && " + GANTRY_BINARY +
                       " exec workflow_dispatch --json -W .github/workflows/" + file + " || true");
  std::map<std::string, std::string> results;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    json e = json::parse(out.substr(pos, end - pos), nullptr, false);
    pos = end + 1;
    if (!e.is_object() || e.value("type", "") != "job_finished") continue;
    json outputs = e.contains("outputs") ? e["outputs"] : json::object();
    results[e.value("name", "")] = e.value("conclusion", "") + " " + outputs.dump();
  }
  return results;
}

TEST(ServerDifferentialTest, JobsConcludeAsWithGantryExec) {
  User u = SignUp(Url(), Unique("diff"));
  std::map<std::string, std::string> files;
  for (const auto& [name, text] : kCorpus) files[".github/workflows/" + name] = text;
  Project p = MakeProject(u, "diff", files);
  std::string repo = TempDir("diff-exec");
  for (const auto& [path, text] : files) {
    fs::create_directories(fs::path(repo + "/" + path).parent_path());
    std::ofstream(repo + "/" + path) << text;
  }
  Sh("git -C " + Quote(repo) + " init -q -b main && git -C " + Quote(repo) +
     " -c user.name=A -c user.email=a@x.org commit -q --allow-empty -m init");
  for (const auto& [file, text] : kCorpus) {
    if (file == "called.yml") continue;
    SCOPED_TRACE(file);
    std::map<std::string, std::string> want = ExecResults(repo, file);
    ASSERT_FALSE(want.empty());
    HttpReply d =
        Http("POST", Url() + "/api/v1/projects/" + p.name + "/workflows/" + file + "/dispatches",
             "{}", u.Auth());
    ASSERT_EQ(d.status, 201) << d.body;
    json run = WaitRun(u, d.Json()["runs"][0].get<int64_t>());
    std::map<std::string, std::string> got;
    for (const json& j : run["jobs"]) {
      json outputs =
          j.contains("outputs") && j["outputs"].is_object() ? j["outputs"] : json::object();
      got[j.value("name", "")] = j.value("conclusion", "") + " " + outputs.dump();
    }
    EXPECT_EQ(got, want) << run.dump(2);
  }
}

}  // namespace
}  // namespace gantry::testing
