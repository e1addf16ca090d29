#include "cli/lint_command.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;

const char* kClean = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo\n";

// A temporary directory that is the current directory for the test's lifetime.
class LintCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gantry-lint-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    old_cwd_ = fs::current_path();
    fs::current_path(root_);
  }
  void TearDown() override {
    fs::current_path(old_cwd_);
    fs::remove_all(root_);
  }
  void Write(const fs::path& path, const std::string& content) {
    fs::create_directories((root_ / path).parent_path());
    std::ofstream(root_ / path) << content;
  }
  int Run(std::vector<std::string> paths, std::string format = "text") {
    out_.str("");
    err_.str("");
    return RunLintCommand({std::move(paths), std::move(format)}, out_, err_);
  }

  fs::path root_;
  fs::path old_cwd_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(LintCommandTest, CleanFileExitsZeroAndPrintsNothing) {
  Write("ci.yml", kClean);
  EXPECT_EQ(Run({"ci.yml"}), 0);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(LintCommandTest, ProblemsArePrintedWithThePathAsGivenAndExitOne) {
  Write("wf/ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    stesp: []\n");
  EXPECT_EQ(Run({"wf/ci.yml"}), 1);
  EXPECT_EQ(out_.str(), "wf/ci.yml:5:5: Unexpected value 'stesp' (did you mean 'steps'?)\n");
}

TEST_F(LintCommandTest, DirectoryMeansItsYamlFilesSortedByFileThenPosition) {
  Write("wf/b.yaml", "on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: x\n    foo: 1\n");
  Write("wf/a.yml", "on: push\njobs:\n  a:\n    runs-on: ''\n");
  Write("wf/notes.txt", "not yaml: [");
  Write("wf/sub/c.yml", "not: a workflow\n");
  EXPECT_EQ(Run({"wf"}), 1);
  EXPECT_EQ(out_.str(),
            "wf/a.yml:4:14: Unexpected value '' (expected a non-empty string)\n"
            "wf/b.yaml:5:22: Unexpected value 'x' (expected a number or an expression)\n"
            "wf/b.yaml:6:5: Unexpected value 'foo'\n");
}

TEST_F(LintCommandTest, JsonFormatPrintsAnArrayOfDiagnostics) {
  Write("ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: x\n    needs: [nope]\n  b:\n    runs-on: x\n");
  EXPECT_EQ(Run({"ci.yml"}, "json"), 1);
  nlohmann::json json = nlohmann::json::parse(out_.str());
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["file"], "ci.yml");
  EXPECT_EQ(json[0]["line"], 5);
  EXPECT_EQ(json[0]["column"], 13);
  EXPECT_EQ(json[0]["message"], "Job 'a' depends on unknown job 'nope'.");
  EXPECT_EQ(json[0]["rule"], "needs");
}

TEST_F(LintCommandTest, JsonFormatOfACleanFileIsAnEmptyArray) {
  Write("ci.yml", kClean);
  EXPECT_EQ(Run({"ci.yml"}, "json"), 0);
  EXPECT_EQ(nlohmann::json::parse(out_.str()), nlohmann::json::array());
}

