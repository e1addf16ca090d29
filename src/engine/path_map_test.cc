#include "engine/path_map.h"

#include <gtest/gtest.h>

namespace gantry::engine {
namespace {

TEST(PathMapTest, TheLongestMappedDirectoryWins) {
  PathMap m;
  m.Add("/run/slot", "/__w/_temp/_runner_file_commands");
  m.Add("/run/slot/workspace/", "/__w/repo/repo");
  m.Add("/run/slot/temp", "/__w/_temp");
  EXPECT_EQ(m.ToContainer("/run/slot/workspace"), "/__w/repo/repo");
  EXPECT_EQ(m.ToContainer("/run/slot/workspace/src/a.c"), "/__w/repo/repo/src/a.c");
  EXPECT_EQ(m.ToContainer("/run/slot/temp/x"), "/__w/_temp/x");
  EXPECT_EQ(m.ToContainer("/run/slot/set_env"), "/__w/_temp/_runner_file_commands/set_env");
}

TEST(PathMapTest, PathsOutsideOrMerelySharingAPrefixAreUnchanged) {
  PathMap m;
  m.Add("/run/slot/workspace", "/__w/repo/repo");
  EXPECT_EQ(m.ToContainer("/run/slot/workspace2/x"), "/run/slot/workspace2/x");
  EXPECT_EQ(m.ToContainer("relative/path"), "relative/path");
  EXPECT_EQ(m.ToContainer("/usr/bin/bash"), "/usr/bin/bash");
}

TEST(PathMapTest, ToHostReversesTheMapping) {
  PathMap m;
  m.Add("/run/slot", "/__w/_temp/_runner_file_commands");
  m.Add("/run/slot/temp", "/__w/_temp");
  EXPECT_EQ(m.ToHost("/__w/_temp/_runner_file_commands/set_env"), "/run/slot/set_env");
  EXPECT_EQ(m.ToHost("/__w/_temp/a"), "/run/slot/temp/a");
  EXPECT_EQ(m.ToHost("/etc/passwd"), "/etc/passwd");
}

}  // namespace
}  // namespace gantry::engine
