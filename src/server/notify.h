#pragma once

// The pure parts of outbound deliveries: when a completed run notifies ("failure", "fixed",
// "always"), the retry schedule, the message templates, and the shapes of what is sent
// (webhook JSON, Slack blocks, RFC 5322 e-mail, forge commit statuses). No I/O here.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::server::notify {

/// When a recipient hears of a completed run.
enum class On { kFailure, kFixed, kAlways, kNever };

/// "failure" | "fixed" | "always" | "never"; nullopt for anything else.
std::optional<On> ParseOn(std::string_view text);

/// A conclusion that counts as failed: failure and timed_out. A cancelled run is not (someone
/// chose to stop it) and does not break a "fixed" streak either.
bool IsFailed(std::string_view conclusion);

/// Whether a run with `conclusion` notifies under `on`; `previous` is the conclusion of the
/// previous completed run of the same workflow on the same branch ("" when none). "fixed" =
/// this run succeeded and the previous one failed.
bool ShouldNotify(On on, std::string_view conclusion, std::string_view previous);

/// What the templates and payloads say about a completed run.
struct RunSummary {
  std::string project;  // owner/name
  int64_t run_id = 0;
  int64_t number = 0;
  std::string workflow;  // the workflow's name
  std::string branch;
  std::string sha;
  std::string event;
  std::string conclusion;
  std::string run_url;
  std::string actor;
  std::vector<std::string> failed_jobs;
};

/// Replaces {{project}}, {{workflow}}, {{branch}}, {{sha}}, {{conclusion}}, {{run_url}},
/// {{actor}} and {{failed_jobs}} (comma-separated names, "none" when empty); other text and
/// unknown placeholders stay as written.
std::string Render(std::string_view tmpl, const RunSummary& run);

inline constexpr std::string_view kDefaultSubject =
    "[{{project}}] {{workflow}} {{conclusion}} on {{branch}} ({{sha}})";
inline constexpr std::string_view kDefaultBody =
    "{{workflow}} in {{project}}: {{conclusion}}\n\nBranch: {{branch}}\nCommit: {{sha}}\n"
    "Triggered by: {{actor}}\nFailed jobs: {{failed_jobs}}\n\n{{run_url}}\n";

/// Delays between attempts in milliseconds, parsed from "5s,30s,2m,10m" (units ms, s, m, h).
/// nullopt when empty or malformed.
std::optional<std::vector<int64_t>> ParseBackoff(std::string_view text);
/// The delay before the attempt after `attempts` failed ones: the schedule's entry, or its
/// last entry once past its end.
int64_t BackoffDelayMs(const std::vector<int64_t>& schedule, int attempts);

/// POST body of a "json" webhook: {event:"run.completed", project, run:{id, number, workflow,
/// branch, sha, conclusion, url, actor, failed_jobs}}.
nlohmann::json WebhookBody(const RunSummary& run);
/// A Slack incoming-webhook body: {"text", "blocks"}.
nlohmann::json SlackBody(const RunSummary& run);

/// An RFC 5322 message (CRLF lines) with Date (from `now_ms`), Message-ID (`id_left` @
/// the domain of `from`), From, To, Subject (RFC 2047-encoded when not ASCII), MIME-Version and
/// a UTF-8 text/plain body (quoted-printable).
std::string EmailMessage(const std::string& from, const std::vector<std::string>& to,
                         const std::string& subject, const std::string& body, int64_t now_ms,
                         const std::string& id_left);
/// A header value as RFC 2047 encoded words when it holds non-ASCII bytes, else as is.
std::string EncodeHeader(std::string_view value);

/// A forge's commit status state for a conclusion ("" = still running → pending).
std::string ForgeState(std::string_view conclusion);

/// A plausible e-mail address (one '@', a dot in the domain, no spaces or angle brackets).
bool ValidEmail(std::string_view address);
/// An http:// or https:// URL with a host.
bool ValidHttpUrl(std::string_view url);

}  // namespace gantry::server::notify