TEST_F(LintCommandTest, MissingPathIsAUsageError) {
  EXPECT_EQ(Run({"nope.yml"}), 2);
  EXPECT_EQ(err_.str(), "gantry lint: nope.yml: no such file or directory\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(LintCommandTest, FileThatIsNotYamlIsAUsageError) {
  Write("README.md", "# hi\n");
  EXPECT_EQ(Run({"README.md"}), 2);
  EXPECT_EQ(err_.str(),
            "gantry lint: README.md is not a workflow file (expected a .yml or .yaml file)\n");
}

TEST_F(LintCommandTest, DirectoryWithoutWorkflowsIsAUsageError) {
  fs::create_directories(root_ / "empty");
  EXPECT_EQ(Run({"empty"}), 2);
  EXPECT_EQ(err_.str(), "gantry lint: no workflow files (*.yml, *.yaml) in empty\n");
}

TEST_F(LintCommandTest, UnknownFormatIsAUsageError) {
  Write("ci.yml", kClean);
  EXPECT_EQ(Run({"ci.yml"}, "xml"), 2);
}

TEST_F(LintCommandTest, DefaultIsTheWorkflowsFolderOfTheEnclosingRepository) {
  fs::create_directories(root_ / ".git");
  Write(".github/workflows/ci.yml", "on: push\njobs:\n  a:\n    runs-on: ''\n");
  fs::create_directories(root_ / "src" / "deep");
  fs::current_path(root_ / "src" / "deep");
  EXPECT_EQ(Run({}), 1);
  EXPECT_EQ(out_.str(),
            "../../.github/workflows/ci.yml:4:14: Unexpected value '' (expected a non-empty "
            "string)\n");
}

TEST_F(LintCommandTest, DefaultOutsideARepositoryIsAUsageError) {
  EXPECT_EQ(Run({}), 2);
  EXPECT_NE(err_.str().find("not inside a git repository"), std::string::npos);
}

TEST_F(LintCommandTest, ReusableWorkflowsResolveFromTheRepositoryRoot) {
  fs::create_directories(root_ / ".git");
  Write(".github/workflows/caller.yml",
        "on: push\njobs:\n  call:\n    uses: ./.github/workflows/called.yml\n"
        "  gone:\n    uses: ./.github/workflows/gone.yml\n");
  Write(".github/workflows/called.yml",
        "on: workflow_call\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: x\n");
  EXPECT_EQ(Run({".github/workflows"}), 1);
  // The callee's own problem is printed once although both files reach it.
  EXPECT_EQ(out_.str(),
            ".github/workflows/called.yml:5:22: Unexpected value 'x' (expected a number or an "
            "expression)\n"
            ".github/workflows/caller.yml:6:11: Reusable workflow "
            "'./.github/workflows/gone.yml' was not found: no file '" +
                (fs::current_path() / ".github/workflows/gone.yml").string() +
                "' (local paths resolve against the repository root " +
                fs::current_path().string() + ")\n");
}

TEST_F(LintCommandTest, CalleeProblemsAreNamedRelativeToTheLintedFile) {
  fs::create_directories(root_ / "repo" / ".git");
  Write("repo/.github/workflows/caller.yml",
        "on: push\njobs:\n  call:\n    uses: ./.github/workflows/lib/called.yml\n");
  Write("repo/.github/workflows/lib/called.yml",
        "on: workflow_call\njobs:\n  a:\n    runs-on: ''\n");
  EXPECT_EQ(Run({"repo/.github/workflows/caller.yml"}), 1);
  EXPECT_EQ(out_.str(),
            "repo/.github/workflows/lib/called.yml:4:14: Unexpected value '' (expected a "
            "non-empty string)\n");
}

TEST_F(LintCommandTest, ActionYmlIsCheckedAsAnActionManifest) {
  Write("act/action.yml", "name: a\nruns:\n  using: node8\n  main: index.js\n");
  EXPECT_EQ(Run({"act/action.yml"}), 1);
  EXPECT_EQ(out_.str(),
            "act/action.yml:3:10: 'node8' is not a supported runs.using value (use 'composite', "
            "'docker', 'node12', 'node16', 'node20' or 'node24')\n");
}

TEST_F(LintCommandTest, CleanActionYamlExitsZero) {
  Write("act/action.yaml",
        "name: a\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n");
  EXPECT_EQ(Run({"act/action.yaml"}), 0);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(LintCommandTest, ActionManifestInAFolderIsCheckedAsAnAction) {
  Write("act/action.yml", "runs:\n  using: composite\n  steps:\n    - run: echo\n");
  EXPECT_EQ(Run({"act"}, "json"), 1);
  auto json = nlohmann::json::parse(out_.str());
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["file"], "act/action.yml");
  EXPECT_EQ(json[0]["line"], 4);
  EXPECT_EQ(json[0]["column"], 7);
  EXPECT_EQ(json[0]["message"], "Required property is missing: shell");
}

TEST_F(LintCommandTest, ExperimentalStepKeysAreWarningsAndExitZero) {
  Write("ci.yml",
        "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - id: s\n"
        "        run: sleep 1\n        background: true\n      - wait: s\n"
        "      - parallel:\n          - run: a\n");
  EXPECT_EQ(Run({"ci.yml"}), 0);
  const std::string experimental =
      " is experimental on GitHub: its workflow parser accepts it only with the "
      "allowBackgroundSteps feature, so GitHub may reject this workflow\n";
  EXPECT_EQ(out_.str(), "ci.yml:8:9: warning: 'background'" + experimental +
                            "ci.yml:9:9: warning: 'wait'" + experimental);
  EXPECT_EQ(Run({"ci.yml"}, "json"), 0);
  auto json = nlohmann::json::parse(out_.str());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["severity"], "warning");
  EXPECT_EQ(json[0]["rule"], "experimental");
}

