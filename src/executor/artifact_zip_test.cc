#include "executor/artifact_zip.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ZipToMemoryTest, AZipBuiltInMemoryUnzipsToItsMembers) {
  auto zip = ZipToMemory(
      {{"job/1_Set up job.txt", "2026-12-06T09:00:00.1230000Z hello\n", int64_t{1796547600} * 1000},
       {"empty.txt", "", 0},
       {"big.txt", std::string(300000, 'x'), 1000}});
  ASSERT_TRUE(zip.ok()) << zip.status().message();
  EXPECT_EQ(zip.value().substr(0, 4), std::string("PK\x03\x04", 4));
  // Deflated: the 300 kB of one letter take a few hundred bytes.
  EXPECT_LT(zip.value().size(), 10000U);

  fs::path dir = fs::temp_directory_path() / ("gantry-zip-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "logs.zip", std::ios::binary);
    out << zip.value();
  }
  ASSERT_TRUE(UnzipToDirectory((dir / "logs.zip").string(), (dir / "out").string()).ok());
  EXPECT_EQ(ReadAll(dir / "out/job/1_Set up job.txt"), "2026-12-06T09:00:00.1230000Z hello\n");
  EXPECT_TRUE(fs::exists(dir / "out/empty.txt"));
  EXPECT_EQ(fs::file_size(dir / "out/empty.txt"), 0U);
  EXPECT_EQ(ReadAll(dir / "out/big.txt"), std::string(300000, 'x'));
  fs::remove_all(dir);
}

TEST(ZipToMemoryTest, NoMembersIsAnEmptyArchive) {
  auto zip = ZipToMemory({});
  ASSERT_TRUE(zip.ok()) << zip.status().message();
  // Only the end of central directory record.
  EXPECT_EQ(zip.value().substr(0, 4), std::string("PK\x05\x06", 4));
}

}  // namespace
}  // namespace gantry::executor
