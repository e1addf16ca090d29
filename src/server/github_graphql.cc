// POST /api/graphql: a small GraphQL reader (operations, fields with aliases and arguments,
// variables, inline fragments and fragment spreads) over the few objects gh asks about:
// `repository(owner, name)` with its default branch and the pull requests of a branch, and
// `viewer` (github_api.h).

#include <cctype>
#include <functional>
#include <map>
#include <memory>

#include "server/github_api.h"

namespace gantry::server::github {
namespace {

struct Field;
using Selection = std::vector<Field>;

struct Field {
  std::string alias;  // the answer's key (the name when there is no alias)
  std::string name;
  nlohmann::json args = nlohmann::json::object();
  Selection selection;
  bool leaf = true;
};

class Parser {
 public:
  Parser(std::string_view text, const nlohmann::json& variables)
      : text_(text), variables_(variables) {}

  /// The first operation's selection (fragments spread in); false with error_ set.
  bool Parse(Selection* out, bool* mutation) {
    std::vector<std::pair<bool, size_t>> operations;  // (mutation, position of its '{')
    while (Skip(), pos_ < text_.size()) {
      if (Peek('{')) {
        operations.emplace_back(false, pos_);
        if (!SkipBalanced('{', '}')) return false;
        continue;
      }
      std::string word = Name();
      if (word == "fragment") {
        std::string name = Name();
        if (Name() != "on") return Fail("expected 'on' in fragment " + name);
        Name();
        size_t at = pos_;
        if (!SkipBalanced('{', '}')) return false;
        fragments_[name] = at;
      } else if (word == "query" || word == "mutation" || word == "subscription") {
        Skip();
        if (pos_ < text_.size() && IsNameStart(text_[pos_])) Name();
        Skip();
        if (Peek('(') && !SkipBalanced('(', ')')) return false;
        SkipDirectives();
        Skip();
        if (!Peek('{')) return Fail("expected '{' after " + word);
        operations.emplace_back(word != "query", pos_);
        if (!SkipBalanced('{', '}')) return false;
      } else {
        return Fail("unexpected '" + (word.empty() ? std::string(1, text_[pos_]) : word) + "'");
      }
    }
    if (operations.empty()) return Fail("the document has no operation");
    *mutation = operations.front().first;
    pos_ = operations.front().second;
    return SelectionSet(out, 0);
  }
  const std::string& error() const { return error_; }