TEST_F(LintCommandTest, WarningsDoNotHideErrorsOrTheirExitStatus) {
  Write("ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - cancel: nope\n");
  EXPECT_EQ(Run({"ci.yml"}, "json"), 1);
  auto json = nlohmann::json::parse(out_.str());
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0]["severity"], "warning");
  EXPECT_EQ(json[1]["severity"], "error");
  EXPECT_EQ(json[1]["message"], "Step references unknown step ID 'nope'");
}

TEST_F(LintCommandTest, ActionYamlInTheWorkflowsFolderIsAWorkflow) {
  fs::create_directories(root_ / ".git");
  Write(".github/workflows/action.yaml", kClean);
  Write(".github/workflows/action.yml", "on: push\njobs:\n  a:\n    runs-on: ''\n");
  EXPECT_EQ(Run({}), 1);
  EXPECT_EQ(out_.str(),
            ".github/workflows/action.yml:4:14: Unexpected value '' (expected a non-empty "
            "string)\n");
}

TEST_F(LintCommandTest, LocalCallsOutsideDotGithubResolveFromTheRepositoryWhateverTheCwd) {
  fs::create_directories(root_ / "repo" / ".git");
  Write("repo/ci/pipeline.yml", "on: push\njobs:\n  call:\n    uses: ./lib/called.yml\n");
  Write("repo/lib/called.yml", "on: workflow_call\njobs:\n  a:\n    runs-on: ''\n");
  EXPECT_EQ(Run({"repo/ci/pipeline.yml"}), 1);
  EXPECT_EQ(out_.str(),
            "repo/lib/called.yml:4:14: Unexpected value '' (expected a non-empty string)\n");
  fs::current_path(root_ / "repo" / "ci");
  EXPECT_EQ(Run({"pipeline.yml"}), 1);
  EXPECT_EQ(out_.str(),
            "../lib/called.yml:4:14: Unexpected value '' (expected a non-empty string)\n");
}

TEST_F(LintCommandTest, LooseFileResolvesLocalCallsFromItsOwnFolder) {
  Write("loose/ci.yml", "on: push\njobs:\n  call:\n    uses: $/.github/workflows/x.yml\n");
  const std::string folder = (fs::current_path() / "loose").string();
  const std::string expected =
      "Reusable workflow '$/.github/workflows/x.yml' was not found: no file '" + folder +
      "/.github/workflows/x.yml' (local paths resolve against "
      "the repository root " +
      folder + ")\n";
  EXPECT_EQ(Run({"loose/ci.yml"}), 1);
  EXPECT_EQ(out_.str(), "loose/ci.yml:4:11: " + expected);
  fs::current_path(root_ / "loose");
  EXPECT_EQ(Run({"ci.yml"}), 1);
  EXPECT_EQ(out_.str(), "ci.yml:4:11: " + expected);
}

TEST_F(LintCommandTest, SelfRepositoryCallIsLoadedLikeALocalOne) {
  fs::create_directories(root_ / ".git");
  Write(".github/workflows/ci.yml",
        "on: push\njobs:\n  call:\n    uses: $/.github/workflows/lib.yml\n");
  Write(".github/workflows/lib.yml", "on: workflow_call\njobs:\n  a:\n    runs-on: ''\n");
  EXPECT_EQ(Run({".github/workflows/ci.yml"}), 1);
  EXPECT_EQ(out_.str(),
            ".github/workflows/lib.yml:4:14: Unexpected value '' (expected a non-empty "
            "string)\n");
}

}  // namespace
}  // namespace gantry::cli
