#include "core/glob.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "core/utf8.h"

namespace gantry::core {
namespace {

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

std::string Normal(const std::string& path) {
  std::string out = std::filesystem::path(path).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool IsAncestor(const std::string& a, const std::string& s, GlobAncestry ancestry) {
  if (ancestry == GlobAncestry::kPrefix) {
    return a == "/" || s.compare(0, a.size() + 1, a + "/") == 0;
  }
  return IsLexicallyWithin(s, a);
}

}  // namespace

std::vector<std::string> SplitPathSegments(std::string_view path) {
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

bool IsLexicallyWithin(const std::string& path, const std::string& root) {
  std::string p = Normal(path);
  std::string r = Normal(root);
  if (r == "/") return !p.empty() && p[0] == '/';
  if (p == r) return true;
  return p.size() > r.size() && p.compare(0, r.size(), r) == 0 && p[r.size()] == '/';
}

bool HasGlobMagic(std::string_view segment) {
  return segment.find_first_of("*?[") != std::string_view::npos;
}

bool GlobSegmentMatches(const std::string& glob, const std::string& name) {
  return GlobMatch(glob, 0, name, 0);
}

Result<GlobPattern> ParseGlobPattern(std::string line, const std::string& root,
                                     const GlobOptions& options) {
  GlobPattern p;
  while (!line.empty() && line[0] == '!') {
    p.negate = !p.negate;
    line.erase(0, 1);
    line.erase(0, line.find_first_not_of(" \t"));
  }
  // @actions/glob (Pattern.fixupPattern): a `.` segment only first, `..` nowhere, checked on
  // the pattern as written (before `~` is expanded) and with GitHub's wording.
  std::vector<std::string> segments = SplitPathSegments(line);
  for (std::size_t i = 0; i < segments.size(); ++i) {
    std::string literal = Literal(segments[i]);
    if ((literal == "." && i != 0) || literal == "..") {
      return Status::InvalidArgument("Invalid pattern '" + line +
                                     "'. Relative pathing '.' and '..' is not allowed.");
    }
  }
  if (options.home && (line == "~" || line.starts_with("~/"))) {
    line = *options.home + line.substr(1);
    segments = SplitPathSegments(line);
  }
  p.trailing_separator = !line.empty() && line.back() == '/';
  if (line.empty() || line[0] != '/') p.segments = SplitPathSegments(root);
  for (auto& s : segments) {
    if (s != ".") p.segments.push_back(std::move(s));
  }
  for (const auto& s : p.segments) {
    if (HasGlobMagic(s)) break;
    p.search_path.push_back('/');
    p.search_path.append(Literal(s));
  }
  if (p.search_path.empty()) p.search_path.push_back('/');
  return p;
}

Status ParseGlobPatterns(std::string_view text, const std::string& root, const GlobOptions& options,
                         std::vector<GlobPattern>* out) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(text.substr(start, nl - start));
    start = nl + 1;
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (line.empty() || line[0] == '#') continue;
    auto parsed = ParseGlobPattern(line, root, options);
    if (!parsed.ok()) return parsed.status();
    GlobPattern pattern = std::move(parsed).value();
    // A pattern also matches everything below what it matches (implicit descendants).
    bool add_descendants =
        pattern.trailing_separator || pattern.segments.empty() || pattern.segments.back() != "**";
    GlobPattern descendants = pattern;
    descendants.trailing_separator = false;
    descendants.segments.emplace_back("**");
    out->push_back(std::move(pattern));
    if (add_descendants) out->push_back(std::move(descendants));
  }
  return Status::Ok();
}

int MatchGlobs(const std::vector<GlobPattern>& patterns,
               const std::vector<std::string>& path_segments) {
  int result = kGlobNone;
  for (const auto& p : patterns) {
    int kind = MatchSegments(p.segments, 0, path_segments, 0, false)
                   ? (p.trailing_separator ? kGlobDirectory : kGlobAll)
                   : kGlobNone;
    result = p.negate ? (result & ~kind) : (result | kind);
  }
  return result;
}

bool PartialMatchGlobs(const std::vector<GlobPattern>& patterns,
                       const std::vector<std::string>& path_segments) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const GlobPattern& p) {
    return !p.negate && MatchSegments(p.segments, 0, path_segments, 0, true);
  });
}

std::vector<std::string> GlobSearchPaths(const std::vector<GlobPattern>& patterns,
                                         GlobAncestry ancestry) {
  std::vector<std::string> all;
  for (const auto& p : patterns) {
    if (!p.negate) all.push_back(p.search_path);
  }
  std::vector<std::string> result;
  for (const auto& s : all) {
    if (std::find(result.begin(), result.end(), s) != result.end()) continue;
    bool ancestor = std::any_of(all.begin(), all.end(), [&](const std::string& a) {
      return a != s && IsAncestor(a, s, ancestry);
    });
    if (!ancestor) result.push_back(s);
  }
  return result;
}

}  // namespace gantry::core