 private:
  static bool IsNameStart(char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
  }
  static bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  bool Fail(const std::string& message) {
    if (error_.empty()) error_ = message;
    return false;
  }
  void Skip() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (std::isspace(static_cast<unsigned char>(c)) || c == ',') {
        ++pos_;
      } else {
        break;
      }
    }
  }
  bool Peek(char c) {
    Skip();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  std::string Name() {
    Skip();
    size_t start = pos_;
    if (pos_ < text_.size() && IsNameStart(text_[pos_])) {
      while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    }
    return std::string(text_.substr(start, pos_ - start));
  }
  bool SkipString() {
    ++pos_;
    while (pos_ < text_.size() && text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    if (pos_ >= text_.size()) return Fail("an unterminated string");
    ++pos_;
    return true;
  }
  bool SkipBalanced(char open, char close) {
    int depth = 0;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"') {
        if (!SkipString()) return false;
        continue;
      }
      if (c == '#') {
        Skip();
        continue;
      }
      ++pos_;
      if (c == open) ++depth;
      if (c == close && --depth == 0) return true;
    }
    return Fail(std::string("unbalanced '") + open + "'");
  }
  void SkipDirectives() {
    while (Peek('@')) {
      ++pos_;
      Name();
      if (Peek('(')) SkipBalanced('(', ')');
    }
  }
  bool Value(nlohmann::json* out) {
    Skip();
    if (pos_ >= text_.size()) return Fail("a value is missing");
    char c = text_[pos_];
    if (c == '$') {
      ++pos_;
      std::string name = Name();
      *out = variables_.is_object() && variables_.contains(name) ? variables_[name]
                                                                 : nlohmann::json(nullptr);
      return true;
    }
    if (c == '"') {
      size_t start = pos_;
      if (!SkipString()) return false;
      *out = nlohmann::json::parse(text_.substr(start, pos_ - start), nullptr, false);
      if (out->is_discarded()) *out = "";
      return true;
    }
    if (c == '[' || c == '{') {
      *out = c == '[' ? nlohmann::json::array() : nlohmann::json::object();
      ++pos_;
      char close = c == '[' ? ']' : '}';
      while (!Peek(close)) {
        if (pos_ >= text_.size()) return Fail("an unterminated list or object");
        std::string key;
        if (c == '{') {
          key = Name();
          if (!Peek(':')) return Fail("expected ':' in an object value");
          ++pos_;
        }
        nlohmann::json v;
        if (!Value(&v)) return false;
        if (c == '[')
          out->push_back(v);
        else
          (*out)[key] = v;
      }
      ++pos_;
      return true;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && (IsNameChar(text_[pos_]) || text_[pos_] == '-' ||
                                   text_[pos_] == '.' || text_[pos_] == '+')) {
      ++pos_;
    }
    std::string word(text_.substr(start, pos_ - start));
    if (word.empty()) return Fail(std::string("unexpected '") + c + "' in a value");
    if (word == "true" || word == "false")
      *out = word == "true";
    else if (word == "null")
      *out = nullptr;
    else if (std::isdigit(static_cast<unsigned char>(word[0])) || word[0] == '-')
      *out = nlohmann::json::parse(word, nullptr, false);
    else
      *out = word;  // an enum value
    return true;
  }
  bool SelectionSet(Selection* out, int depth) {
    if (depth > 32) return Fail("the query is nested too deeply");
    if (!Peek('{')) return Fail("expected '{'");
    ++pos_;
    while (!Peek('}')) {
      if (pos_ >= text_.size()) return Fail("an unterminated selection");
      if (text_.substr(pos_, 3) == "...") {
        pos_ += 3;
        Skip();
        if (Peek('{') || text_.substr(pos_, 2) == "on") {
          if (!Peek('{')) {
            Name();  // on
            Name();  // the type
          }
          SkipDirectives();
          if (!SelectionSet(out, depth + 1)) return false;
        } else {
          std::string name = Name();
          auto it = fragments_.find(name);
          if (it == fragments_.end()) return Fail("unknown fragment " + name);
          size_t back = pos_;
          pos_ = it->second;
          if (!SelectionSet(out, depth + 1)) return false;
          pos_ = back;
          SkipDirectives();
        }
        continue;
      }
      Field f;
      f.name = Name();
      if (f.name.empty()) return Fail(std::string("unexpected '") + text_[pos_] + "'");
      f.alias = f.name;
      if (Peek(':')) {
        ++pos_;
        f.name = Name();
      }
      if (Peek('(')) {
        ++pos_;
        while (!Peek(')')) {
          if (pos_ >= text_.size()) return Fail("unterminated arguments");
          std::string key = Name();
          if (!Peek(':')) return Fail("expected ':' after argument " + key);
          ++pos_;
          if (!Value(&f.args[key])) return false;
        }
        ++pos_;
      }
      SkipDirectives();
      if (Peek('{')) {
        f.leaf = false;
        if (!SelectionSet(&f.selection, depth + 1)) return false;
      }
      out->push_back(std::move(f));
    }
    ++pos_;
    return true;
  }

  std::string_view text_;
  const nlohmann::json& variables_;
  size_t pos_ = 0;
  std::map<std::string, size_t> fragments_;
  std::string error_;
};

// Fields that need their arguments (answered from `field` and the parent's value).
using Resolver =
    std::function<std::optional<nlohmann::json>(const Field& field, const nlohmann::json& parent)>;

nlohmann::json Project(const Selection& selection, const nlohmann::json& value,
                       const Resolver& resolve) {
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const nlohmann::json& v : value) out.push_back(Project(selection, v, resolve));
    return out;
  }
  if (!value.is_object()) return nullptr;
  nlohmann::json out = nlohmann::json::object();
  for (const Field& f : selection) {
    std::optional<nlohmann::json> special = resolve(f, value);
    nlohmann::json v = special ? *special : value.value(f.name, nlohmann::json(nullptr));
    if (f.name == "__typename" && !special) v = value.value("__typename", "Object");
    out[f.alias] = f.leaf ? v : Project(f.selection, v, resolve);
  }
  return out;
}

// Pull requests of `branch`: the newest pull_request run of the project from that head branch.
nlohmann::json PullRequests(ApiContext& ctx, const store::Project& p, const std::string& branch) {
  nlohmann::json nodes = nlohmann::json::array();
  store::RunFilter f;
  f.project_id = p.id;
  f.event = "pull_request";
  f.limit = 100;
  auto runs = ctx.store->ListRuns(f);
  if (runs.ok() && !branch.empty()) {
    for (const store::Run& run : runs.value()) {
      nlohmann::json ev = nlohmann::json::parse(run.event_payload, nullptr, false);
      if (!ev.is_object() || !ev.contains("pull_request")) continue;
      const nlohmann::json& pr = ev["pull_request"];
      std::string head = pr.contains("head") ? pr["head"].value("ref", "") : "";
      if (head != branch) continue;
      nodes.push_back({{"number", pr.value("number", ev.value("number", 0))},
                       {"title", pr.value("title", "")},
                       {"state", "OPEN"},
                       {"headRefName", head},
                       {"headRepository", {{"name", p.name}, {"owner", {{"login", p.owner}}}}}});
      break;
    }
  }
  return {{"nodes", nodes},
          {"totalCount", nodes.size()},
          {"pageInfo", {{"hasNextPage", false}, {"endCursor", nullptr}}}};
}

