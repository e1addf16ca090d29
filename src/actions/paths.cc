#include "actions/paths.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include "core/glob.h"

namespace gantry::actions {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> Split(std::string_view path) { return core::SplitPathSegments(path); }

std::string Join(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) out += "/" + s;
  return out.empty() ? "/" : out;
}

std::string Home() {
  const char* home = std::getenv("HOME");
  return home != nullptr ? home : "";
}

// "~" and "~/x" name the home directory, as @actions/glob and download-artifact expand them.
std::string ExpandTilde(std::string_view path) {
  if (path == "~" || path.starts_with("~/")) return Home() + std::string(path.substr(1));
  return std::string(path);
}

bool WithinAny(const std::string& path, const std::vector<std::string>& roots) {
  return std::any_of(roots.begin(), roots.end(),
                     [&](const std::string& r) { return IsWithin(path, r); });
}

}  // namespace

std::string ExpandHome(std::string_view path) { return ExpandTilde(path); }

bool IsWithin(const std::string& path, const std::string& root) {
  return core::IsLexicallyWithin(path, root);
}

std::string Canonical(const std::string& path) {
  std::error_code ec;
  fs::path out = fs::weakly_canonical(fs::absolute(path, ec), ec);
  std::string s = ec ? fs::absolute(path).lexically_normal().string() : out.string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

core::Result<std::string> ResolveWithin(std::string_view path, const std::string& base,
                                        const std::vector<std::string>& roots,
                                        std::string_view what) {
  std::string expanded = ExpandTilde(path);
  for (const std::string& segment : Split(expanded)) {
    if (segment == "..") {
      return core::Status::InvalidArgument(std::string(what) + " '" + std::string(path) +
                                           "' must not contain '..'");
    }
  }
  fs::path full = expanded.empty() ? fs::path(base) : fs::path(base) / expanded;
  std::string normal = full.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  std::vector<std::string> canonical_roots;
  canonical_roots.reserve(roots.size());
  for (const auto& r : roots) canonical_roots.push_back(Canonical(r));
  if (!WithinAny(Canonical(normal), canonical_roots)) {
    std::string allowed;
    for (const auto& r : roots) allowed += (allowed.empty() ? "" : " or ") + r;
    return core::Status::InvalidArgument(std::string(what) + " '" + std::string(path) +
                                         "' resolves to " + normal + ", which is not under " +
                                         allowed);
  }
  return normal;
}

core::Result<FoundFiles> FindFiles(std::string_view patterns, const std::string& base,
                                   const FindOptions& options) {
  std::vector<core::GlobPattern> list;
  core::GlobOptions glob_options;
  glob_options.home = Home();
  GANTRY_RETURN_IF_ERROR(core::ParseGlobPatterns(
      patterns, fs::path(base).lexically_normal().string(), glob_options, &list));
  std::vector<std::string> roots;
  roots.reserve(options.roots.size());
  for (const auto& r : options.roots) roots.push_back(Canonical(r));
  auto warn = [&](const std::string& line) {
    if (options.warn) options.warn(line);
  };

  FoundFiles found;
  found.search_paths = core::GlobSearchPaths(list, core::GlobAncestry::kLexicallyNormal);
  for (const auto& search : found.search_paths) {
    // Lexically: a search path that is a symlink leading out is skipped below with a warning.
    if (!roots.empty() && !WithinAny(search, options.roots) &&
        !WithinAny(Canonical(search), roots)) {
      return core::Status::InvalidArgument("the path " + search +
                                           " is outside the workspace and the job's temp "
                                           "directory");
    }
  }
  std::set<std::string> visited;  // canonical directories already searched (symlink cycles)
  std::vector<std::string> stack(found.search_paths.rbegin(), found.search_paths.rend());
  std::error_code ec;
  while (!stack.empty()) {
    std::string item = std::move(stack.back());
    stack.pop_back();
    std::vector<std::string> segments = Split(item);
    int match = core::MatchGlobs(list, segments);
    if (match == core::kGlobNone && !core::PartialMatchGlobs(list, segments)) continue;
    struct stat link;
    struct stat target;
    if (lstat(item.c_str(), &link) != 0) continue;
    if (stat(item.c_str(), &target) != 0) continue;  // a broken symlink
    if (!options.include_hidden && fs::path(item).filename().string().starts_with(".")) continue;
    std::string real = Canonical(item);
    if (!roots.empty() && !WithinAny(real, roots)) {
      warn("Skipping " + item + ": it leads to " + real +
           ", outside the workspace and the job's temp directory");
      continue;
    }
    if (S_ISDIR(target.st_mode)) {
      if (!visited.insert(real).second) continue;
      std::vector<std::string> children;
      for (const auto& entry : fs::directory_iterator(item, ec)) {
        children.push_back(entry.path().filename().string());
      }
      std::sort(children.begin(), children.end());
      std::string prefix = item == "/" ? "/" : item + "/";
      for (auto c = children.rbegin(); c != children.rend(); ++c) stack.push_back(prefix + *c);
      continue;
    }
    if ((match & core::kGlobFile) != 0 && S_ISREG(target.st_mode)) found.files.push_back(item);
  }
  return found;
}

std::string LeastCommonAncestor(const std::vector<std::string>& paths) {
  if (paths.empty()) return "";
  std::vector<std::string> common = Split(paths[0]);
  for (std::size_t i = 1; i < paths.size(); ++i) {
    std::vector<std::string> other = Split(paths[i]);
    std::size_t n = 0;
    while (n < common.size() && n < other.size() && common[n] == other[n]) ++n;
    common.resize(n);
  }
  return Join(common);
}

core::Status CopyFileReplacing(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(fs::path(to).parent_path(), ec);
  if (ec)
    return core::Status::Internal("cannot create the directory of " + to + ": " + ec.message());
  if (fs::is_symlink(fs::symlink_status(to, ec))) fs::remove(to, ec);
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) return core::Status::Internal("cannot copy " + from + " to " + to + ": " + ec.message());
  return core::Status::Ok();
}

core::Status EmptyDirectory(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return core::Status::Internal("cannot create " + dir + ": " + ec.message());
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    fs::remove_all(entry.path(), ec);
    if (ec) {
      return core::Status::Internal("cannot remove " + entry.path().string() + ": " + ec.message());
    }
  }
  if (ec) return core::Status::Internal("cannot read " + dir + ": " + ec.message());
  return core::Status::Ok();
}

}  // namespace gantry::actions
