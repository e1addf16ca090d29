#pragma once

// The pure decisions of environment protection rules (docs/server.md, "Environments and
// approvals"): which refs may deploy to an environment, who may approve or reject a job
// waiting for it, and when an unanswered request times out.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::server {

/// True when `ref` may deploy to an environment whose branch and tag patterns are `patterns`
/// (no pattern: every ref). A pattern matches a branch's or tag's short name ("main",
/// "release/*", "v*") as branch protection patterns do (branch_pattern.h), or, when it begins
/// with "refs/", the full ref.
bool RefAllowed(const std::vector<std::string>& patterns, std::string_view ref);

/// The error of a job whose ref may not deploy to `environment`.
std::string RefNotAllowedMessage(std::string_view environment, std::string_view ref);

/// True when `username` may approve or reject a job waiting for an environment with
/// `reviewers` (usernames, any case): one of them, or a server admin.
bool MayDecide(const std::vector<std::string>& reviewers, std::string_view username, bool is_admin);

/// True when a review requested at `requested_at` (ms) is unanswered for longer than
/// `timeout_ms` at `now` (a timeout of 0 or less never expires).
bool ReviewTimedOut(int64_t requested_at, int64_t now, int64_t timeout_ms);

/// Seconds of a duration "90", "90s", "15m", "12h", "30d". InvalidArgument otherwise.
core::Result<int64_t> ParseDurationSeconds(std::string_view text);

/// OK for an environment name: 1 to 255 characters, no control characters, no '/'.
core::Status ValidateEnvironmentName(std::string_view name);

}  // namespace gantry::server
