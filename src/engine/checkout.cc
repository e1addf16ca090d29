#include "engine/checkout.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

namespace gantry::engine {

namespace fs = std::filesystem;

namespace {

bool IsCheckout(std::string_view uses) {
  constexpr std::string_view kCheckout = "actions/checkout@";
  if (uses.size() <= kCheckout.size()) return false;
  for (size_t i = 0; i < kCheckout.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(uses[i])) != kCheckout[i]) return false;
  }
  return true;
}

}  // namespace

core::Status CopyWorkingTree(const std::string& from, const std::string& to,
                             const std::vector<std::string>& exclude) {
  std::error_code ec;
  fs::path root = fs::weakly_canonical(from, ec);
  if (ec || !fs::is_directory(root)) {
    return core::Status::NotFound("the repository directory " + from + " does not exist");
  }
  fs::path dest = fs::weakly_canonical(to, ec);
  fs::create_directories(dest, ec);
  if (ec) return core::Status::Internal("cannot create " + to + ": " + ec.message());
  std::vector<fs::path> skip = {root / ".git", dest};
  for (const std::string& e : exclude) skip.push_back(fs::weakly_canonical(e, ec));

  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec);
  if (ec) return core::Status::Internal("cannot read " + from + ": " + ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return core::Status::Internal("cannot read " + from + ": " + ec.message());
    const fs::path& src = it->path();
    if (std::find(skip.begin(), skip.end(), src) != skip.end()) {
      it.disable_recursion_pending();
      continue;
    }
    fs::path target = dest / src.lexically_relative(root);
    fs::file_status status = it->symlink_status(ec);
    if (fs::is_symlink(status)) {
      fs::remove(target, ec);
      fs::copy_symlink(src, target, ec);
    } else if (fs::is_directory(status)) {
      fs::create_directories(target, ec);
    } else if (fs::is_regular_file(status)) {
      fs::copy_file(src, target, fs::copy_options::overwrite_existing, ec);
    } else {
      continue;  // sockets, fifos, devices: nothing a build reads
    }
    if (ec) {
      return core::Status::Internal("cannot copy " + src.string() + " to " + target.string() +
                                    ": " + ec.message());
    }
  }
  return core::Status::Ok();
}

std::string RunUsesStep(const UsesStep& step, const std::function<void(std::string_view)>& log) {
  std::string unsupported =
      "uses: " + step.uses +
      " is not supported yet by gantry exec (actions arrive in a later version)";
  if (!IsCheckout(step.uses)) return unsupported;
  const std::string* repo = FindEnv(step.with, "repository");
  if (repo != nullptr && !repo->empty() && *repo != step.github_repository) {
    return unsupported + ": only the local repository is copied";
  }
  if (!step.shared_workspace.empty()) {
    log("The workspace is shared with the repository: nothing to copy.");
    return "";
  }
  if (step.repository_dir.empty()) {
    return "actions/checkout: no local repository to copy (gantry exec copies the working tree "
           "of the repository it runs in)";
  }
  const std::string* path = FindEnv(step.with, "path");
  std::string dest = step.workspace;
  if (path != nullptr && !path->empty()) dest = (*path)[0] == '/' ? *path : dest + "/" + *path;
  log("Copying the working tree of " + step.repository_dir + " to " + dest);
  core::Status copied = CopyWorkingTree(step.repository_dir, dest, step.exclude);
  return copied.ok() ? "" : copied.message();
}

}  // namespace gantry::engine
