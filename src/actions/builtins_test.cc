#include "actions/builtins.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "actions/test_util.h"

namespace gantry::actions {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::Remote;
using testing::TempDir;
using testing::WriteFile;

TEST(BuiltinsTest, HandlesTheBuiltInNamesOnly) {
  auto builtins = MakeBuiltinActions({});
  for (const char* name :
       {"actions/checkout", "actions/upload-artifact", "actions/download-artifact", "actions/cache",
        "actions/cache/restore", "actions/cache/save"}) {
    EXPECT_TRUE(builtins->Handles(name)) << name;
  }
  for (const char* name :
       {"actions/setup-node", "actions/cache/other", "actions", "checkout", "Actions/Checkout"}) {
    EXPECT_FALSE(builtins->Handles(name)) << name;
  }
}

TEST(BuiltinsTest, OnlyCacheHasAPostStageRunOnSuccess) {
  auto builtins = MakeBuiltinActions({});
  EXPECT_TRUE(builtins->HasPost("actions/cache"));
  EXPECT_EQ(builtins->PostIf("actions/cache"), "success()");
  for (const char* name :
       {"actions/checkout", "actions/upload-artifact", "actions/download-artifact",
        "actions/cache/restore", "actions/cache/save"}) {
    EXPECT_FALSE(builtins->HasPost(name)) << name;
  }
}

TEST(BuiltinsTest, RunDispatchesUploadAndDownloadToTheConfiguredStore) {
  TempDir dir;
  WriteFile(dir / "ws/f.txt", "content");
  fs::create_directories(dir / "ws2");
  auto builtins = MakeBuiltinActions({.artifact_dir = dir / "store", .cache = {}});
  engine::BuiltinCall call;
  call.action = Remote("actions", "upload-artifact", "", "v4");
  call.inputs = {{"name", "n"}, {"path", "f.txt"}};
  call.workspace = dir / "ws";
  call.run_id = "3";
  ASSERT_EQ(builtins->Run(call).error, "");
  EXPECT_EQ(ReadFile(dir / "store/3/n/files/f.txt"), "content");
  call.action = Remote("Actions", "Download-Artifact", "", "main");
  call.inputs = {{"name", "n"}};
  call.workspace = dir / "ws2";
  ASSERT_EQ(builtins->Run(call).error, "");
  EXPECT_EQ(ReadFile(dir / "ws2/f.txt"), "content");
}

TEST(BuiltinsTest, BeforeDownloadRunsBeforeEachDownloadOnlyAndItsErrorFailsTheStep) {
  TempDir dir;
  WriteFile(dir / "ws/f.txt", "content");
  int calls = 0;
  core::Status answer;
  BuiltinOptions options;
  options.artifact_dir = dir / "store";
  options.before_download = [&](const engine::BuiltinCall& c) {
    ++calls;
    // What the hook brings is there for the download that follows.
    WriteFile(dir / ("store/" + c.run_id + "/late/files/g.txt"), "late");
    WriteFile(dir / ("store/" + c.run_id + "/late/artifact.json"), "{}");
    return answer;
  };
  auto builtins = MakeBuiltinActions(options);
  engine::BuiltinCall call;
  call.action = Remote("actions", "upload-artifact", "", "v4");
  call.inputs = {{"name", "n"}, {"path", "f.txt"}};
  call.workspace = dir / "ws";
  call.run_id = "3";
  ASSERT_EQ(builtins->Run(call).error, "");
  EXPECT_EQ(calls, 0);
  call.action = Remote("actions", "download-artifact", "", "v4");
  call.inputs = {{"name", "late"}, {"path", "got"}};
  ASSERT_EQ(builtins->Run(call).error, "");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(ReadFile(dir / "ws/got/g.txt"), "late");
  answer = core::Status::Unavailable("the server is away");
  EXPECT_EQ(builtins->Run(call).error, "Unable to download artifact(s): the server is away");
}

TEST(BuiltinsTest, RunDispatchesCheckout) {
  TempDir dir;
  WriteFile(dir / "repo/x", "x");
  fs::create_directories(dir / "ws");
  auto builtins = MakeBuiltinActions({});
  engine::BuiltinCall call;
  call.action = Remote("actions", "checkout");
  call.workspace = dir / "ws";
  call.repository_dir = dir / "repo";
  ASSERT_EQ(builtins->Run(call).error, "");
  EXPECT_EQ(ReadFile(dir / "ws/x"), "x");
}

TEST(BuiltinsTest, RunDispatchesTheCacheActions) {
  TempDir dir;
  auto builtins = MakeBuiltinActions({.artifact_dir = "", .cache = {.dir = dir / "cache"}});
  for (const char* path : {"", "restore", "save"}) {
    engine::BuiltinCall call;
    call.action = Remote("actions", "cache", path);
    call.workspace = dir.path();
    EXPECT_EQ(builtins->Run(call).error.find("is not a built-in action"), std::string::npos)
        << path;
  }
}

TEST(BuiltinsTest, RunRejectsAnActionThatIsNotBuiltIn) {
  auto builtins = MakeBuiltinActions({});
  engine::BuiltinCall call;
  call.action = Remote("actions", "setup-go");
  EXPECT_EQ(builtins->Run(call).error, "'actions/setup-go@v4' is not a built-in action");
}

TEST(BuiltinsTest, InputsAreTrimmedAndBooleansFollowTheToolkit) {
  engine::BuiltinCall call;
  call.inputs = {{"name", "  spaced \n"}, {"a", "True"}, {"b", "FALSE"}, {"c", "yes"}};
  EXPECT_EQ(GetInput(call, "name"), "spaced");
  EXPECT_EQ(GetInput(call, "missing"), "");
  EXPECT_TRUE(*GetBooleanInput(call, "a", false));
  EXPECT_FALSE(*GetBooleanInput(call, "b", true));
  EXPECT_TRUE(*GetBooleanInput(call, "missing", true));
  auto bad = GetBooleanInput(call, "c", false);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find('c'), std::string::npos);
}

}  // namespace
}  // namespace gantry::actions
