#include <cctype>
#include <charconv>
#include <ctime>

#include "server/github_api.h"

namespace gantry::server::github {
namespace {

constexpr const char* kDocs = "https://docs.github.com/rest";

bool Digits(std::string_view s, size_t n) {
  if (s.size() < n) return false;
  for (size_t i = 0; i < n; ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) == 0) return false;
  }
  return true;
}

// Unix ms of "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ"; *day is set for a bare date (a whole day).
std::optional<int64_t> ParseDate(std::string_view s, bool* day) {
  if (s.size() < 10 || !Digits(s, 4) || s[4] != '-' || !Digits(s.substr(5), 2) || s[7] != '-' ||
      !Digits(s.substr(8), 2)) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = std::stoi(std::string(s.substr(0, 4))) - 1900;
  tm.tm_mon = std::stoi(std::string(s.substr(5, 2))) - 1;
  tm.tm_mday = std::stoi(std::string(s.substr(8, 2)));
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31) return std::nullopt;
  *day = s.size() == 10;
  if (!*day) {
    std::string_view t = s.substr(10);
    if (t.size() < 9 || t[0] != 'T' || !Digits(t.substr(1), 2) || t[3] != ':' ||
        !Digits(t.substr(4), 2) || t[6] != ':' || !Digits(t.substr(7), 2)) {
      return std::nullopt;
    }
    std::string_view rest = t.substr(9);
    if (rest != "Z" && rest != "+00:00" && !rest.empty()) return std::nullopt;
    tm.tm_hour = std::stoi(std::string(t.substr(1, 2)));
    tm.tm_min = std::stoi(std::string(t.substr(4, 2)));
    tm.tm_sec = std::stoi(std::string(t.substr(7, 2)));
  }
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;

std::string PercentEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[u >> 4]);
      out.push_back(hex[u & 15]);
    }
  }
  return out;
}

// GitHub's words for the token's scopes: `gh auth status` wants repo and read:org.
std::string OAuthScopes(const Principal& who) {
  const std::string& scopes = who.token.scopes;
  if (who.token.kind != "pat" || scopes.empty() || scopes.find("repo") != std::string::npos ||
      scopes.find("admin") != std::string::npos) {
    return "repo, read:org, workflow, gist";
  }
  if (scopes.find("workflow") != std::string::npos) return "workflow, read:org";
  return "read:org";
}

}  // namespace

std::string Status(std::string_view status) {
  for (std::string_view s :
       {"queued", "in_progress", "completed", "waiting", "pending", "requested"}) {
    if (status == s) return std::string(s);
  }
  if (status == "running") return "in_progress";
  return "queued";
}

nlohmann::json Conclusion(std::string_view status, std::string_view conclusion) {
  if (Status(status) != "completed") return nullptr;
  for (std::string_view c : {"success", "failure", "cancelled", "skipped", "timed_out", "neutral",
                             "action_required", "startup_failure"}) {
    if (conclusion == c) return std::string(c);
  }
  if (conclusion == "canceled") return "cancelled";
  return "neutral";
}

std::string AnnotationLevel(std::string_view level) {
  if (level == "error" || level == "failure") return "failure";
  if (level == "warning") return "warning";
  return "notice";
}

core::Result<Page> ParsePage(const std::vector<std::pair<std::string, std::string>>& query) {
  Page p;
  for (const auto& [name, value] : query) {
    if (name != "per_page" && name != "page") continue;
    int64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size() || n < 1) {
      return core::Status::InvalidArgument(name + " must be a positive integer, not '" + value +
                                           "'");
    }
    if (name == "per_page") {
      p.per_page = static_cast<int>(std::min<int64_t>(n, 100));
    } else {
      p.page = n;
    }
  }
  return p;
}

std::string LinkHeader(const std::string& url,
                       const std::vector<std::pair<std::string, std::string>>& query,
                       const Page& page, int64_t total) {
  int64_t last = total <= 0 ? 1 : (total + page.per_page - 1) / page.per_page;
  if (last <= 1 && page.page <= 1) return "";
  std::string base;
  for (const auto& [name, value] : query) {
    if (name == "page" || name == "per_page") continue;
    base += name + "=" + PercentEncode(value) + "&";
  }
  base += "per_page=" + std::to_string(page.per_page) + "&page=";
  auto link = [&](int64_t n, const char* rel) {
    return "<" + url + "?" + base + std::to_string(n) + ">; rel=\"" + rel + "\"";
  };
  std::string out;
  auto add = [&out](const std::string& l) { out += (out.empty() ? "" : ", ") + l; };
  if (page.page > 1) add(link(std::min(page.page - 1, last), "prev"));
  if (page.page < last) add(link(page.page + 1, "next"));
  if (page.page < last) add(link(last, "last"));
  if (page.page > 1) add(link(1, "first"));
  return out;
}

