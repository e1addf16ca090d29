#include "actions/artifacts.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "actions/test_util.h"
#include "core/sha256.h"

namespace gantry::actions {
namespace {

namespace fs = std::filesystem;
using testing::ListFiles;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

class ArtifactsTest : public ::testing::Test {
 protected:
  ArtifactsTest() {
    for (const char* d : {"ws1", "ws2", "tmp", "store"}) fs::create_directories(dir_ / d);
  }

  engine::BuiltinCall Call(const std::string& workspace, engine::EnvList inputs,
                           const std::string& run_id = "7") {
    engine::BuiltinCall call;
    call.action = testing::Remote("actions", "upload-artifact");
    call.inputs = std::move(inputs);
    call.workspace = dir_ / workspace;
    call.temp = dir_ / "tmp";
    call.github_repository = "owner/repo";
    call.run_id = run_id;
    call.log = [this](std::string_view line) { log_.emplace_back(line); };
    return call;
  }

  engine::BuiltinResult Upload(engine::EnvList inputs, const std::string& run_id = "7") {
    return RunUploadArtifact(Call("ws1", std::move(inputs), run_id), store());
  }
  engine::BuiltinResult Download(engine::EnvList inputs, const std::string& run_id = "7") {
    return RunDownloadArtifact(Call("ws2", std::move(inputs), run_id), store());
  }
  std::string store() const { return dir_ / "store"; }
  bool Logged(std::string_view text) const {
    return std::any_of(log_.begin(), log_.end(),
                       [&](const std::string& l) { return l.find(text) != std::string::npos; });
  }

