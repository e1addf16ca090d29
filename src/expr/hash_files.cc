#include "expr/hash_files.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/sha256.h"
#include "expr/unicode.h"

namespace gantry::expr {
namespace {

namespace fs = std::filesystem;

enum MatchKind { kNone = 0, kDirectory = 1, kFile = 2, kAll = 3 };

struct Pattern {
  bool negate = false;
  bool trailing_separator = false;    // only matches directories
  std::vector<std::string> segments;  // of an absolute path, without the empty root segment
  std::string search_path;            // the literal directories before the first glob
};

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
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

core::Result<Pattern> MakePattern(std::string line, const std::string& root) {
  Pattern p;
  while (!line.empty() && line[0] == '!') {
    p.negate = !p.negate;
    line.erase(0, 1);
    line.erase(0, line.find_first_not_of(" \t"));
  }
  std::vector<std::string> segments = Split(line);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if ((segments[i] == "." && i != 0) || segments[i] == "..") {
      return core::Status::InvalidArgument(
          "Invalid pattern '" + line +
          "'. Relative pathing '.' and '..' is only allowed at the beginning of the pattern.");
    }
  }
  p.trailing_separator = !line.empty() && line.back() == '/';
  std::vector<std::string> full;
  if (line.empty() || line[0] != '/') full = Split(root);
  for (const auto& s : segments) {
    if (s != ".") full.push_back(s);
  }
  p.segments = std::move(full);
  for (const auto& s : p.segments) {
    if (HasGlob(s)) break;
    p.search_path.push_back('/');
    p.search_path.append(Literal(s));
  }
  if (p.search_path.empty()) p.search_path.push_back('/');
  return p;
}

// Matches path segments against pattern segments; `partial` accepts a path that is a prefix
// of something the pattern could match.
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
    if (!GlobSegmentMatches(pat[pi], path[fi])) return false;
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

// The search roots: the first occurrence of each non-negated search path that has no
// ancestor among the others.
std::vector<std::string> SearchPaths(const std::vector<Pattern>& patterns) {
  std::vector<std::string> all;
  for (const auto& p : patterns) {
    if (!p.negate) all.push_back(p.search_path);
  }
  std::vector<std::string> result;
  for (const auto& s : all) {
    if (std::find(result.begin(), result.end(), s) != result.end()) continue;
    bool ancestor = std::any_of(all.begin(), all.end(), [&](const std::string& a) {
      return a != s && (a == "/" || s.compare(0, a.size() + 1, a + "/") == 0);
    });
    if (!ancestor) result.push_back(s);
  }
  return result;
}

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

bool ClassMatches(const std::string& glob, std::size_t* i, char32_t c, bool* valid) {
  // glob[*i] == '['; on return *i is at the closing ']'.
  std::size_t j = *i + 1;
  bool negate = j < glob.size() && (glob[j] == '!' || glob[j] == '^');
  if (negate) ++j;
  bool matched = false;
  bool first = true;
  while (j < glob.size() && (glob[j] != ']' || first)) {
    first = false;
    char32_t lo = DecodeUtf8(glob, &j);
    char32_t hi = lo;
    if (j + 1 < glob.size() && glob[j] == '-' && glob[j + 1] != ']') {
      ++j;
      hi = DecodeUtf8(glob, &j);
    }
    if (c >= lo && c <= hi) matched = true;
  }
  *valid = j < glob.size();
  *i = j;
  return matched != negate;
}

bool GlobMatch(const std::string& glob, std::size_t gi, const std::string& name, std::size_t ni) {
  while (gi < glob.size()) {
    char g = glob[gi];
    if (g == '*') {
      while (gi < glob.size() && glob[gi] == '*') ++gi;
      for (std::size_t k = ni; k <= name.size(); ++k) {
        if (GlobMatch(glob, gi, name, k)) return true;
      }
      return false;
    }
    if (ni >= name.size()) return false;
    if (g == '?') {
      DecodeUtf8(name, &ni);
      ++gi;
      continue;
    }
    if (g == '[') {
      std::size_t close = gi;
      std::size_t next = ni;
      char32_t c = DecodeUtf8(name, &next);
      bool valid = false;
      bool ok = ClassMatches(glob, &close, c, &valid);
      if (valid) {
        if (!ok) return false;
        gi = close + 1;
        ni = next;
        continue;
      }
      // An unclosed '[' is a literal character.
    }
    if (g == '\\' && gi + 1 < glob.size()) g = glob[++gi];
    if (name[ni] != g) return false;
    ++gi;
    ++ni;
  }
  return ni == name.size();
}

}  // namespace

bool GlobSegmentMatches(const std::string& glob, const std::string& name) {
  return GlobMatch(glob, 0, name, 0);
}

core::Result<std::string> HashFiles(const std::string& workspace,
                                    const std::vector<std::string>& patterns) {
  std::error_code ec;
  std::string root = workspace.empty() ? fs::current_path(ec).string() : workspace;
  root = fs::absolute(root, ec).lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();

  std::vector<Pattern> list;
  for (const auto& arg : patterns) {
    std::size_t start = 0;
    while (start <= arg.size()) {
      std::size_t nl = arg.find('\n', start);
      if (nl == std::string::npos) nl = arg.size();
      std::string line = arg.substr(start, nl - start);
      start = nl + 1;
      line.erase(0, line.find_first_not_of(" \t\r"));
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (line.empty() || line[0] == '#') continue;
      auto p = MakePattern(line, root);
      if (!p.ok()) return p.status();
      Pattern pattern = std::move(p).value();
      // A pattern also matches everything below what it matches (implicit descendants).
      bool add_descendants =
          pattern.trailing_separator || pattern.segments.empty() || pattern.segments.back() != "**";
      Pattern descendants = pattern;
      descendants.trailing_separator = false;
      descendants.segments.emplace_back("**");
      list.push_back(std::move(pattern));
      if (add_descendants) list.push_back(std::move(descendants));
    }
  }

  core::Sha256 total;
  int count = 0;
  std::vector<std::string> stack;
  std::vector<std::string> roots = SearchPaths(list);
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) {
    struct stat st;
    if (lstat(it->c_str(), &st) == 0) stack.push_back(*it);
  }
  while (!stack.empty()) {
    std::string item = std::move(stack.back());
    stack.pop_back();
    std::vector<std::string> segments = Split(item);
    int match = Match(list, segments);
    bool partial = match != kNone || PartialMatch(list, segments);
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
    if (!(match & kFile)) continue;
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
