#pragma once

// SARIF 2.1.0 security findings (CodeQL, Trivy, Semgrep, gosec, ...): each result of each
// run becomes a Finding (reports/report.h) with a severity mapped as below.

#include <string>
#include <string_view>

#include "core/status.h"
#include "reports/report.h"

namespace gantry::reports {

/// Severities from most to least severe; a finding's Finding::severity is one of these.
inline constexpr std::string_view kSeverities[] = {"critical", "high", "medium", "low", "note"};

/// The rank of `severity` in kSeverities (0 = critical), 5 for an unknown one.
int SeverityRank(std::string_view severity);

/// Severity from a CVSS-like `security-severity` score: >= 9 critical, >= 7 high, >= 4
/// medium, > 0 low, else note.
std::string SeverityOfScore(double score);

/// Severity from a SARIF level: error → high, warning → medium, note → low, none → note;
/// "" for anything else.
std::string SeverityOfLevel(std::string_view level);

/// Parses one SARIF log. A finding's severity is, in order: its rule's
/// properties.security-severity score; a Trivy-style severity word (CRITICAL, HIGH, MEDIUM,
/// LOW) in the rule's properties.tags or properties.severity; the result's level, else the
/// rule's defaultConfiguration.level, else "warning". File paths resolve `uriBaseId` through
/// the run's originalUriBaseIds and become relative to `workspace` when inside it.
/// Errors: "name:line: SARIF: message" (invalid JSON) or "name: SARIF: <field> ...".
core::Result<SecurityReport> ParseSarif(std::string_view content, std::string_view name,
                                        const std::string& workspace);

/// sha256 (hex) of tool, rule, file and message joined by '\n': the fingerprint of a finding
/// without partialFingerprints.
std::string FindingFingerprint(const Finding& f);

}  // namespace gantry::reports
