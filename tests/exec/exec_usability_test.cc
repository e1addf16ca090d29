// Integration tests of what a user of `gantry exec` reads when something goes wrong or is
// asked for precisely: the apt/dpkg lock hint, --matrix keys, several -j jobs, multi-line
// annotations, the no-Docker error and the summary table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>

#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

TEST(ExecUsabilityTest, AStepThatFailedOnTheDpkgLockGetsOneHint) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  install:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 42 (apt-get)"
          echo "E: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?"
          exit 100
  retried:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 42"
)yaml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_EQ(Count(f.out, "hint: another job held the apt/dpkg lock"), 1U) << f.out;
  EXPECT_THAT(f.out, HasSubstr("[install] gantry: hint: another job held the apt/dpkg lock (jobs "
                               "run in parallel on this machine); run with -p 1"));
}

const char kMatrix[] = R"yaml(on: push
jobs:
  build:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        cc: [gcc, clang]
        os: [{name: debian, version: 12}, {name: debian, version: 13}]
    steps:
      - run: echo "built ${{ matrix.cc }} ${{ matrix.os.version }}"
)yaml";

TEST(ExecUsabilityTest, MatrixWithAKeyNoMatrixHasIsAnErrorNamingTheKnownKeys) {
  Project p;
  p.Workflow("ci.yml", kMatrix);
  Finished f = p.Run({"exec", "--matrix", "compiler:gcc"});
  EXPECT_EQ(f.exit_code, 2) << f.out << f.err;
  EXPECT_THAT(f.err, HasSubstr("--matrix compiler:gcc: no matrix of the jobs to run has a key "
                               "'compiler' (known keys: cc, os, os.name, os.version)"));
  EXPECT_THAT(f.out, Not(HasSubstr("built")));
}

TEST(ExecUsabilityTest, MatrixWithADottedKeyFiltersANestedValue) {
  Project p;
  p.Workflow("ci.yml", kMatrix);
  Finished f = p.Run({"exec", "--matrix", "os.version:13", "--matrix", "cc:clang"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_EQ(Count(f.out, "] built "), 1U) << f.out;
  EXPECT_THAT(f.out, HasSubstr("built clang 13"));
}

TEST(ExecUsabilityTest, SeveralJobsAreRunEachWithItsNeeds) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  setup:
    runs-on: ubuntu-latest
    steps: [{run: echo ran-setup}]
  a:
    needs: setup
    runs-on: ubuntu-latest
    steps: [{run: echo ran-a}]
  b:
    runs-on: ubuntu-latest
    steps: [{run: echo ran-b}]
  c:
    runs-on: ubuntu-latest
    steps: [{run: echo ran-c}]
)yaml");
  Finished both = p.Run({"exec", "-j", "a", "-j", "b"});
  EXPECT_EQ(both.exit_code, 0) << both.out << both.err;
  EXPECT_THAT(both.out, HasSubstr("ran-setup"));
  EXPECT_THAT(both.out, HasSubstr("ran-a"));
  EXPECT_THAT(both.out, HasSubstr("ran-b"));
  EXPECT_THAT(both.out, Not(HasSubstr("ran-c")));
  Finished listed = p.Run({"exec", "-j", "a,c", "--no-deps"});
  EXPECT_EQ(listed.exit_code, 0) << listed.out << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("ran-a"));
  EXPECT_THAT(listed.out, HasSubstr("ran-c"));
  EXPECT_THAT(listed.out, Not(HasSubstr("ran-setup")));
  Finished unknown = p.Run({"exec", "-j", "a", "-j", "nope"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("has a job 'nope'"));
}

TEST(ExecUsabilityTest, AnAnnotationWithEscapedNewlinesIsSeveralPrefixedLines) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  warn:
    runs-on: ubuntu-latest
    steps:
      - run: echo "::warning::first line%0Asecond line"
)yaml");
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("[warn] warning: first line\n[warn]   second line\n"));
  EXPECT_THAT(f.out, HasSubstr("  warning: first line\n    second line [warn]\n"));
  EXPECT_THAT(f.out, Not(HasSubstr("warning: first line%0A")));
  EXPECT_THAT(f.out, Not(HasSubstr("\\n")));
}

// Unsets DOCKER_HOST for the gantry processes started while it lives.
class WithDockerHost {
 public:
  explicit WithDockerHost(const char* value) {
    if (const char* old = std::getenv("DOCKER_HOST")) old_ = old;
    setenv("DOCKER_HOST", value, 1);
  }
  ~WithDockerHost() {
    if (old_) {
      setenv("DOCKER_HOST", old_->c_str(), 1);
    } else {
      unsetenv("DOCKER_HOST");
    }
  }
  WithDockerHost(const WithDockerHost&) = delete;
  WithDockerHost& operator=(const WithDockerHost&) = delete;

 private:
  std::optional<std::string> old_;
};

TEST(ExecUsabilityTest, AContainerJobWithoutADockerEngineFailsWithOneClearLine) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  boxed:
    runs-on: ubuntu-latest
    container: debian:12
    steps: [{run: echo inside}]
)yaml");
  std::string sock = (p.base() / "no-docker.sock").string();
  WithDockerHost host(("unix://" + sock).c_str());
  Finished f = p.Run({"exec"});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("no Docker engine at " + sock +
                               " (no such socket): start one, set DOCKER_HOST to its unix:// "
                               "socket, or run without containers\n"));
  EXPECT_THAT(f.out, Not(HasSubstr("port 80")));
  EXPECT_THAT(f.out, Not(HasSubstr("Couldn't connect")));
}

TEST(ExecUsabilityTest, SummaryColumnsLineUpWithALongJobName) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  short:
    runs-on: ubuntu-latest
    steps: [{run: "true"}]
  long:
    name: A job name far longer than the summary's widest column of forty-eight
    runs-on: ubuntu-latest
    steps: [{run: "true"}]
)yaml");
  Finished f = p.Run({"exec", "-p", "1"});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  std::istringstream in(f.out.substr(f.out.find("Summary:")));
  std::string line;
  std::vector<std::size_t> columns;
  while (std::getline(in, line)) {
    for (const char* word : {"CONCLUSION", "success"}) {
      if (line.find(word) != std::string::npos && line.find("Success:") == std::string::npos) {
        columns.push_back(line.find(word));
      }
    }
  }
  ASSERT_EQ(columns.size(), 3U) << f.out;
  EXPECT_EQ(columns[1], columns[0]) << f.out;
  EXPECT_EQ(columns[2], columns[0]) << f.out;
  EXPECT_THAT(
      f.out,
      HasSubstr("\n  A job name far longer than the summary's widest column of forty-eight\n"));
}

}  // namespace
}  // namespace gantry::exec_test
