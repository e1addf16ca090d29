#include "server/http.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

namespace gantry::server {
namespace {

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return LowerAscii(x) == LowerAscii(y);
         });
}

// "/a/b/" -> {"a", "b", ""}; "/" -> {""}. The leading '/' is required by the caller.
std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  for (;;) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

bool IsParam(std::string_view segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}
bool IsRest(std::string_view segment) {
  return IsParam(segment) && segment.size() > 5 && segment.substr(segment.size() - 4) == "...}";
}
std::string_view ParamName(std::string_view segment) {
  segment = segment.substr(1, segment.size() - 2);
  if (segment.size() >= 3 && segment.substr(segment.size() - 3) == "...") {
    segment.remove_suffix(3);
  }
  return segment;
}

[[noreturn]] void BadRoute(const std::string& method, const std::string& pattern, const char* why) {
  std::cerr << "gantry: fatal: route " << method << " " << pattern << ": " << why << "\n";
  std::abort();
}

// Per-segment ranks of a matched route; the lexicographically greatest vector is the most
// specific route, so a literal wins over a parameter at the first segment where they differ.
enum Rank : char { kRest = 0, kParam = 1, kLiteral = 2 };

// Matches `segments` against `route`; fills `ranks` (and `params` when given) on success.
bool MatchSegments(const std::vector<std::string>& route,
                   const std::vector<std::string_view>& segments, std::vector<char>* ranks,
                   std::map<std::string, std::string>* params) {
  ranks->clear();
  for (size_t i = 0; i < route.size(); ++i) {
    const std::string& pattern = route[i];
    if (IsRest(pattern)) {
      if (i >= segments.size()) return false;
      if (params != nullptr) {
        // The segments are views into one path: the tail is the rest of that string.
        const char* begin = segments[i].data();
        const char* end = segments.back().data() + segments.back().size();
        (*params)[std::string(ParamName(pattern))] =
            std::string(begin, static_cast<size_t>(end - begin));
      }
      ranks->push_back(kRest);
      return true;
    }
    if (i >= segments.size()) return false;
    if (IsParam(pattern)) {
      if (segments[i].empty()) return false;
      if (params != nullptr) (*params)[std::string(ParamName(pattern))] = segments[i];
      ranks->push_back(kParam);
    } else {
      if (segments[i] != pattern) return false;
      ranks->push_back(kLiteral);
    }
  }
  return route.size() == segments.size();
}

}  // namespace

std::string Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

std::optional<std::string> Request::Query(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

const std::string& Request::Param(const std::string& name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

Response Response::Error(int status, std::string_view code, std::string_view message,
                         std::string_view field) {
  nlohmann::ordered_json error;
  error["code"] = code;
  error["message"] = message;
  if (!field.empty()) error["field"] = field;
  nlohmann::ordered_json body;
  body["error"] = std::move(error);
  // Invalid UTF-8 in a message (it may quote user input) is replaced, never thrown.
  return Json(status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::Text(int status, std::string body) {
  Response response;
  response.status = status;
  response.content_type = "text/plain; charset=utf-8";
  response.body = std::move(body);
  return response;
}

Response Response::NoContent() {
  Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

void Router::Add(std::string method, std::string pattern, Handler handler) {
  if (pattern.empty() || pattern.front() != '/') BadRoute(method, pattern, "must start with '/'");
  Route route;
  for (std::string_view segment : SplitPath(pattern)) route.segments.emplace_back(segment);
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& segment = route.segments[i];
    if (!IsParam(segment)) continue;
    if (ParamName(segment).empty()) BadRoute(method, pattern, "a parameter without a name");
    if (IsRest(segment) && i + 1 != route.segments.size()) {
      BadRoute(method, pattern, "{name...} must be the last segment");
    }
  }
  for (const Route& other : routes_) {
    if (other.method == method && other.pattern == pattern) {
      BadRoute(method, pattern, "registered twice");
    }
  }
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match match;
  std::vector<std::string_view> segments = SplitPath(path);
  const Route* best = nullptr;
  const Route* best_get = nullptr;  // HEAD falls back to it
  std::vector<char> best_ranks;
  std::vector<char> best_get_ranks;
  std::vector<char> ranks;
  for (const Route& route : routes_) {
    if (!MatchSegments(route.segments, segments, &ranks, nullptr)) continue;
    match.allowed.push_back(route.method);
    if (route.method == "GET") match.allowed.emplace_back("HEAD");
    if (route.method == method && (best == nullptr || ranks > best_ranks)) {
      best = &route;
      best_ranks = ranks;
    }
    if (route.method == "GET" && (best_get == nullptr || ranks > best_get_ranks)) {
      best_get = &route;
      best_get_ranks = ranks;
    }
  }
  if (best == nullptr && method == "HEAD") best = best_get;
  if (best == nullptr && match.allowed.empty() && fallback_ &&
      (method == "GET" || method == "HEAD")) {
    match.handler = &fallback_;
    match.pattern = "fallback";
    return match;
  }
  if (best == nullptr) {
    match.path_matched = !match.allowed.empty();
    std::sort(match.allowed.begin(), match.allowed.end());
    match.allowed.erase(std::unique(match.allowed.begin(), match.allowed.end()),
                        match.allowed.end());
    return match;
  }
  match.allowed.clear();
  match.handler = &best->handler;
  match.pattern = best->pattern;
  MatchSegments(best->segments, segments, &ranks, &match.params);
  return match;
}

}  // namespace gantry::server
