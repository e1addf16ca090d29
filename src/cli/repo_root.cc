#include "cli/repo_root.h"

namespace gantry::cli {

namespace fs = std::filesystem;

fs::path RepositoryRootFor(const fs::path& path) {
  std::error_code ec;
  fs::path absolute = fs::absolute(path, ec).lexically_normal();
  if (!absolute.empty() && absolute.filename().empty()) absolute = absolute.parent_path();
  fs::path folder = fs::is_directory(absolute, ec) ? absolute : absolute.parent_path();
  for (fs::path dir = folder; !dir.empty(); dir = dir.parent_path()) {
    if (dir.filename() == ".github") return dir.parent_path();
    if (dir == dir.root_path()) break;
  }
  for (fs::path dir = folder; !dir.empty(); dir = dir.parent_path()) {
    // A `.git` folder, or the `.git` file of a linked worktree or a submodule.
    if (fs::exists(dir / ".git", ec)) return dir;
    if (dir == dir.root_path()) break;
  }
  return folder;
}

}  // namespace gantry::cli
