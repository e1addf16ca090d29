#include "cli/run_dir.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;

TEST(RunDirTest, CreatedUnderTmpdirAndRemovedWithEverythingInside) {
  std::ostringstream err;
  std::string path;
  {
    RunDir dir(false, err);
    path = dir.path();
    ASSERT_FALSE(path.empty());
    EXPECT_NE(fs::path(path).filename().string().find("gantry-exec-"), std::string::npos);
    for (int i = 0; i < 50; ++i) {
      fs::path job = fs::path(path) / ("job-" + std::to_string(i)) / "workspace";
      fs::create_directories(job);
      std::ofstream(job / "file") << "x";
    }
  }
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(err.str().empty());
}

TEST(RunDirTest, KeptDirectoryIsReported) {
  std::ostringstream err;
  std::string path;
  {
    RunDir dir(true, err);
    path = dir.path();
  }
  EXPECT_TRUE(fs::is_directory(path));
  EXPECT_NE(err.str().find(path), std::string::npos);
  RemoveTree(path);
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace gantry::cli
