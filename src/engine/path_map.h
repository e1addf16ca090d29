#pragma once

// Where the directories of a job appear inside its container: the runner mounts the workspace,
// temp and file-command directories at GitHub's container paths (/__w/...), and every path the
// steps see (contexts, environment, script paths, working directories) is translated.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gantry::engine {

/// Host directory -> container directory, longest host prefix first.
class PathMap {
 public:
  /// Maps `host_dir` (and everything below it) to `container_dir`. Trailing '/' are ignored.
  void Add(std::string host_dir, std::string container_dir);
  bool empty() const { return dirs_.empty(); }
  /// `path` translated when it is a mapped directory or below one; unchanged otherwise.
  std::string ToContainer(std::string_view path) const;
  /// The reverse: a container path below a mapped directory as its host path; unchanged
  /// otherwise.
  std::string ToHost(std::string_view path) const;
  /// The mappings, longest host directory first.
  const std::vector<std::pair<std::string, std::string>>& dirs() const { return dirs_; }

 private:
  std::vector<std::pair<std::string, std::string>> dirs_;
};

}  // namespace gantry::engine
