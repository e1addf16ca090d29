#include "server/branch_pattern.h"

#include <optional>

namespace gantry::server {
namespace {

// The end of the bracket expression opening at p[i] ('['), or nullopt when it is not closed.
// A ']' right after '[', '[!' or '[^' is a member, as in fnmatch.
std::optional<size_t> BracketEnd(std::string_view p, size_t i) {
  size_t j = i + 1;
  if (j < p.size() && (p[j] == '!' || p[j] == '^')) ++j;
  if (j < p.size() && p[j] == ']') ++j;
  while (j < p.size() && p[j] != ']') ++j;
  if (j >= p.size()) return std::nullopt;
  return j;
}

// Whether `c` is in the set p[i+1 .. end-1] of a bracket expression.
bool InSet(std::string_view p, size_t i, size_t end, char c) {
  size_t j = i + 1;
  bool negate = j < end && (p[j] == '!' || p[j] == '^');
  if (negate) ++j;
  bool found = false;
  for (bool first = true; j < end; first = false) {
    char lo = p[j];
    if (!first && lo == ']') break;
    if (j + 2 < end && p[j + 1] == '-') {
      if (c >= lo && c <= p[j + 2]) found = true;
      j += 3;
    } else {
      if (c == lo) found = true;
      ++j;
    }
  }
  return found != negate;
}

bool Match(std::string_view p, size_t pi, std::string_view s, size_t si) {
  while (pi < p.size()) {
    char pc = p[pi];
    if (pc == '*') {
      bool any = pi + 1 < p.size() && p[pi + 1] == '*';
      size_t next = pi + (any ? 2 : 1);
      // "**/" also matches nothing at all ("a/**/b" matches "a/b").
      if (any && next < p.size() && p[next] == '/' && Match(p, next + 1, s, si)) return true;
      for (size_t k = si;; ++k) {
        if (Match(p, next, s, k)) return true;
        if (k >= s.size() || (!any && s[k] == '/')) return false;
      }
    }
    if (si >= s.size()) return false;
    if (pc == '?') {
      if (s[si] == '/') return false;
    } else if (pc == '[') {
      std::optional<size_t> end = BracketEnd(p, pi);
      if (!end) {
        if (s[si] != '[') return false;
      } else {
        if (s[si] == '/' || !InSet(p, pi, *end, s[si])) return false;
        pi = *end;
      }
    } else if (pc == '\\' && pi + 1 < p.size()) {
      ++pi;
      if (p[pi] != s[si]) return false;
    } else if (pc != s[si]) {
      return false;
    }
    ++pi;
    ++si;
  }
  return si == s.size();
}

}  // namespace

bool BranchPatternMatches(std::string_view pattern, std::string_view branch) {
  return Match(pattern, 0, branch, 0);
}

core::Status ValidateBranchPattern(std::string_view pattern) {
  if (pattern.empty()) return core::Status::InvalidArgument("the branch pattern is empty");
  if (pattern.size() > 255) {
    return core::Status::InvalidArgument("the branch pattern is longer than 255 characters");
  }
  for (size_t i = 0; i < pattern.size(); ++i) {
    auto c = static_cast<unsigned char>(pattern[i]);
    if (c < 0x20 || c == 0x7f) {
      return core::Status::InvalidArgument("the branch pattern holds a control character");
    }
    if (pattern[i] == '[' && !BracketEnd(pattern, i)) {
      return core::Status::InvalidArgument("the branch pattern '" + std::string(pattern) +
                                           "' has a '[' without its ']'");
    }
  }
  return core::Status::Ok();
}

}  // namespace gantry::server