nlohmann::json RepositoryObject(ApiContext& ctx, const ProjectAccess& access) {
  const store::Project& p = access.project;
  std::string permission = access.role == "owner"        ? "ADMIN"
                           : access.role == "maintainer" ? "MAINTAIN"
                           : access.role == "developer"  ? "WRITE"
                                                         : "READ";
  return {{"__typename", "Repository"},
          {"id", "R_" + std::to_string(p.id)},
          {"databaseId", p.id},
          {"name", p.name},
          {"nameWithOwner", p.owner + "/" + p.name},
          {"owner", {{"__typename", "User"}, {"login", p.owner}, {"id", "U_" + p.owner}}},
          {"description", ""},
          {"url", ctx.config.base_url + "/" + p.owner + "/" + p.name},
          {"isPrivate", true},
          {"visibility", "PRIVATE"},
          {"isFork", false},
          {"isArchived", false},
          {"isEmpty", false},
          {"isInOrganization", false},
          {"hasIssuesEnabled", false},
          {"hasWikiEnabled", false},
          {"hasProjectsEnabled", false},
          {"hasDiscussionsEnabled", false},
          {"viewerPermission", permission},
          {"defaultBranchRef", {{"name", p.default_branch}}},
          {"parent", nullptr}};
}

}  // namespace

nlohmann::json GraphQL(ApiContext& ctx, const Principal& who, const nlohmann::json& body) {
  auto error = [](const std::string& message, const char* type = nullptr) {
    nlohmann::json e = {{"message", message}};
    if (type != nullptr) e["type"] = type;
    return nlohmann::json{{"errors", nlohmann::json::array({e})}};
  };
  if (!body.is_object() || !body.contains("query") || !body["query"].is_string()) {
    return error("the body must be a JSON object with a \"query\" string");
  }
  const std::string query = body["query"].get<std::string>();
  nlohmann::json variables = body.value("variables", nlohmann::json::object());
  Parser parser(query, variables);
  Selection selection;
  bool mutation = false;
  if (!parser.Parse(&selection, &mutation))
    return error("cannot parse the query: " + parser.error());
  if (mutation) return error("Gantry's GraphQL endpoint answers queries only, not mutations");
  nlohmann::json errors = nlohmann::json::array();
  Resolver resolve = [&](const Field& f,
                         const nlohmann::json& parent) -> std::optional<nlohmann::json> {
    if (parent.value("__typename", "") == "Query") {
      if (f.name == "viewer") {
        return nlohmann::json{{"__typename", "User"},
                              {"login", who.user.username},
                              {"id", "U_" + std::to_string(who.user.id)},
                              {"databaseId", who.user.id},
                              {"name", who.user.username}};
      }
      if (f.name == "repository") {
        std::string owner = f.args.value("owner", ""), name = f.args.value("name", "");
        ProjectAccess access;
        if (RequireProject(ctx, who, owner, name, "viewer", &access)) {
          errors.push_back({{"type", "NOT_FOUND"},
                            {"path", {f.alias}},
                            {"message", "Could not resolve to a Repository with the name '" +
                                            owner + "/" + name + "'."}});
          return nlohmann::json(nullptr);
        }
        return RepositoryObject(ctx, access);
      }
      return nlohmann::json(nullptr);
    }
    if (parent.value("__typename", "") == "Repository" && f.name == "pullRequests") {
      auto p = ctx.store->GetProject(std::stoll(parent.value("id", "R_0").substr(2)));
      if (!p.ok()) return nlohmann::json(nullptr);
      return PullRequests(ctx, p.value(), f.args.value("headRefName", ""));
    }
    return std::nullopt;
  };
  nlohmann::json data = Project(selection, {{"__typename", "Query"}}, resolve);
  nlohmann::json out = {{"data", data}};
  if (!errors.empty()) out["errors"] = errors;
  return out;
}

void AddGraphQLRoute(Router& router, ApiContext& ctx) {
  router.Add("POST", "/api/graphql", GhAuthed(ctx, [&ctx](Request& r, const Principal& who) {
               nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
               return Response::Json(200, Dump(GraphQL(ctx, who, body)));
             }));
}

}  // namespace gantry::server::github
