#include "engine/path_map.h"

#include <algorithm>

namespace gantry::engine {
namespace {

std::string Trimmed(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

// `path` with prefix `from` replaced by `to` when `from` is `path` or a directory above it.
bool Replace(std::string_view path, const std::string& from, const std::string& to,
             std::string& out) {
  if (!path.starts_with(from)) return false;
  if (path.size() > from.size() && path[from.size()] != '/' && from != "/") return false;
  out = to;
  out.append(path.substr(from.size()));
  return true;
}

}  // namespace

void PathMap::Add(std::string host_dir, std::string container_dir) {
  dirs_.emplace_back(Trimmed(std::move(host_dir)), Trimmed(std::move(container_dir)));
  std::stable_sort(dirs_.begin(), dirs_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::string PathMap::ToContainer(std::string_view path) const {
  std::string out;
  for (const auto& [host, container] : dirs_) {
    if (Replace(path, host, container, out)) return out;
  }
  return std::string(path);
}

std::string PathMap::ToHost(std::string_view path) const {
  // The longest container directory wins here.
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& d : dirs_) {
    std::string ignored;
    if (Replace(path, d.second, d.first, ignored) &&
        (best == nullptr || d.second.size() > best->second.size())) {
      best = &d;
    }
  }
  std::string out(path);
  if (best != nullptr) Replace(path, best->second, best->first, out);
  return out;
}

}  // namespace gantry::engine
