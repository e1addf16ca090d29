#pragma once

// The merge gate as pure functions over check states: what a commit's checks say together
// (GitHub's combined status), which of several attempts of a check counts, which branch
// protection rules apply to a base branch, and whether a pull request may be merged. No
// store, no HTTP: checks_api.cc and protection_api.cc gather the inputs.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::server {

/// A check's state in the words of GitHub's commit statuses.
enum class CheckState { kPending, kSuccess, kFailure };

/// "pending", "success", "failure".
std::string_view CheckStateName(CheckState state);

/// The state of a job or run with a Gantry `status` and `conclusion`: pending until completed;
/// then success for success, skipped and neutral (as GitHub lets a skipped required check
/// pass), failure for everything else (failure, cancelled, timed_out ...).
CheckState CheckStateOf(std::string_view status, std::string_view conclusion);

/// One check on a commit: a job (or a whole workflow run) of one attempt of one run.
struct Check {
  std::string context;  // StatusContext / WorkflowContext (check_names.h)
  std::string name;     // the check-run name: the job's display name (the workflow's for a run)
  std::string event;    // the run's event
  CheckState state = CheckState::kPending;
  std::string target_url;
  int64_t run_id = 0;
  int attempt = 1;
  int64_t id = 0;  // the job row (status and check-run id)
};

/// GitHub's combined state of a commit: failure when a check failed, else pending when one is
/// pending or there are none, else success.
CheckState CombinedState(const std::vector<Check>& checks);

/// The newest check of each context (the latest run, then the latest attempt, then the latest
/// row win), in the order their contexts first appear in `checks`.
std::vector<Check> LatestPerContext(const std::vector<Check>& checks);

/// Whether `check` satisfies the required check name `required`: its context exactly, its
/// context without the " (event)" suffix ("CI / test"), or its check-run name ("test", as
/// GitHub's required checks name check runs).
bool RequiredMatches(std::string_view required, const Check& check);

/// A branch protection rule: a pattern (branch_pattern.h) and the checks it requires.
struct ProtectionRule {
  std::string pattern;
  std::vector<std::string> required_checks;
};

/// The required checks of every rule whose pattern matches `branch`, each once, in rule order.
/// `*matched` (optional) is set to whether any rule matched.
std::vector<std::string> RequiredChecksFor(const std::vector<ProtectionRule>& rules,
                                           std::string_view branch, bool* matched = nullptr);

/// One required check's standing: "success", "failure", "pending" or "missing".
struct RequiredStatus {
  std::string context;
  std::string state;
  std::string target_url;  // of the matching check (the first failing one); "" when missing
};

/// Whether a pull request may be merged. `state` is "ready", "blocked" or "pending".
struct MergeDecision {
  bool mergeable = false;
  std::string state;
  std::string message;  // "ready to merge", or "2 required checks missing: a, b; 1 failed: c"
  std::vector<RequiredStatus> required;
};

/// Decides over the latest checks of the head commit (LatestPerContext). With `protected_`
/// (a rule matched the base branch), each of `required` must be matched by checks that all
/// succeeded; several matching checks combine (a failure wins over pending over success). A
/// required check no check matches is "missing", or "pending" while `runs_active` (a run of
/// the commit may still report it). Without a rule every check counts as required.
/// Any failure → blocked; else any pending → pending; else any missing → blocked; else ready.
MergeDecision DecideMerge(const std::vector<Check>& latest,
                          const std::vector<std::string>& required, bool protected_,
                          bool runs_active);

}  // namespace gantry::server
