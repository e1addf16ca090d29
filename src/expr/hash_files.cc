#include "expr/hash_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/glob.h"
#include "core/sha256.h"

namespace gantry::expr {
namespace {

namespace fs = std::filesystem;

core::Status HashFile(const std::string& path, core::Sha256* total) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::Status::Unavailable("hashFiles: cannot read '" + path + "'");
  core::Sha256 file;
  char buf[65536];
  while (in) {
    in.read(buf, sizeof buf);
    file.Update(buf, static_cast<std::size_t>(in.gcount()));
  }
  auto digest = file.Finish();
  total->Update(digest.data(), digest.size());
  return core::Status::Ok();
}

}  // namespace

core::Result<std::string> HashFiles(const std::string& workspace,
                                    const std::vector<std::string>& patterns) {
  std::error_code ec;
  std::string root = workspace.empty() ? fs::current_path(ec).string() : workspace;
  root = fs::absolute(root, ec).lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();

  std::vector<core::GlobPattern> list;
  for (const auto& arg : patterns) {
    GANTRY_RETURN_IF_ERROR(core::ParseGlobPatterns(arg, root, {}, &list));
  }

  core::Sha256 total;
  int count = 0;
  std::vector<std::string> stack;
  std::vector<std::string> roots = core::GlobSearchPaths(list, core::GlobAncestry::kPrefix);
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) {
    struct stat st;
    if (lstat(it->c_str(), &st) == 0) stack.push_back(*it);
  }
  while (!stack.empty()) {
    std::string item = std::move(stack.back());
    stack.pop_back();
    std::vector<std::string> segments = core::SplitPathSegments(item);
    int match = core::MatchGlobs(list, segments);
    bool partial = match != core::kGlobNone || core::PartialMatchGlobs(list, segments);
    if (!partial) continue;
    struct stat st;
    if (lstat(item.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      std::vector<std::string> children;
      for (const auto& entry : fs::directory_iterator(item, ec)) {
        children.push_back(entry.path().filename().string());
      }
      std::sort(children.begin(), children.end());
      std::string prefix = item == "/" ? "/" : item + "/";
      for (auto c = children.rbegin(); c != children.rend(); ++c) stack.push_back(prefix + *c);
      continue;
    }
    if ((match & core::kGlobFile) == 0) continue;
    if (item.compare(0, root.size() + 1, root + "/") != 0) continue;
    struct stat target;
    if (stat(item.c_str(), &target) != 0 || S_ISDIR(target.st_mode)) continue;
    GANTRY_RETURN_IF_ERROR(HashFile(item, &total));
    ++count;
  }
  if (count == 0) return std::string();
  return core::Sha256::Hex(total.Finish());
}

}  // namespace gantry::expr
