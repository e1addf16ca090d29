// Reusable workflow calls followed by the loader (LoadOptions::read_file).
#include <gtest/gtest.h>

#include <map>

#include "workflow/loader.h"
#include "workflow/loader_test_util.h"

namespace gantry::workflow {
namespace {

using testing::Load;
using testing::Render;

// A repository of files for LoadOptions::read_file.
LoadOptions Files(std::map<std::string, std::string> files) {
  LoadOptions options;
  options.read_file = [files = std::move(files)](const std::string& path) {
    auto it = files.find(path);
    return it == files.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  return options;
}

const char* kCallee =
    "on:\n  workflow_call:\n    inputs:\n      name:\n        type: string\n"
    "        required: true\njobs:\n  inner:\n    runs-on: x\n    steps:\n      - run: echo\n";

TEST(LoaderCallsTest, LocalCalleeIsLoadedAndAttachedToTheJob) {
  LoadResult r = Load(
      "on: push\njobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n"
      "    with:\n      name: x\n",
      Files({{".github/workflows/callee.yml", kCallee}}));
  ASSERT_TRUE(r.ok()) << Render(r);
  const Job& job = r.workflow->jobs[0];
  ASSERT_NE(job.called_workflow, nullptr);
  EXPECT_EQ(job.called_workflow->file, ".github/workflows/callee.yml");
  EXPECT_EQ(job.called_workflow->jobs[0].id, "inner");
}

TEST(LoaderCallsTest, CallIsCheckedAgainstTheCalleeContract) {
  LoadResult r = Load("on: push\njobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n",
                      Files({{".github/workflows/callee.yml", kCallee}}));
  EXPECT_EQ(Render(r), "4:11: Input name is required, but not provided while calling.\n");
}

TEST(LoaderCallsTest, MissingLocalCalleeIsAnError) {
  LoadResult r =
      Load("on: push\njobs:\n  call:\n    uses: ./.github/workflows/nope.yml\n", Files({}));
  EXPECT_EQ(Render(r),
            "4:11: Reusable workflow './.github/workflows/nope.yml' was not found: no file "
            "'.github/workflows/nope.yml' in the repository\n");
}

TEST(LoaderCallsTest, UnavailableRemoteCalleeIsLeftUnchecked) {
  LoadResult r =
      Load("on: push\njobs:\n  call:\n    uses: o/r/.github/workflows/x.yml@v1\n", Files({}));
  EXPECT_TRUE(r.ok()) << Render(r);
  EXPECT_EQ(r.workflow->jobs[0].called_workflow, nullptr);
}

TEST(LoaderCallsTest, ProvidedRemoteCalleeIsReadUnderItsReference) {
  LoadResult r = Load("on: push\njobs:\n  call:\n    uses: o/r/.github/workflows/x.yml@v1\n",
                      Files({{"o/r/.github/workflows/x.yml@v1", kCallee}}));
  EXPECT_EQ(Render(r), "4:11: Input name is required, but not provided while calling.\n");
}

TEST(LoaderCallsTest, CalleeProblemsAreReportedInTheCalleeFileAfterTheCallerOnes) {
  LoadResult r = Load(
      "on: push\njobs:\n  call:\n    uses: ./.github/workflows/bad.yml\n  b:\n    runs-on: x\n"
      "    timeout-minutes: x\n",
      Files({{".github/workflows/bad.yml",
              "on: workflow_call\njobs:\n  a:\n    runs-on: x\n"
              "    stesp: []\n"}}));
  EXPECT_EQ(Render(r),
            "7:22: Unexpected value 'x' (expected a number or an expression)\n"
            ".github/workflows/bad.yml:5:5: Unexpected value 'stesp' (did you mean 'steps'?)\n");
}

TEST(LoaderCallsTest, CallsAreNotCheckedWhenTheCallerHasErrors) {
  LoadResult r = Load(
      "on: push\njobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n"
      "    secrets: inhrit\n",
      Files({{".github/workflows/callee.yml", kCallee}}));
  EXPECT_EQ(Render(r),
            "5:14: Unexpected value 'inhrit' (expected 'inherit' or a mapping of secrets)\n");
}

TEST(LoaderCallsTest, RecursiveCallIsReportedWithTheChain) {
  LoadResult r =
      Load("on: push\njobs:\n  call:\n    uses: ./.github/workflows/a.yml\n",
           Files({{".github/workflows/a.yml",
                   "on: workflow_call\njobs:\n  again:\n    uses: ./.github/workflows/a.yml\n"}}));
  EXPECT_EQ(Render(r),
            ".github/workflows/a.yml:4:11: Reusable workflow '.github/workflows/a.yml' calls "
            "itself: .github/workflows/a.yml -> .github/workflows/a.yml\n");
}

TEST(LoaderCallsTest, NestingDeeperThanTheLimitIsReported) {
  LoadOptions options =
      Files({{".github/workflows/1.yml",
              "on: workflow_call\njobs:\n  c:\n    uses: ./.github/workflows/2.yml\n"},
             {".github/workflows/2.yml",
              "on: workflow_call\njobs:\n  c:\n    uses: ./.github/workflows/3.yml\n"},
             {".github/workflows/3.yml", "on: workflow_call\njobs:\n  c:\n    runs-on: x\n"}});
  options.max_call_depth = 2;
  LoadResult r = Load("on: push\njobs:\n  c:\n    uses: ./.github/workflows/1.yml\n", options);
  EXPECT_EQ(Render(r),
            ".github/workflows/2.yml:4:11: Nested reusable workflow depth exceeded 2.\n");
}

TEST(LoaderCallsTest, JobCountIncludesCalledWorkflows) {
  LoadOptions options = Files({{".github/workflows/c.yml",
                                "on: workflow_call\njobs:\n  a:\n    runs-on: x\n  b:\n"
                                "    runs-on: x\n"}});
  options.max_jobs = 2;
  LoadResult r = Load(
      "on: push\njobs:\n  c:\n    uses: ./.github/workflows/c.yml\n  d:\n"
      "    runs-on: x\n",
      options);
  EXPECT_EQ(Render(r), "0:0: The workflow may not contain more than 2 jobs\n");
}

TEST(LoaderCallsTest, WithoutReadFileCallsAreNotFollowed) {
  LoadResult r = Load("on: push\njobs:\n  call:\n    uses: ./.github/workflows/nope.yml\n");
  EXPECT_TRUE(r.ok()) << Render(r);
}

}  // namespace
}  // namespace gantry::workflow
