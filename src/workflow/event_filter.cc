#include "workflow/event_filter.h"

#include <algorithm>
#include <regex>

namespace gantry::workflow {
namespace {

// Translates a filter pattern into an ECMAScript regular expression. `**/` also matches no
// directory at all, so `**/docs/**` matches `docs/a.md` as GitHub's cheat sheet shows.
std::string PatternToRegex(std::string_view p) {
  std::string re;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      re += '\\';
      re += p[++i];
    } else if (c == '*') {
      if (i + 1 < p.size() && p[i + 1] == '*') {
        ++i;
        if (i + 1 < p.size() && p[i + 1] == '/') {
          ++i;
          re += "(?:.*/)?";
        } else {
          re += ".*";
        }
      } else {
        re += "[^/]*";
      }
    } else if ((c == '?' || c == '+') && !re.empty()) {
      re += c;
    } else if (c == '[') {
      size_t close = p.find(']', i + 1);
      if (close == std::string_view::npos) {
        re += "\\[";
      } else {
        re += p.substr(i, close - i + 1);
        i = close;
      }
    } else if (std::string_view(".^$|(){}?+]/").find(c) != std::string_view::npos) {
      if (c != '/') re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  return re;
}

bool HasAny(const std::vector<std::string>& v) { return !v.empty(); }

// A positive list (with `!` exclusions) or an ignore list: does `value` pass?
bool PassesRefFilter(const std::vector<std::string>& include,
                     const std::vector<std::string>& ignore, const std::string& value) {
  if (!include.empty()) return MatchFilterList(include, value);
  if (!ignore.empty()) return !MatchFilterList(ignore, value);
  return true;
}

bool PassesPathFilter(const EventTrigger& t, const std::optional<std::vector<std::string>>& files) {
  if (t.paths.empty() && t.paths_ignore.empty()) return true;
  if (!files) return true;
  if (!t.paths.empty()) {
    return std::any_of(files->begin(), files->end(),
                       [&](const std::string& f) { return MatchFilterList(t.paths, f); });
  }
  return std::any_of(files->begin(), files->end(),
                     [&](const std::string& f) { return !MatchFilterList(t.paths_ignore, f); });
}

bool IsPullRequestEvent(const std::string& name) {
  return name == "pull_request" || name == "pull_request_target";
}

}  // namespace

bool MatchFilterPattern(std::string_view pattern, std::string_view value) {
  try {
    std::regex re(PatternToRegex(pattern), std::regex::ECMAScript);
    return std::regex_match(value.begin(), value.end(), re);
  } catch (const std::regex_error&) {
    return pattern == value;  // a malformed class: compare literally
  }
}

bool MatchFilterList(const std::vector<std::string>& patterns, std::string_view value) {
  bool matched = false;
  for (const auto& p : patterns) {
    if (!p.empty() && p[0] == '!') {
      if (matched && MatchFilterPattern(std::string_view(p).substr(1), value)) matched = false;
    } else if (!matched && MatchFilterPattern(p, value)) {
      matched = true;
    }
  }
  return matched;
}

bool TriggersMatch(const Triggers& triggers, const EventFacts& facts) {
  const EventTrigger* t = triggers.Find(facts.name);
  if (t == nullptr) return false;

  std::vector<std::string> types = t->types;
  if (types.empty() && IsPullRequestEvent(facts.name)) {
    types = {"opened", "synchronize", "reopened"};
  }
  if (!types.empty() && !facts.action.empty() &&
      std::find(types.begin(), types.end(), facts.action) == types.end()) {
    return false;
  }

  if (facts.name == "push") {
    bool branch_filters = HasAny(t->branches) || HasAny(t->branches_ignore);
    bool tag_filters = HasAny(t->tags) || HasAny(t->tags_ignore);
    if (facts.ref.rfind("refs/tags/", 0) == 0) {
      if (branch_filters && !tag_filters) return false;
      if (!PassesRefFilter(t->tags, t->tags_ignore, facts.ref.substr(10))) return false;
    } else if (facts.ref.rfind("refs/heads/", 0) == 0) {
      if (tag_filters && !branch_filters) return false;
      if (!PassesRefFilter(t->branches, t->branches_ignore, facts.ref.substr(11))) return false;
    } else if (branch_filters || tag_filters) {
      return false;  // a detached HEAD matches no ref filter
    }
    // GitHub ignores path filters for tag pushes.
    if (facts.ref.rfind("refs/tags/", 0) == 0) return true;
    return PassesPathFilter(*t, facts.changed_files);
  }
  if (IsPullRequestEvent(facts.name)) {
    if (!PassesRefFilter(t->branches, t->branches_ignore, facts.base_ref)) return false;
    return PassesPathFilter(*t, facts.changed_files);
  }
  return true;
}

}  // namespace gantry::workflow
