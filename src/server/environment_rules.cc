#include "server/environment_rules.h"

#include <algorithm>
#include <cctype>

#include "server/branch_pattern.h"

namespace gantry::server {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view ShortRef(std::string_view ref) {
  for (std::string_view prefix : {"refs/heads/", "refs/tags/"}) {
    if (ref.substr(0, prefix.size()) == prefix) return ref.substr(prefix.size());
  }
  return ref;
}

}  // namespace

bool RefAllowed(const std::vector<std::string>& patterns, std::string_view ref) {
  if (patterns.empty()) return true;
  for (const std::string& p : patterns) {
    bool full = p.rfind("refs/", 0) == 0;
    if (BranchPatternMatches(p, full ? ref : ShortRef(ref))) return true;
  }
  return false;
}

std::string RefNotAllowedMessage(std::string_view environment, std::string_view ref) {
  return "'" + std::string(ref) + "' is not allowed to deploy to " + std::string(environment) +
         " due to environment protection rules (its allowed branches and tags).";
}

bool MayDecide(const std::vector<std::string>& reviewers, std::string_view username,
               bool is_admin) {
  if (is_admin) return true;
  return std::any_of(reviewers.begin(), reviewers.end(),
                     [&](const std::string& r) { return EqualsIgnoreCase(r, username); });
}

bool ReviewTimedOut(int64_t requested_at, int64_t now, int64_t timeout_ms) {
  return timeout_ms > 0 && now - requested_at > timeout_ms;
}

core::Result<int64_t> ParseDurationSeconds(std::string_view text) {
  const std::string original(text);
  auto bad = [&] {
    return core::Status::InvalidArgument("'" + original +
                                         "' is not a duration: write e.g. 90s, 15m, 12h or 30d");
  };
  if (text.empty()) return bad();
  int64_t unit = 1;
  switch (text.back()) {
    case 'd':
      unit *= 24;
      [[fallthrough]];
    case 'h':
      unit *= 60;
      [[fallthrough]];
    case 'm':
      unit *= 60;
      [[fallthrough]];
    case 's':
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  if (text.empty() || text.size() > 12) return bad();
  int64_t n = 0;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return bad();
    n = n * 10 + (c - '0');
  }
  return n * unit;
}

core::Status ValidateEnvironmentName(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return core::Status::InvalidArgument("an environment name has 1 to 255 characters");
  }
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/') {
      return core::Status::InvalidArgument("an environment name has no '/' or control characters");
    }
  }
  return core::Status::Ok();
}

}  // namespace gantry::server
