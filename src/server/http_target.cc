#include "server/http_target.h"

namespace gantry::server {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int high = HexValue(s[i + 1]);
      int low = HexValue(s[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

core::Result<Target> ParseTarget(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return core::Status::InvalidArgument("the request target must be a path starting with '/'");
  }
  size_t question = target.find('?');
  std::string_view raw_path = target.substr(0, question);
  std::string_view raw_query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);
  // A fragment is never sent by clients; drop one rather than let it reach a handler.
  if (size_t hash = raw_query.find('#'); hash != std::string_view::npos) {
    raw_query = raw_query.substr(0, hash);
  }

  Target out;
  std::optional<std::string> path = PercentDecode(raw_path, /*plus_is_space=*/false);
  if (!path) return core::Status::InvalidArgument("invalid percent-encoding in the path");
  if (path->find('\0') != std::string::npos) {
    return core::Status::InvalidArgument("the path contains a NUL byte (%00)");
  }
  out.path = std::move(*path);

  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view raw_key = pair.substr(0, eq);
    std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::optional<std::string> key = PercentDecode(raw_key, /*plus_is_space=*/true);
    std::optional<std::string> value = PercentDecode(raw_value, /*plus_is_space=*/true);
    if (!key || !value) {
      return core::Status::InvalidArgument("invalid percent-encoding in query parameter '" +
                                           std::string(raw_key) + "'");
    }
    out.query.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

}  // namespace gantry::server
