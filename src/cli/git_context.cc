#include "cli/git_context.h"

#include <chrono>
#include <cstdlib>

#include "core/subprocess.h"

namespace gantry::cli {
namespace {

namespace fs = std::filesystem;
using expr::Object;
using expr::Value;

const char kZeroSha[] = "0000000000000000000000000000000000000000";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string Get(const Value& v, std::initializer_list<const char*> path) {
  const Value* cur = &v;
  for (const char* key : path) {
    cur = cur->Find(key);
    if (cur == nullptr) return "";
  }
  if (cur->is_string()) return cur->string_value();
  if (cur->is_number()) return cur->ToString();
  return "";
}

std::string StripPrefix(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s;
}

Value RepositoryObject(const GitInfo& git, const RunIdentity& id) {
  std::string name = id.repository.substr(id.repository.find('/') + 1);
  Object owner;
  owner.Set("login", id.owner);
  owner.Set("name", id.owner);
  Object repo;
  repo.Set("name", name);
  repo.Set("full_name", id.repository);
  repo.Set("owner", Value(std::move(owner)));
  repo.Set("private", true);
  repo.Set("default_branch", git.default_branch);
  repo.Set("master_branch", git.default_branch);
  repo.Set("html_url", "https://github.com/" + id.repository);
  repo.Set("clone_url", git.remote_url.empty() ? git.toplevel : git.remote_url);
  return Value(std::move(repo));
}

Value Person(const std::string& name, const std::string& email, const std::string& login) {
  Object p;
  p.Set("name", name);
  p.Set("email", email);
  p.Set("username", login);
  return Value(std::move(p));
}

Value Sender(const RunIdentity& id) {
  Object s;
  s.Set("login", id.actor);
  s.Set("type", "User");
  return Value(std::move(s));
}

Value HeadCommit(const GitInfo& git, const RunIdentity& id) {
  Object c;
  c.Set("id", git.sha);
  c.Set("tree_id", git.tree_sha);
  c.Set("distinct", true);
  c.Set("message", git.message);
  c.Set("timestamp", git.timestamp);
  c.Set("url", "https://github.com/" + id.repository + "/commit/" + git.sha);
  c.Set("author", Person(git.author_name, git.author_email, id.actor));
  c.Set("committer", Person(git.author_name, git.author_email, id.actor));
  return Value(std::move(c));
}

Value PullRequestSide(const std::string& ref, const std::string& sha, const RunIdentity& id,
                      const Value& repo) {
  Object side;
  side.Set("ref", ref);
  side.Set("sha", sha);
  side.Set("label", id.owner + ":" + ref);
  side.Set("repo", repo);
  return Value(std::move(side));
}

}  // namespace

core::Result<std::string> RunGit(const fs::path& dir, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"git", "-C", dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto output = core::RunProgram(argv, "");
  if (!output.ok()) {
    if (output.status().code() == core::StatusCode::kNotFound) {
      return core::Status::Unavailable("git is not installed");
    }
    return core::Status::Unavailable("git " + args.front() + " failed");
  }
  return Trim(std::move(output).value());
}

GitInfo ReadGitInfo(const fs::path& dir) {
  GitInfo g;
  auto git = [&](const std::vector<std::string>& args) {
    auto r = RunGit(dir, args);
    return r.ok() ? *r : std::string();
  };
  g.toplevel = git({"rev-parse", "--show-toplevel"});
  if (g.toplevel.empty()) return g;
  g.sha = git({"rev-parse", "--verify", "-q", "HEAD"});
  g.parent_sha = git({"rev-parse", "--verify", "-q", "HEAD~1"});
  g.tree_sha = git({"rev-parse", "--verify", "-q", "HEAD^{tree}"});
  g.branch = git({"symbolic-ref", "-q", "--short", "HEAD"});
  g.tag = git({"tag", "--points-at", "HEAD"});
  if (auto nl = g.tag.find('\n'); nl != std::string::npos) g.tag.resize(nl);
  g.remote_url = git({"config", "--get", "remote.origin.url"});
  g.user_name = git({"config", "--get", "user.name"});
  g.user_email = git({"config", "--get", "user.email"});
  if (!g.sha.empty()) {
    std::string log = git({"log", "-1", "--format=%an%x00%ae%x00%aI%x00%B"});
    size_t a = log.find('\0');
    size_t b = a == std::string::npos ? a : log.find('\0', a + 1);
    size_t c = b == std::string::npos ? b : log.find('\0', b + 1);
    if (c != std::string::npos) {
      g.author_name = log.substr(0, a);
      g.author_email = log.substr(a + 1, b - a - 1);
      g.timestamp = log.substr(b + 1, c - b - 1);
      g.message = Trim(log.substr(c + 1));
    }
  }
  g.default_branch =
      StripPrefix(git({"symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD"}), "origin/");
  for (const char* candidate : {"main", "master"}) {
    if (!g.default_branch.empty()) break;
    if (!git({"rev-parse", "--verify", "-q", std::string("refs/heads/") + candidate}).empty()) {
      g.default_branch = candidate;
    }
  }
  if (g.default_branch.empty()) g.default_branch = g.branch.empty() ? "main" : g.branch;
  return g;
}

std::optional<std::string> RepositoryFromRemote(const std::string& url) {
  std::string path = url;
  if (auto scheme = path.find("://"); scheme != std::string::npos) {
    path = path.substr(scheme + 3);
    auto slash = path.find('/');
    path = slash == std::string::npos ? "" : path.substr(slash + 1);
  } else if (auto colon = path.find(':');
             colon != std::string::npos && path.find('/') > colon && path[0] != '/') {
    path = path.substr(colon + 1);  // scp-like git@host:owner/name.git
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".git") == 0) {
    path.resize(path.size() - 4);
  }
  auto last = path.rfind('/');
  if (last == std::string::npos || last == 0) return std::nullopt;
  auto before = path.rfind('/', last - 1);
  std::string owner = path.substr(before == std::string::npos ? 0 : before + 1,
                                  last - (before == std::string::npos ? 0 : before + 1));
  std::string name = path.substr(last + 1);
  if (owner.empty() || name.empty()) return std::nullopt;
  return owner + "/" + name;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

RunIdentity ResolveIdentity(const GitInfo& git, const std::string& event_name, const Value& event,
                            const fs::path& project_dir, const EnvLookup& env) {
  RunIdentity id;
  std::string dir_name = fs::absolute(project_dir).lexically_normal().filename().string();
  if (dir_name.empty()) dir_name = fs::absolute(project_dir).parent_path().filename().string();
  id.repository = RepositoryFromRemote(git.remote_url).value_or("local/" + dir_name);
  if (auto r = env("GITHUB_REPOSITORY")) id.repository = *r;
  if (id.repository.find('/') == std::string::npos) id.repository = "local/" + id.repository;
  id.owner = id.repository.substr(0, id.repository.find('/'));
  if (auto o = env("GITHUB_REPOSITORY_OWNER")) id.owner = *o;
  // GitHub's actor is the login of the event's sender, never a display name such as git's
  // user.name; a synthesized event's sender is the user running gantry.
  id.actor = Get(event, {"sender", "login"});
  if (id.actor.empty()) id.actor = env("USER").value_or("gantry");
  if (auto a = env("GITHUB_ACTOR")) id.actor = *a;
  id.sha = git.sha;

  if (!git.branch.empty()) {
    id.ref = "refs/heads/" + git.branch;
    id.ref_type = "branch";
  } else if (!git.tag.empty()) {
    id.ref = "refs/tags/" + git.tag;
    id.ref_type = "tag";
  }
  std::string payload_ref = Get(event, {"ref"});
  if (event_name == "push" && payload_ref.rfind("refs/", 0) == 0) {
    id.ref = payload_ref;
    id.ref_type = payload_ref.rfind("refs/tags/", 0) == 0 ? "tag" : "branch";
    if (std::string after = Get(event, {"after"}); !after.empty() && after != kZeroSha) {
      id.sha = after;
    }
  }
  if (event_name == "pull_request" || event_name == "pull_request_target" ||
      event_name == "pull_request_review" || event_name == "pull_request_review_comment") {
    id.head_ref = Get(event, {"pull_request", "head", "ref"});
    id.base_ref = Get(event, {"pull_request", "base", "ref"});
    if (id.head_ref.empty()) id.head_ref = git.branch;
    if (id.base_ref.empty()) id.base_ref = git.default_branch;
    std::string number = Get(event, {"number"});
    if (number.empty()) number = Get(event, {"pull_request", "number"});
    if (event_name != "pull_request_target") {
      id.ref = "refs/pull/" + (number.empty() ? std::string("1") : number) + "/merge";
      id.ref_type = "branch";
    } else {
      id.ref = "refs/heads/" + id.base_ref;
    }
  }
  if (id.ref.rfind("refs/heads/", 0) == 0) {
    id.ref_name = id.ref.substr(11);
  } else if (id.ref.rfind("refs/tags/", 0) == 0) {
    id.ref_name = id.ref.substr(10);
  } else if (id.ref.rfind("refs/pull/", 0) == 0) {
    id.ref_name = id.ref.substr(10);
  }
  return id;
}

Value SynthesizeEvent(const std::string& event_name, const GitInfo& git, const RunIdentity& id) {
  Object e;
  Value repo = RepositoryObject(git, id);
  if (event_name == "push") {
    e.Set("ref", id.ref);
    e.Set("before", git.parent_sha.empty() ? std::string(kZeroSha) : git.parent_sha);
    e.Set("after", git.sha);
    e.Set("created", false);
    e.Set("deleted", false);
    e.Set("forced", false);
    e.Set("base_ref", nullptr);
    Value head = HeadCommit(git, id);
    e.Set("commits", Value(expr::Array{head}));
    e.Set("head_commit", head);
    Object pusher;
    pusher.Set("name", id.actor);
    pusher.Set("email", git.user_email);
    e.Set("pusher", Value(std::move(pusher)));
  } else if (event_name.rfind("pull_request", 0) == 0) {
    e.Set("action", "opened");
    e.Set("number", 1);
    Object pr;
    pr.Set("number", 1);
    pr.Set("state", "open");
    pr.Set("title", git.message.substr(0, git.message.find('\n')));
    pr.Set("draft", false);
    pr.Set("merged", false);
    Object user;
    user.Set("login", id.actor);
    pr.Set("user", Value(std::move(user)));
    pr.Set("head", PullRequestSide(id.head_ref, git.sha, id, repo));
    pr.Set("base", PullRequestSide(id.base_ref, "", id, repo));
    pr.Set("html_url", "https://github.com/" + id.repository + "/pull/1");
    e.Set("pull_request", Value(std::move(pr)));
  } else if (event_name == "workflow_dispatch") {
    e.Set("ref", id.ref);
    e.Set("inputs", Value(Object()));
  }
  e.Set("repository", repo);
  e.Set("sender", Sender(id));
  return Value(std::move(e));
}

Value BuildGithubContext(const std::string& event_name, const Value& event, const RunIdentity& id,
                         const std::string& workflow_name, const std::string& workflow_file) {
  static const long long run_id = std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
  Object g;
  g.Set("event_name", event_name);
  g.Set("event", event);
  g.Set("sha", id.sha);
  g.Set("ref", id.ref);
  g.Set("ref_name", id.ref_name);
  g.Set("ref_type", id.ref_type);
  g.Set("ref_protected", false);
  g.Set("head_ref", id.head_ref);
  g.Set("base_ref", id.base_ref);
  g.Set("repository", id.repository);
  g.Set("repository_owner", id.owner);
  g.Set("repositoryUrl", "git://github.com/" + id.repository + ".git");
  g.Set("actor", id.actor);
  g.Set("triggering_actor", id.actor);
  // The numeric ids exist only in a real payload (--eventpath); GitHub sets them from it.
  for (auto [key, path] :
       {std::pair{"actor_id", std::vector<const char*>{"sender", "id"}},
        std::pair{"repository_id", std::vector<const char*>{"repository", "id"}},
        std::pair{"repository_owner_id", std::vector<const char*>{"repository", "owner", "id"}}}) {
    const Value* cur = &event;
    for (const char* k : path) cur = cur == nullptr ? nullptr : cur->Find(k);
    if (cur != nullptr && (cur->is_number() || cur->is_string())) g.Set(key, cur->ToString());
  }
  g.Set("workflow", workflow_name);
  g.Set("workflow_ref", id.repository + "/" + workflow_file + "@" + id.ref);
  g.Set("workflow_sha", id.sha);
  g.Set("run_id", std::to_string(run_id));
  g.Set("run_number", "1");
  g.Set("run_attempt", "1");
  g.Set("retention_days", "90");
  g.Set("secret_source", "None");
  g.Set("server_url", "https://github.com");
  g.Set("api_url", "https://api.github.com");
  g.Set("graphql_url", "https://api.github.com/graphql");
  return Value(std::move(g));
}

std::optional<std::vector<std::string>> ChangedFiles(const GitInfo& git,
                                                     const std::string& event_name,
                                                     const Value& event,
                                                     const fs::path& project_dir) {
  if (git.toplevel.empty() || git.sha.empty()) return std::nullopt;
  std::vector<std::string> args;
  std::string before = Get(event, {"before"});
  std::string after = Get(event, {"after"});
  std::string base = Get(event, {"pull_request", "base", "sha"});
  std::string head = Get(event, {"pull_request", "head", "sha"});
  if (event_name == "push" && !before.empty() && !after.empty() && before != kZeroSha) {
    args = {"diff", "--name-only", before, after};
  } else if (event_name.rfind("pull_request", 0) == 0 && !base.empty() && !head.empty()) {
    args = {"diff", "--name-only", base + "..." + head};
  } else {
    args = {"diff-tree", "--no-commit-id", "--name-only", "-r", "--root", "HEAD"};
  }
  auto out = RunGit(git.toplevel, args);
  if (!out.ok() && args.size() == 3 && args[2].find("...") != std::string::npos) {
    // No merge base (e.g. a base given as a tree): compare the two snapshots directly.
    out = RunGit(git.toplevel, {"diff", "--name-only", base, head});
  }
  if (!out.ok()) return std::nullopt;
  // Paths are relative to the git root; the workflows' repository may be a folder inside it.
  std::error_code ec;
  fs::path rel = fs::relative(fs::weakly_canonical(fs::absolute(project_dir), ec),
                              fs::weakly_canonical(fs::path(git.toplevel), ec), ec);
  std::string prefix = ec || rel == "." ? "" : rel.generic_string() + "/";
  std::vector<std::string> files;
  size_t pos = 0;
  const std::string& text = *out;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (line.empty()) continue;
    if (!prefix.empty()) {
      if (line.rfind(prefix, 0) != 0) continue;
      line = line.substr(prefix.size());
    }
    files.push_back(line);
  }
  return files;
}

}  // namespace gantry::cli
