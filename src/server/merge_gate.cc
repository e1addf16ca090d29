#include "server/merge_gate.h"

#include <map>
#include <tuple>

#include "server/branch_pattern.h"
#include "server/check_names.h"

namespace gantry::server {

std::string_view CheckStateName(CheckState state) {
  switch (state) {
    case CheckState::kSuccess:
      return "success";
    case CheckState::kFailure:
      return "failure";
    case CheckState::kPending:
      return "pending";
  }
  return "pending";
}

CheckState CheckStateOf(std::string_view status, std::string_view conclusion) {
  if (status != "completed") return CheckState::kPending;
  if (conclusion == "success" || conclusion == "skipped" || conclusion == "neutral") {
    return CheckState::kSuccess;
  }
  return CheckState::kFailure;
}

CheckState CombinedState(const std::vector<Check>& checks) {
  if (checks.empty()) return CheckState::kPending;
  bool pending = false;
  for (const Check& c : checks) {
    if (c.state == CheckState::kFailure) return CheckState::kFailure;
    if (c.state == CheckState::kPending) pending = true;
  }
  return pending ? CheckState::kPending : CheckState::kSuccess;
}

std::vector<Check> LatestPerContext(const std::vector<Check>& checks) {
  std::map<std::string, size_t> index;  // context → position in out
  std::vector<Check> out;
  auto key = [](const Check& c) { return std::make_tuple(c.run_id, c.attempt, c.id); };
  for (const Check& c : checks) {
    auto [it, inserted] = index.emplace(c.context, out.size());
    if (inserted) {
      out.push_back(c);
    } else if (key(c) > key(out[it->second])) {
      out[it->second] = c;
    }
  }
  return out;
}

bool RequiredMatches(std::string_view required, const Check& check) {
  return required == check.context || required == ContextWithoutEvent(check.context, check.event) ||
         required == check.name;
}

std::vector<std::string> RequiredChecksFor(const std::vector<ProtectionRule>& rules,
                                           std::string_view branch, bool* matched) {
  std::vector<std::string> out;
  bool any = false;
  for (const ProtectionRule& rule : rules) {
    if (!BranchPatternMatches(rule.pattern, branch)) continue;
    any = true;
    for (const std::string& name : rule.required_checks) {
      bool seen = false;
      for (const std::string& have : out) seen = seen || have == name;
      if (!seen) out.push_back(name);
    }
  }
  if (matched != nullptr) *matched = any;
  return out;
}

namespace {

// "2 required checks missing: a, b" / "1 failed: c".
std::string Part(const std::vector<std::string>& names, std::string_view what) {
  std::string out = std::to_string(names.size()) + " " + std::string(what) + ": ";
  for (size_t i = 0; i < names.size(); ++i) out += (i > 0 ? ", " : "") + names[i];
  return out;
}

}  // namespace

MergeDecision DecideMerge(const std::vector<Check>& latest,
                          const std::vector<std::string>& required, bool protected_,
                          bool runs_active) {
  MergeDecision d;
  std::vector<std::string> missing, failed, pending;
  if (protected_) {
    for (const std::string& name : required) {
      RequiredStatus r{name, "missing", ""};
      bool any = false;
      CheckState state = CheckState::kSuccess;
      for (const Check& c : latest) {
        if (!RequiredMatches(name, c)) continue;
        if (!any || (c.state == CheckState::kFailure && state != CheckState::kFailure)) {
          r.target_url = c.target_url;
        }
        any = true;
        if (c.state == CheckState::kFailure) {
          state = CheckState::kFailure;
        } else if (c.state == CheckState::kPending && state == CheckState::kSuccess) {
          state = CheckState::kPending;
        }
      }
      if (any) {
        r.state = std::string(CheckStateName(state));
      } else if (runs_active) {
        r.state = "pending";
      }
      if (r.state == "missing") missing.push_back(name);
      if (r.state == "failure") failed.push_back(name);
      if (r.state == "pending") pending.push_back(name);
      d.required.push_back(std::move(r));
    }
  } else {
    for (const Check& c : latest) {
      if (c.state == CheckState::kFailure) failed.push_back(c.context);
      if (c.state == CheckState::kPending) pending.push_back(c.context);
    }
  }
  std::vector<std::string> parts;
  if (!missing.empty()) {
    parts.push_back(
        Part(missing, missing.size() == 1 ? "required check missing" : "required checks missing"));
  }
  if (!failed.empty()) parts.push_back(Part(failed, "failed"));
  if (!pending.empty()) parts.push_back(Part(pending, "pending"));
  if (!failed.empty()) {
    d.state = "blocked";
  } else if (!pending.empty()) {
    d.state = "pending";
  } else if (!missing.empty()) {
    d.state = "blocked";
  } else {
    d.state = "ready";
  }
  d.mergeable = d.state == "ready";
  if (parts.empty()) {
    d.message = "ready to merge";
  } else {
    for (size_t i = 0; i < parts.size(); ++i) d.message += (i > 0 ? "; " : "") + parts[i];
  }
  return d;
}

}  // namespace gantry::server
