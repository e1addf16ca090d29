#include "core/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gantry::core {
namespace {

namespace fs = std::filesystem;

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-files-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static std::string Read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  static mode_t Mode(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(stat(p.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  std::string dir_;
};

TEST_F(FilesTest, WritesTheContentAndCreatesTheParentDirectories) {
  fs::path p = fs::path(dir_) / "a/b/file.txt";
  ASSERT_TRUE(WriteFileAtomically(p, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(p, "two").ok());
  EXPECT_EQ(Read(p), "two");
  EXPECT_EQ(std::distance(fs::directory_iterator(p.parent_path()), fs::directory_iterator()), 1)
      << "no temp file is left";
}

TEST_F(FilesTest, APrivateFileIsOnlyTheOwnersWhateverTheUmask) {
  mode_t old = umask(0);
  fs::path p = fs::path(dir_) / "secret.yml";
  ASSERT_TRUE(WriteFileAtomically(p, "token: x\n", FileMode::kPrivate).ok());
  EXPECT_EQ(Mode(p), 0600u);
  ASSERT_TRUE(WriteFileAtomically(p, "token: y\n").ok());
  EXPECT_EQ(Mode(p), 0666u);  // the default with umask 0
  ASSERT_TRUE(WriteFileAtomically(p, "token: z\n", FileMode::kPrivate).ok());
  EXPECT_EQ(Mode(p), 0600u);
  umask(old);
  EXPECT_EQ(Read(p), "token: z\n");
}

TEST_F(FilesTest, APathUnderAFileIsUnavailable) {
  std::ofstream(dir_ + "/plain") << "x";
  Status st = WriteFileAtomically(dir_ + "/plain/f", "x", FileMode::kPrivate);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find(dir_ + "/plain"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace gantry::core
