#include "actions/paths.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include "expr/hash_files.h"

namespace gantry::actions {

namespace fs = std::filesystem;

namespace {

enum MatchKind { kNone = 0, kDirectory = 1, kFile = 2, kAll = 3 };

struct Pattern {
  bool negate = false;
  bool trailing_separator = false;    // only matches directories
  std::vector<std::string> segments;  // of an absolute path, without the empty root segment
  std::string search_path;            // the literal segments before the first glob
};

std::vector<std::string> Split(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

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

bool HasGlob(const std::string& segment) {
  return segment.find_first_of("*?[") != std::string::npos;
}

// The segment with `\` escapes removed, or "" when it contains glob characters.
std::string Literal(const std::string& segment) {
  std::string out;
  for (std::size_t i = 0; i < segment.size(); ++i) {
    char c = segment[i];
    if (c == '\\' && i + 1 < segment.size()) {
      out.push_back(segment[++i]);
    } else if (c == '*' || c == '?' || c == '[') {
      return "";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

core::Result<Pattern> MakePattern(std::string line, const std::string& base) {
  Pattern p;
  while (!line.empty() && line[0] == '!') {
    p.negate = !p.negate;
    line.erase(0, 1);
    line.erase(0, line.find_first_not_of(" \t"));
  }
  line = ExpandTilde(line);
  std::vector<std::string> segments = Split(line);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if ((segments[i] == "." && i != 0) || segments[i] == "..") {
      return core::Status::InvalidArgument(
          "Invalid pattern '" + line +
          "'. Relative pathing '.' and '..' is only allowed at the beginning of the pattern.");
    }
  }
  p.trailing_separator = !line.empty() && line.back() == '/';
  if (line.empty() || line[0] != '/') p.segments = Split(base);
  for (auto& s : segments) {
    if (s != ".") p.segments.push_back(std::move(s));
  }
  std::vector<std::string> literal;
  for (const auto& s : p.segments) {
    if (HasGlob(s)) break;
    literal.push_back(Literal(s));
  }
  p.search_path = Join(literal);
  return p;
}

bool MatchSegments(const std::vector<std::string>& pat, std::size_t pi,
                   const std::vector<std::string>& path, std::size_t fi, bool partial) {
  for (; pi < pat.size(); ++pi, ++fi) {
    if (pat[pi] == "**") {
      if (partial && fi >= path.size()) return true;
      for (std::size_t k = fi; k <= path.size(); ++k) {
        if (MatchSegments(pat, pi + 1, path, k, partial)) return true;
      }
      return false;
    }
    if (fi >= path.size()) return partial;
    if (!expr::GlobSegmentMatches(pat[pi], path[fi])) return false;
  }
  return fi == path.size();
}

int Match(const std::vector<Pattern>& patterns, const std::vector<std::string>& path) {
  int result = kNone;
  for (const auto& p : patterns) {
    int kind = MatchSegments(p.segments, 0, path, 0, false)
                   ? (p.trailing_separator ? kDirectory : kAll)
                   : kNone;
    result = p.negate ? (result & ~kind) : (result | kind);
  }
  return result;
}

bool PartialMatch(const std::vector<Pattern>& patterns, const std::vector<std::string>& path) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const Pattern& p) {
    return !p.negate && MatchSegments(p.segments, 0, path, 0, true);
  });
}

// The first occurrence of each non-negated search path that has no ancestor among the others.
std::vector<std::string> SearchPaths(const std::vector<Pattern>& patterns) {
  std::vector<std::string> all;
  for (const auto& p : patterns) {
    if (!p.negate) all.push_back(p.search_path);
  }
  std::vector<std::string> result;
  for (const auto& s : all) {
    if (std::find(result.begin(), result.end(), s) != result.end()) continue;
    bool ancestor = std::any_of(all.begin(), all.end(),
                                [&](const std::string& a) { return a != s && IsWithin(s, a); });
    if (!ancestor) result.push_back(s);
  }
  return result;
}

bool WithinAny(const std::string& path, const std::vector<std::string>& roots) {
  return std::any_of(roots.begin(), roots.end(),
                     [&](const std::string& r) { return IsWithin(path, r); });
}

core::Result<std::vector<Pattern>> ParsePatterns(std::string_view text, const std::string& base) {
  std::vector<Pattern> list;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(text.substr(start, nl - start));
    start = nl + 1;
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (line.empty() || line[0] == '#') continue;
    auto parsed = MakePattern(line, base);
    if (!parsed.ok()) return parsed.status();
    Pattern pattern = std::move(parsed).value();
    // A pattern also matches everything below what it matches (implicit descendants).
    bool add_descendants =
        pattern.trailing_separator || pattern.segments.empty() || pattern.segments.back() != "**";
    Pattern descendants = pattern;
    descendants.trailing_separator = false;
    descendants.segments.emplace_back("**");
    list.push_back(std::move(pattern));
    if (add_descendants) list.push_back(std::move(descendants));
  }
  return list;
}

}  // namespace

bool IsWithin(const std::string& path, const std::string& root) {
  std::string p = fs::path(path).lexically_normal().string();
  std::string r = fs::path(root).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  if (r == "/") return !p.empty() && p[0] == '/';
  if (p == r) return true;
  return p.size() > r.size() && p.compare(0, r.size(), r) == 0 && p[r.size()] == '/';
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
  auto parsed = ParsePatterns(patterns, fs::path(base).lexically_normal().string());
  if (!parsed.ok()) return parsed.status();
  const std::vector<Pattern>& list = *parsed;
  std::vector<std::string> roots;
  roots.reserve(options.roots.size());
  for (const auto& r : options.roots) roots.push_back(Canonical(r));
  auto warn = [&](const std::string& line) {
    if (options.warn) options.warn(line);
  };

  FoundFiles found;
  found.search_paths = SearchPaths(list);
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
    int match = Match(list, segments);
    if (match == kNone && !PartialMatch(list, segments)) continue;
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
    if ((match & kFile) != 0 && S_ISREG(target.st_mode)) found.files.push_back(item);
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