core::Status ParseCreated(std::string_view text, int64_t* from_ms, int64_t* to_ms) {
  *from_ms = 0;
  *to_ms = 0;
  auto bad = [text] {
    return core::Status::InvalidArgument(
        "created must be a date or a range like 2026-12-01, >=2026-12-01 or "
        "2026-12-01..2026-12-06, not '" +
        std::string(text) + "'");
  };
  bool day = false;
  // [start, end) of one date or time.
  auto span = [&](std::string_view d, int64_t* start, int64_t* end) {
    auto t = ParseDate(d, &day);
    if (!t) return false;
    *start = *t;
    *end = *t + (day ? kDayMs : 1000);
    return true;
  };
  int64_t start = 0, end = 0;
  if (size_t dots = text.find(".."); dots != std::string_view::npos) {
    std::string_view a = text.substr(0, dots), b = text.substr(dots + 2);
    if (a != "*" && !span(a, from_ms, &end)) return bad();
    if (b != "*" && !span(b, &start, to_ms)) return bad();
    if (a == "*" && b == "*") return bad();
    return core::Status::Ok();
  }
  for (std::string_view op : {">=", "<=", ">", "<"}) {
    if (text.rfind(op, 0) != 0) continue;
    if (!span(text.substr(op.size()), &start, &end)) return bad();
    if (op == ">=") *from_ms = start;
    if (op == ">") *from_ms = end;
    if (op == "<=") *to_ms = end;
    if (op == "<") *to_ms = start;
    return core::Status::Ok();
  }
  if (!span(text, from_ms, to_ms)) return bad();
  return core::Status::Ok();
}

std::string LogLine(std::string_view line, std::string* last) {
  // "2026-12-06T09:00:00.123Z text" → "2026-12-06T09:00:00.1230000Z text"
  size_t space = line.find(' ');
  std::string_view stamp = line.substr(0, space);
  bool dated = stamp.size() >= 20 && stamp.back() == 'Z' && stamp[10] == 'T' && Digits(stamp, 4);
  if (!dated) return (last->empty() ? "" : *last + " ") + std::string(line);
  std::string_view whole = stamp.substr(0, 19);
  std::string fraction;
  if (stamp.size() > 20 && stamp[19] == '.')
    fraction = std::string(stamp.substr(20, stamp.size() - 21));
  fraction.resize(7, '0');
  *last = std::string(whole) + "." + fraction + "Z";
  std::string_view text = space == std::string_view::npos ? "" : line.substr(space + 1);
  return *last + " " + std::string(text);
}

std::string SafeName(std::string_view name) {
  std::string out;
  for (char c : name) {
    bool bad = c == '/' || c == '\\' || c == ':' || static_cast<unsigned char>(c) < 0x20;
    out.push_back(bad ? '_' : c);
  }
  return out.empty() ? "_" : out;
}

std::string ErrorBody(std::string_view message) {
  return Dump({{"message", message}, {"documentation_url", kDocs}});
}

Response Error(int status, std::string_view message) {
  return Response::Json(status, ErrorBody(message));
}

Response Rewrite(Response response) {
  if (response.status < 400 || response.content_type != "application/json") return response;
  nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    std::string message = j["error"].value("message", "error");
    if (response.status == 404 && message.empty()) message = "Not Found";
    response.body = ErrorBody(message);
  }
  return response;
}

Handler GhAuthed(ApiContext& ctx, AuthedHandler handler) {
  return [&ctx, handler = std::move(handler)](Request& request) {
    auto who = Authenticate(ctx, request);
    if (!who) {
      Response r = Error(401, "Bad credentials");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"gantry\"");
      return r;
    }
    Response r = Rewrite([&] {
      if (auto denied = CheckCsrf(request, *who)) return *denied;
      if (auto denied = CheckScopes(*who, request)) return *denied;
      return handler(request, *who);
    }());
    r.headers.emplace_back("X-OAuth-Scopes", OAuthScopes(*who));
    r.headers.emplace_back("X-Accepted-OAuth-Scopes", "repo");
    r.headers.emplace_back("X-GitHub-Media-Type", "github.v3; format=json");
    return r;
  };
}

std::optional<Response> RequireRepo(ApiContext& ctx, const Request& r, const Principal& who,
                                    std::string_view role, ProjectAccess* out) {
  if (auto e = RequireProject(ctx, who, r.Param("owner"), r.Param("repo"), role, out)) {
    if (e->status == 404) return Error(404, "Not Found");
    return Rewrite(*e);
  }
  return std::nullopt;
}

std::string RepoApiUrl(const ApiContext& ctx, const store::Project& p) {
  return ctx.config.base_url + "/api/v3/repos/" + p.owner + "/" + p.name;
}

nlohmann::json UserJson(const ApiContext& ctx, std::string_view login, store::Id id) {
  std::string l(login);
  return {{"login", l},
          {"id", id},
          {"node_id", "U_" + std::to_string(id)},
          {"type", "User"},
          {"site_admin", false},
          {"avatar_url", ""},
          {"url", ctx.config.base_url + "/api/v3/users/" + l},
          {"html_url", ctx.config.base_url + "/" + l}};
}

nlohmann::json RepoJson(const ApiContext& ctx, const store::Project& p) {
  store::Id owner_id = 0;
  if (auto u = ctx.store->GetUserByName(p.owner); u.ok()) owner_id = u.value().id;
  return {{"id", p.id},
          {"node_id", "R_" + std::to_string(p.id)},
          {"name", p.name},
          {"full_name", p.owner + "/" + p.name},
          {"private", true},
          {"visibility", "private"},
          {"fork", false},
          {"owner", UserJson(ctx, p.owner, owner_id)},
          {"default_branch", p.default_branch},
          {"html_url", ctx.config.base_url + "/" + p.owner + "/" + p.name},
          {"url", RepoApiUrl(ctx, p)}};
}

}  // namespace gantry::server::github