  TempDir dir_;
  std::vector<std::string> log_;
};

std::string Output(const engine::BuiltinResult& result, std::string_view name) {
  const std::string* value = engine::FindEnv(result.outputs, name);
  return value != nullptr ? *value : "<unset>";
}

TEST_F(ArtifactsTest, RoundTripBetweenTwoJobs) {
  WriteFile(dir_ / "ws1/dist/app.bin", "binary");
  WriteFile(dir_ / "ws1/dist/lib/x.so", "lib");
  auto up = Upload({{"name", "build"}, {"path", "dist/"}});
  ASSERT_EQ(up.error, "");
  EXPECT_EQ(Output(up, "artifact-id"), "1");
  EXPECT_EQ(Output(up, "artifact-url"), "file://" + store() + "/7/build");
  EXPECT_EQ(ListFiles(store() + "/7/build/files"),
            (std::vector<std::string>{"app.bin", "lib/x.so"}));
  auto down = Download({{"name", "build"}, {"path", "out"}});
  ASSERT_EQ(down.error, "");
  EXPECT_EQ(Output(down, "download-path"), dir_ / "ws2/out");
  EXPECT_EQ(ReadFile(dir_ / "ws2/out/app.bin"), "binary");
  EXPECT_EQ(ReadFile(dir_ / "ws2/out/lib/x.so"), "lib");
}

TEST_F(ArtifactsTest, MetadataAndDigestDescribeTheStoredFiles) {
  WriteFile(dir_ / "ws1/d/b", "bb");
  WriteFile(dir_ / "ws1/d/a", "a");
  auto up = Upload({{"path", "d"}, {"retention-days", "5"}});
  ASSERT_EQ(up.error, "");
  auto hex = [](std::string_view text) {
    core::Sha256 sha;
    sha.Update(text);
    return core::Sha256::Hex(sha.Finish());
  };
  std::string expected = hex(hex("a") + "  a\n" + hex("bb") + "  b\n");
  EXPECT_EQ(Output(up, "artifact-digest"), expected);
  auto meta = nlohmann::json::parse(ReadFile(store() + "/7/artifact/artifact.json"));
  EXPECT_EQ(meta["name"], "artifact");
  EXPECT_EQ(meta["size"], 3);
  EXPECT_EQ(meta["files"], 2);
  EXPECT_EQ(meta["retention_days"], 5);
  EXPECT_EQ(meta["digest"], "sha256:" + expected);
}

TEST_F(ArtifactsTest, ASingleFileIsStoredWithoutItsDirectories) {
  WriteFile(dir_ / "ws1/a/b/report.txt", "r");
  ASSERT_EQ(Upload({{"path", "a/b/report.txt"}}).error, "");
  EXPECT_EQ(ListFiles(store() + "/7/artifact/files"), std::vector<std::string>{"report.txt"});
}

TEST_F(ArtifactsTest, SeveralPathsAreRootedAtTheirLeastCommonAncestor) {
  WriteFile(dir_ / "ws1/out/x/1.txt", "1");
  WriteFile(dir_ / "ws1/out/y/2.txt", "2");
  WriteFile(dir_ / "ws1/out/y/skip.txt", "s");
  ASSERT_EQ(Upload({{"path", "out/x/\nout/y/*.txt\n!**/skip.txt"}}).error, "");
  EXPECT_EQ(ListFiles(store() + "/7/artifact/files"),
            (std::vector<std::string>{"x/1.txt", "y/2.txt"}));
}

TEST_F(ArtifactsTest, FilesInTheJobTempDirectoryMayBeUploaded) {
  WriteFile(dir_ / "tmp/t.txt", "t");
  ASSERT_EQ(Upload({{"path", dir_ / "tmp/t.txt"}}).error, "");
  EXPECT_EQ(ListFiles(store() + "/7/artifact/files"), std::vector<std::string>{"t.txt"});
}

TEST_F(ArtifactsTest, HiddenFilesAreExcludedUnlessIncluded) {
  WriteFile(dir_ / "ws1/d/.env", "secret");
  WriteFile(dir_ / "ws1/d/v", "v");
  ASSERT_EQ(Upload({{"name", "a"}, {"path", "d"}}).error, "");
  EXPECT_EQ(ListFiles(store() + "/7/a/files"), std::vector<std::string>{"v"});
  ASSERT_EQ(Upload({{"name", "b"}, {"path", "d"}, {"include-hidden-files", "true"}}).error, "");
  EXPECT_EQ(ListFiles(store() + "/7/b/files"), (std::vector<std::string>{".env", "v"}));
}

TEST_F(ArtifactsTest, IfNoFilesFoundModes) {
  auto warn = Upload({{"path", "nothing/*"}});
  EXPECT_EQ(warn.error, "");
  EXPECT_TRUE(Logged("Warning: No files were found with the provided path: nothing/*."));
  EXPECT_FALSE(fs::exists(store() + "/7/artifact"));
  auto error = Upload({{"path", "nothing"}, {"if-no-files-found", "error"}});
  EXPECT_EQ(error.error,
            "No files were found with the provided path: nothing. No artifacts will be uploaded.");
  log_.clear();
  EXPECT_EQ(Upload({{"path", "nothing"}, {"if-no-files-found", "ignore"}}).error, "");
  EXPECT_FALSE(Logged("Warning"));
  EXPECT_EQ(Upload({{"path", "nothing"}, {"if-no-files-found", "fail"}}).error,
            "Unrecognized if-no-files-found input. Provided: fail. Available options: "
            "warn,error,ignore");
}

TEST_F(ArtifactsTest, UploadingAnExistingNameFailsUnlessOverwrite) {
  WriteFile(dir_ / "ws1/f", "one");
  ASSERT_EQ(Upload({{"path", "f"}}).error, "");
  EXPECT_EQ(Upload({{"path", "f"}}).error,
            "Failed to CreateArtifact: Received non-retryable error: Failed request: (409) "
            "Conflict: an artifact with this name already exists on the workflow run");
  WriteFile(dir_ / "ws1/f", "two");
  auto again = Upload({{"path", "f"}, {"overwrite", "true"}});
  ASSERT_EQ(again.error, "");
  EXPECT_EQ(Output(again, "artifact-id"), "2");  // a new artifact, as on GitHub
  EXPECT_EQ(ReadFile(store() + "/7/artifact/files/f"), "two");
  // Another run has its own names.
  EXPECT_EQ(Upload({{"path", "f"}}, "8").error, "");
}

TEST_F(ArtifactsTest, IdsIncreaseWithinARun) {
  WriteFile(dir_ / "ws1/f", "x");
  EXPECT_EQ(Output(Upload({{"name", "a"}, {"path", "f"}}), "artifact-id"), "1");
  EXPECT_EQ(Output(Upload({{"name", "b"}, {"path", "f"}}), "artifact-id"), "2");
}

TEST_F(ArtifactsTest, InvalidNamesAreRejectedWithTheirCharacter) {
  WriteFile(dir_ / "ws1/f", "x");
  auto colon = Upload({{"name", "a:b"}, {"path", "f"}});
  EXPECT_EQ(colon.error.rfind("The artifact name is not valid: a:b. Contains the following "
                              "character: Colon :",
                              0),
            0u)
      << colon.error;
  for (const char* bad : {"a/b", "a\\b", "a*", "a?", "a<", "a>", "a|", "a\"", "a\nb", ".."}) {
    EXPECT_NE(Upload({{"name", bad}, {"path", "f"}}).error, "") << bad;
    EXPECT_NE(Download({{"name", bad}}).error, "") << bad;
  }
  EXPECT_TRUE(fs::is_empty(store()));
  EXPECT_TRUE(fs::is_empty(dir_ / "ws2"));
}

TEST_F(ArtifactsTest, UploadTakesAbsoluteAndHomePathsOutsideTheWorkspaceButNoDotDot) {
  TempDir outside;
  WriteFile(outside / "logs/configure.log", "c");
  auto up = Upload({{"name", "abs"}, {"path", outside / "logs/*.log"}});
  ASSERT_EQ(up.error, "");
  EXPECT_EQ(ReadFile(store() + "/7/abs/files/configure.log"), "c");
  EXPECT_EQ(Upload({{"path", "../build/configure.log"}}).error,
            "Invalid pattern '../build/configure.log'. Relative pathing '.' and '..' is not "
            "allowed.");
  EXPECT_EQ(Upload({{"path", "x/../../ws2"}}).error,
            "Invalid pattern 'x/../../ws2'. Relative pathing '.' and '..' is not allowed.");
}

TEST_F(ArtifactsTest, UploadRootIsTheLeastCommonAncestorOfTheSearchPaths) {
  TempDir outside;
  WriteFile(outside / "build/a/one.log", "1");
  WriteFile(outside / "build/b/two.log", "2");
  auto up = Upload(
      {{"name", "lca"}, {"path", outside / "build/a/one.log\n" + outside / "build/b/*.log"}});
  ASSERT_EQ(up.error, "");
  EXPECT_TRUE(Logged("The least common ancestor is " + outside / "build"));
  EXPECT_EQ(ReadFile(store() + "/7/lca/files/a/one.log"), "1");
  EXPECT_EQ(ReadFile(store() + "/7/lca/files/b/two.log"), "2");
}

TEST_F(ArtifactsTest, UploadFollowsSymlinksLikeGithubsGlob) {
  TempDir outside;
  WriteFile(outside / "secret", "s");
  WriteFile(dir_ / "ws1/d/real", "r");
  fs::create_symlink(outside / "secret", dir_ / "ws1/d/link");
  fs::create_symlink(dir_ / "ws1/d/real", dir_ / "ws1/d/alias");
  ASSERT_EQ(Upload({{"path", "d"}}).error, "");
  EXPECT_EQ(ListFiles(store() + "/7/artifact/files"),
            (std::vector<std::string>{"alias", "link", "real"}));
  EXPECT_FALSE(fs::is_symlink(store() + "/7/artifact/files/alias"));
  EXPECT_EQ(ReadFile(store() + "/7/artifact/files/link"), "s");
}

TEST_F(ArtifactsTest, DownloadAllPutsEachArtifactInItsOwnDirectory) {
  WriteFile(dir_ / "ws1/a.txt", "a");
  WriteFile(dir_ / "ws1/b.txt", "b");
  ASSERT_EQ(Upload({{"name", "one"}, {"path", "a.txt"}}).error, "");
  ASSERT_EQ(Upload({{"name", "two"}, {"path", "b.txt"}}).error, "");
  ASSERT_EQ(Upload({{"name", "other"}, {"path", "b.txt"}}).error, "");
  ASSERT_EQ(Download({}).error, "");
  EXPECT_EQ(ListFiles(dir_ / "ws2"),
            (std::vector<std::string>{"one/a.txt", "other/b.txt", "two/b.txt"}));
}

TEST_F(ArtifactsTest, DownloadPatternAndMergeMultiple) {
  WriteFile(dir_ / "ws1/a.txt", "a");
  WriteFile(dir_ / "ws1/b.txt", "b");
  ASSERT_EQ(Upload({{"name", "bin-linux"}, {"path", "a.txt"}}).error, "");
  ASSERT_EQ(Upload({{"name", "bin-mac"}, {"path", "b.txt"}}).error, "");
  ASSERT_EQ(Upload({{"name", "logs"}, {"path", "b.txt"}}).error, "");
  ASSERT_EQ(Download({{"pattern", "bin-*"}, {"path", "p"}}).error, "");
  EXPECT_EQ(ListFiles(dir_ / "ws2/p"),
            (std::vector<std::string>{"bin-linux/a.txt", "bin-mac/b.txt"}));
  ASSERT_EQ(Download({{"pattern", "bin-*"}, {"path", "m"}, {"merge-multiple", "true"}}).error, "");
  EXPECT_EQ(ListFiles(dir_ / "ws2/m"), (std::vector<std::string>{"a.txt", "b.txt"}));
}

TEST_F(ArtifactsTest, DownloadFromAnotherRunByRunId) {
  WriteFile(dir_ / "ws1/f", "old run");
  ASSERT_EQ(Upload({{"name", "keep"}, {"path", "f"}}, "41").error, "");
  EXPECT_EQ(Download({{"name", "keep"}}).error,
            "Unable to download artifact(s): Artifact not found for name: keep");
  ASSERT_EQ(Download({{"name", "keep"}, {"run-id", "41"}}).error, "");
  EXPECT_EQ(ReadFile(dir_ / "ws2/f"), "old run");
  EXPECT_NE(Download({{"name", "keep"}, {"run-id", "../7"}}).error, "");
  EXPECT_NE(Download({{"name", "keep"}, {"run-id", ".."}}).error, "");
}

TEST_F(ArtifactsTest, DownloadWritesToDestinationsOutsideTheWorkspaceAsGithubDoes) {
  TempDir outside;
  WriteFile(dir_ / "ws1/f", "x");
  ASSERT_EQ(Upload({{"path", "f"}}).error, "");
  EXPECT_EQ(Download({{"name", "artifact"}, {"path", outside.path()}}).error, "");
  EXPECT_EQ(ReadFile(outside / "f"), "x");
  EXPECT_EQ(Download({{"name", "artifact"}, {"path", "../down"}}).error, "");
  EXPECT_EQ(ReadFile(dir_ / "down/f"), "x");
}

TEST_F(ArtifactsTest, DownloadDoesNotWriteThroughSymlinkedDirectoriesInTheDestination) {
  TempDir outside;
  WriteFile(dir_ / "ws1/d/sub/f", "x");
  ASSERT_EQ(Upload({{"path", "d"}}).error, "");
  fs::create_symlink(outside.path(), dir_ / "ws2/sub");
  auto down = Download({{"name", "artifact"}});
  EXPECT_NE(down.error.find("outside the destination"), std::string::npos) << down.error;
  EXPECT_TRUE(fs::is_empty(outside.path()));
}

TEST_F(ArtifactsTest, UploadedFilesAreCopiesNotLinks) {
  WriteFile(dir_ / "ws1/f", "before");
  ASSERT_EQ(Upload({{"path", "f"}}).error, "");
  WriteFile(dir_ / "ws1/f", "after");
  EXPECT_EQ(ReadFile(store() + "/7/artifact/files/f"), "before");
}

TEST_F(ArtifactsTest, InvalidNumericInputsAreRejected) {
  WriteFile(dir_ / "ws1/f", "x");
  EXPECT_EQ(Upload({{"path", "f"}, {"compression-level", "12"}}).error,
            "Invalid compression-level. Valid values are 0-9");
  EXPECT_EQ(Upload({{"path", "f"}, {"retention-days", "soon"}}).error, "Invalid retention-days");
  EXPECT_NE(Upload({{"path", "f"}, {"overwrite", "yes"}}).error, "");
  EXPECT_EQ(Upload({{"name", "x"}}).error, "Input required and not supplied: path");
}

}  // namespace
}  // namespace gantry::actions
