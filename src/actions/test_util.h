#pragma once

// Helpers for the actions layer's tests: a temp directory removed on destruction, file
// writing and reading, and a BuiltinCall with a workspace.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/actions.h"

namespace gantry::actions::testing {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/gantry-actions-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = std::filesystem::canonical(pattern).string();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

/// Writes `content` to `path`, creating parent directories.
inline void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

/// The content of `path`, or "<missing>" when it cannot be read.
inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "<missing>";
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The files below `dir` (relative, sorted), directories left out.
inline std::vector<std::string> ListFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       it != std::filesystem::recursive_directory_iterator(); ++it) {
    if (!it->is_directory()) {
      out.push_back(it->path().lexically_relative(dir).string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// An ActionReference for "owner/repo[/path]@ref".
inline engine::ActionReference Remote(const std::string& owner, const std::string& repo,
                                      const std::string& path = "", const std::string& ref = "v4") {
  engine::ActionReference r;
  r.kind = engine::ActionReference::Kind::kRemote;
  r.owner = owner;
  r.repo = repo;
  r.path = path;
  r.ref = ref;
  r.uses = owner + "/" + repo + (path.empty() ? "" : "/" + path) + "@" + ref;
  return r;
}

}  // namespace gantry::actions::testing
