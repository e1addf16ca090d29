#pragma once

// The fixture of the `gh` tests: one HTTPS `gantry server` (certificates from
// scripts/dev-cert.sh) with one project whose workflows cover what `gh run` and `gh workflow`
// show, its failing push run done; Gh() runs Debian's real gh against it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <regex>

#include "server_fixture.h"

namespace gantry::testing {

using ::testing::HasSubstr;
using ::testing::Not;

const char kCi[] = R"(name: CI
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo "building the app"
      - run: mkdir -p out/sub && echo "bundle content" > out/bundle.txt && echo deep > out/sub/d.txt
      - uses: actions/upload-artifact@v4
        with:
          name: bundle
          path: out/
  test:
    runs-on: ubuntu-latest
    steps:
      - name: Prepare
        run: echo "preparing tests"
      - name: Run tests
        run: |
          echo "::error file=src/app.c,line=3,col=2,title=Broken::the test failed here"
          echo "assertion failed"
          exit 1
)";

const char kDeploy[] = R"(name: Deploy
on:
  workflow_dispatch:
    inputs:
      environment:
        description: where to deploy
        default: staging
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo "deploying to ${{ inputs.environment }}"
)";

const char kSlow[] = R"(name: Slow
on: workflow_dispatch
jobs:
  wait:
    runs-on: ubuntu-latest
    steps:
      - run: echo started && sleep 120
)";

const char kLateFail[] = R"(name: Late failure
on: workflow_dispatch
jobs:
  late:
    runs-on: ubuntu-latest
    steps:
      - run: sleep 4 && echo "giving up" && exit 3
)";

const char kQuickFail[] = R"(name: Quick failure
on: workflow_dispatch
jobs:
  ok:
    runs-on: ubuntu-latest
    steps:
      - run: echo fine
  bad:
    runs-on: ubuntu-latest
    steps:
      - run: exit 1
)";

const char kPr[] = R"(name: PR checks
on: pull_request
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - run: echo "checking the pull request"
)";

struct GhResult {
  int code = -1;
  std::string out, err;
};

class GhTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists("/usr/bin/gh")) return;
    dir_ = TempDir("gh");
    Sh(std::string(GANTRY_SOURCE_DIR) + "/scripts/dev-cert.sh " + Quote(dir_ + "/certs"));
    ca_ = dir_ + "/certs/ca.pem";
    // The server does not trust the local CA (its embedded executor uses a loopback listener
    // of its own); this process's HTTP client does.
    unsetenv("SSL_CERT_FILE");
    server_ = new ServerProcess();
    server_->Start(dir_ + "/data", TestDatabase("gantry_gh_test"),
                   {"--tls-cert", dir_ + "/certs/server.pem", "--tls-key",
                    dir_ + "/certs/server-key.pem", "--executor-capacity", "4"});
    setenv("SSL_CERT_FILE", ca_.c_str(), 1);
    url_ = server_->url();
    host_ = url_.substr(url_.find("://") + 3);
    user_ = SignUp(url_, "octo");
    HttpReply pat = Http("POST", url_ + "/api/v1/user/tokens",
                         json{{"name", "gh"}, {"scopes", {"repo"}}}.dump(), user_.Auth());
    ASSERT_EQ(pat.status, 201) << pat.body;
    pat_ = pat.Json().value("token", "");
    project_ = new Project(MakeProject(user_, "shop",
                                       {{".github/workflows/ci.yml", kCi},
                                        {".github/workflows/deploy.yml", kDeploy},
                                        {".github/workflows/slow.yml", kSlow},
                                        {".github/workflows/late-fail.yaml", kLateFail},
                                        {".github/workflows/quick-fail.yml", kQuickFail},
                                        {".github/workflows/pr.yml", kPr}},
                                       url_));
    std::string sha = Sh("git --git-dir=" + Quote(project_->repo->remote()) + " rev-parse main");
    sha.pop_back();
    HttpReply push = PushHook(*project_, sha, "add the shop");
    ASSERT_EQ(push.status, 202) << push.body;
    ci_run_ = push.Json()["runs"][0].get<int64_t>();
    sha_ = sha;
    json run = WaitRun(user_, ci_run_, 60, url_);
    ASSERT_EQ(run.value("conclusion", ""), "failure") << run.dump(2);
    for (const json& job : run["jobs"]) job_ids_[job.value("name", "")] = job["id"].get<int64_t>();
  }

  /// Delivers a signed push webhook of `sha` on main to `p` on this suite's server.
  static HttpReply PushHook(const Project& p, const std::string& sha, const std::string& message) {
    std::string body = json{{"ref", "refs/heads/main"},
                            {"before", "0000000000000000000000000000000000000000"},
                            {"after", sha},
                            {"head_commit", {{"id", sha}, {"message", message}}},
                            {"sender", {{"login", "octo"}}}}
                           .dump();
    return Http("POST", url_ + "/api/v1/hooks/" + p.name, body,
                {"X-GitHub-Event: push", "X-GitHub-Delivery: " + Unique("gh-push-"),
                 "X-Hub-Signature-256: " + Hmac(p.secret, body)});
  }

  static void TearDownTestSuite() {
    unsetenv("SSL_CERT_FILE");
    if (server_ != nullptr) server_->Stop();
    delete server_;
    delete project_;
    server_ = nullptr;
    project_ = nullptr;
    std::error_code ec;
    if (!dir_.empty() && !Env::HasFailure()) fs::remove_all(dir_, ec);
  }

  void SetUp() override {
    if (!fs::exists("/usr/bin/gh")) GTEST_SKIP() << "gh is not installed (scripts/install-deps.sh)";
    ASSERT_NE(project_, nullptr);
    home_ = TempDir("gh-home");
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(home_, ec);
  }

  /// `gh ARGS -R HOST/octo/shop` (when `repo`) in `cwd` with its state in a fresh directory.
  GhResult Gh(const std::string& args, bool repo = true, const std::string& cwd = "",
              const std::string& extra_env = "") {
    std::string out = home_ + "/out", err = home_ + "/err";
    std::string env = "env -i PATH=/usr/bin:/bin HOME=" + Quote(home_) +
                      " GH_HOST=" + Quote(host_) + " GH_ENTERPRISE_TOKEN=" + Quote(pat_) +
                      " SSL_CERT_FILE=" + Quote(ca_) +
                      " GH_CONFIG_DIR=" + Quote(home_ + "/config") +
                      " XDG_STATE_HOME=" + Quote(home_ + "/state") +
                      " XDG_CACHE_HOME=" + Quote(home_ + "/cache") + " TMPDIR=" + Quote(home_) +
                      " GH_PROMPT_DISABLED=1 GH_NO_UPDATE_NOTIFIER=1 NO_COLOR=1 " + extra_env;
    std::string command = "cd " + Quote(cwd.empty() ? home_ : cwd) + " && " + env + " gh " + args +
                          (repo ? " -R " + Quote(host_ + "/" + project_->name) : "") + " >" +
                          Quote(out) + " 2>" + Quote(err) + " </dev/null";
    GhResult r;
    int status = std::system(command.c_str());
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    auto read = [](const std::string& path) {
      std::ifstream in(path);
      return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    r.out = read(out);
    r.err = read(err);
    return r;
  }

  /// No error of any kind on gh's standard error.
  static void ExpectCleanErr(const GhResult& r) {
    EXPECT_THAT(r.err, Not(HasSubstr("rror"))) << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("HTTP 4"))) << r.err;
    EXPECT_THAT(r.err, Not(HasSubstr("HTTP 5"))) << r.err;
  }

  /// Dispatches `file` through the API and returns the new run's id.
  static int64_t Dispatch(const std::string& file, const json& inputs = json::object()) {
    HttpReply d = Http(
        "POST", url_ + "/api/v1/projects/" + project_->name + "/workflows/" + file + "/dispatches",
        json{{"ref", "main"}, {"inputs", inputs}}.dump(), user_.Auth());
    EXPECT_EQ(d.status, 201) << d.body;
    return d.Json()["runs"][0].get<int64_t>();
  }

  static json V3(const std::string& path, HttpReply* reply = nullptr) {
    HttpReply r = Http("GET", url_ + "/api/v3" + path, "", {"Authorization: token " + pat_});
    if (reply != nullptr) *reply = r;
    return r.Json();
  }

  static std::string R(int64_t id) { return std::to_string(id); }

  static inline std::string dir_, ca_, url_, host_, pat_;
  static inline ServerProcess* server_ = nullptr;
  static inline User user_;
  static inline Project* project_ = nullptr;
  static inline int64_t ci_run_ = 0;
  static inline std::string sha_;
  static inline std::map<std::string, int64_t> job_ids_;
  std::string home_;
};

}  // namespace gantry::testing
