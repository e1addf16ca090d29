// Integration tests of the built-in actions under `gantry exec`: artifacts passed between
// dependent jobs, unsafe artifact names and paths, and actions/cache across runs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "action_test_util.h"
#include "exec_test_util.h"

namespace gantry::exec_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(BuiltinActionTest, ArtifactUploadedInOneJobIsDownloadedInTheJobThatNeedsIt) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: |
          mkdir -p dist/sub
          echo "binary v1" > dist/app.bin
          echo "nested file" > dist/sub/notes.txt
      - id: up
        uses: actions/upload-artifact@v4
        with:
          name: my-dist
          path: dist/
      - run: echo "uploaded id=${{ steps.up.outputs.artifact-id }} digest=${{ steps.up.outputs.artifact-digest }}"
  test:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - id: down
        uses: actions/download-artifact@v4
        with:
          name: my-dist
          path: got
      - run: |
          echo "app=$(cat got/app.bin) notes=$(cat got/sub/notes.txt)"
          test "${{ steps.down.outputs.download-path }}" = "$PWD/got"
)yaml");
  fs::path store = p.base() / "artifacts";
  Finished f = p.Run({"exec", "--artifact-dir", store.string()});
  EXPECT_EQ(f.exit_code, 0) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("[test] app=binary v1 notes=nested file"));
  EXPECT_THAT(f.out, testing::ContainsRegex("uploaded id=[0-9]+ digest=[0-9a-f]{64}"));
  // The store keeps the artifact after the run (the run directory is gone).
  bool found = false;
  for (const auto& run : fs::directory_iterator(store)) {
    found = found || fs::exists(run.path() / "my-dist" / "files" / "app.bin");
  }
  EXPECT_TRUE(found);
}

TEST(BuiltinActionTest, UnsafeArtifactNamesAndPathsAreRejectedClearly) {
  Project p;
  p.Workflow("ci.yml", R"yaml(on: push
jobs:
  slash-name:
    runs-on: ubuntu-latest
    steps:
      - run: echo data > file.txt
      - uses: actions/upload-artifact@v4
        with:
          name: ../escape/name
          path: file.txt
  dotdot-upload:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/upload-artifact@v4
        with:
          name: fine
          path: ../x
  dotdot-download:
    runs-on: ubuntu-latest
    steps:
      - run: echo data > file.txt
      - uses: actions/upload-artifact@v4
        with:
          name: good
          path: file.txt
      - uses: actions/download-artifact@v4
        with:
          name: good
          path: ../x
      - name: Check
        run: test -f "$RUNNER_WORKSPACE/x/file.txt" && echo "downloaded beside the workspace"
  dotdot-name-download:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: ../../etc
          path: here
)yaml");
  fs::path store = p.base() / "artifacts";
  Finished f = p.Run({"exec", "--artifact-dir", store.string()});
  EXPECT_EQ(f.exit_code, 1) << f.out << f.err;
  EXPECT_THAT(f.out, HasSubstr("[slash-name] "));
  EXPECT_THAT(f.out, HasSubstr("The artifact name is not valid: ../escape/name"));
  EXPECT_THAT(f.out, HasSubstr("Invalid pattern '../x'. Relative pathing '.' and '..' is not "
                               "allowed."));
  EXPECT_THAT(f.out, testing::ContainsRegex("\\[dotdot-upload\\] .*\\.\\./x"));
  // download-artifact resolves its path as GitHub's does: `../x` is runner.workspace/x.
  EXPECT_THAT(f.out, HasSubstr("[dotdot-download] downloaded beside the workspace"));
  EXPECT_THAT(f.out, testing::ContainsRegex("\\[dotdot-name-download\\] .*not valid: ../../etc"));
  size_t summary = f.out.find("Summary:");
  ASSERT_NE(summary, std::string::npos) << f.out;
  EXPECT_THAT(f.out.substr(summary), HasSubstr("1 success, 3 failure"));
  // Nothing was written beside the project or the store.
  EXPECT_FALSE(fs::exists(p.base() / "x"));
  EXPECT_FALSE(fs::exists(store.parent_path() / "escape"));
  for (const auto& run : fs::directory_iterator(store)) {
    EXPECT_FALSE(fs::exists(run.path().parent_path() / "escape")) << run.path();
    EXPECT_FALSE(fs::exists(run.path() / "fine"));
  }
}

const char kCacheWorkflow[] = R"yaml(on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - id: cache
        uses: actions/cache@v4
        with:
          path: deps
          key: deps-${{ vars.VERSION }}
          restore-keys: |
            deps-
      - run: echo "restored=[$(cat deps/lib.txt 2>/dev/null || true)]"
      - if: steps.cache.outputs.cache-hit != 'true'
        run: |
          echo "building deps"
          mkdir -p deps
          echo "built for ${{ vars.VERSION }}" > deps/lib.txt
      - run: |
          echo "hit=[${{ steps.cache.outputs.cache-hit }}]"
          echo "content=$(cat deps/lib.txt)"
)yaml";

TEST(BuiltinActionTest, CacheMissSavesInPostThenExactHitThenRestoreKeyPrefix) {
  Project p;
  p.Workflow("ci.yml", kCacheWorkflow);
  std::string cache = (p.base() / "cache").string();

  Finished miss = p.Run({"exec", "--cache-dir", cache, "--var", "VERSION=v1"});
  ASSERT_EQ(miss.exit_code, 0) << miss.out << miss.err;
  EXPECT_THAT(miss.out, HasSubstr("Cache not found for input keys: deps-v1, deps-"));
  EXPECT_THAT(miss.out, HasSubstr("building deps"));
  EXPECT_THAT(miss.out, HasSubstr("restored=[]"));
  EXPECT_THAT(miss.out, HasSubstr("hit=[]"));
  size_t content = miss.out.find("content=built for v1");
  size_t saved = miss.out.find("Cache saved with key: deps-v1");
  ASSERT_NE(saved, std::string::npos) << miss.out;
  EXPECT_LT(content, saved);  // the post stage saves after the main steps

  Finished hit = p.Run({"exec", "--cache-dir", cache, "--var", "VERSION=v1"});
  ASSERT_EQ(hit.exit_code, 0) << hit.out << hit.err;
  EXPECT_THAT(hit.out, HasSubstr("Cache restored from key: deps-v1"));
  EXPECT_THAT(hit.out, Not(HasSubstr("building deps")));
  EXPECT_THAT(hit.out, HasSubstr("restored=[built for v1]"));
  EXPECT_THAT(hit.out, HasSubstr("hit=[true]"));
  EXPECT_THAT(hit.out, HasSubstr("content=built for v1"));
  EXPECT_THAT(hit.out, Not(HasSubstr("Cache saved with key")));

  Finished prefix = p.Run({"exec", "--cache-dir", cache, "--var", "VERSION=v2"});
  ASSERT_EQ(prefix.exit_code, 0) << prefix.out << prefix.err;
  EXPECT_THAT(prefix.out, HasSubstr("Cache restored from key: deps-v1"));
  EXPECT_THAT(prefix.out, HasSubstr("restored=[built for v1]"));
  EXPECT_THAT(prefix.out, HasSubstr("hit=[false]"));
  // Restored by prefix, then rebuilt (cache-hit is not 'true') and saved under the new key.
  EXPECT_THAT(prefix.out, HasSubstr("building deps"));
  EXPECT_THAT(prefix.out, HasSubstr("content=built for v2"));
  EXPECT_THAT(prefix.out, HasSubstr("Cache saved with key: deps-v2"));
}

}  // namespace
}  // namespace gantry::exec_test
