#include "actions/cache.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "actions/cache_archive.h"
#include "actions/cache_store.h"
#include "core/glob.h"
#include "core/sha256.h"
#include "core/strings.h"

namespace gantry::actions {
namespace {

using engine::BuiltinCall;
using engine::BuiltinResult;
using engine::FindEnv;
using engine::SetEnv;

// actions/cache's state names (src/constants.ts).
constexpr const char* kStatePrimaryKey = "CACHE_KEY";
constexpr const char* kStateMatchedKey = "CACHE_RESULT";
constexpr size_t kMaxKeyLength = 512;
constexpr size_t kMaxKeys = 10;

// core.getInput(): trimmed, "" when absent.
std::string Input(const BuiltinCall& call, std::string_view name) {
  const std::string* v = FindEnv(call.inputs, name);
  return v == nullptr ? "" : std::string(core::TrimSpace(*v));
}

// utils.getInputAsArray(): one item per line, trimmed, blank lines dropped.
std::vector<std::string> InputLines(const BuiltinCall& call, std::string_view name) {
  std::vector<std::string> out;
  std::istringstream in(Input(call, name));
  for (std::string line; std::getline(in, line);) {
    std::string t = std::string(core::TrimSpace(line));
    if (!t.empty()) out.push_back(std::move(t));
  }
  return out;
}

bool InputBool(const BuiltinCall& call, std::string_view name) {
  std::string v = Input(call, name);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
  return v == "TRUE";
}

std::string State(const BuiltinCall& call, std::string_view name) {
  const std::string* v = FindEnv(call.state, name);
  return v == nullptr ? "" : *v;
}

// utils.isExactKeyMatch(): localeCompare with sensitivity "accent" ignores case.
bool ExactKeyMatch(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// @actions/cache checkKey().
core::Status CheckKey(const std::string& key) {
  if (key.size() > kMaxKeyLength) {
    return core::Status::InvalidArgument("Key Validation Error: " + key +
                                         " cannot be larger than 512 characters.");
  }
  if (key.find(',') != std::string::npos) {
    return core::Status::InvalidArgument("Key Validation Error: " + key +
                                         " cannot contain commas.");
  }
  return core::Status::Ok();
}

// @actions/cache getCacheVersion(): the paths as written, the compression, a salt; so the
// same key saved with other paths (or by another archive format) is another entry.
std::string CacheVersion(const std::vector<std::string>& paths) {
  core::Sha256 h;
  for (const auto& p : paths) {
    h.Update(p);
    h.Update(std::string_view("|", 1));
  }
  h.Update("gantry-pax-tar|1.0");
  return core::Sha256::Hex(h.Finish());
}

std::string Home(const BuiltinCall& call) {
  if (const std::string* h = FindEnv(call.env, "HOME"); h != nullptr && !h->empty()) return *h;
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0') return h;
  if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
    return pw->pw_dir;
  }
  return "/";
}

std::string Workspace(const BuiltinCall& call) {
  if (!call.workspace.empty()) return call.workspace;
  char buf[4096];
  return getcwd(buf, sizeof buf) != nullptr ? std::string(buf) : std::string("/");
}

std::string SizeText(uint64_t bytes) {
  return "~" + std::to_string((bytes + (1 << 19)) / (1 << 20)) + " MB (" + std::to_string(bytes) +
         " B)";
}

class CacheRun {
 public:
  CacheRun(const BuiltinCall& call, const CacheOptions& options)
      : call_(call),
        store_(options.dir.empty() ? DefaultCacheDir() : options.dir, options.max_bytes) {}

  BuiltinResult Restore(bool restore_only) {
    std::string key = Input(call_, "key");
    if (key.empty()) return Fail("Input required and not supplied: key");
    SetState(restore_only, kStatePrimaryKey, key);
    std::vector<std::string> restore_keys = InputLines(call_, "restore-keys");
    std::vector<std::string> paths = InputLines(call_, "path");
    if (paths.empty()) return Fail("Input required and not supplied: path");
    bool fail_on_miss = InputBool(call_, "fail-on-cache-miss");
    bool lookup_only = InputBool(call_, "lookup-only");

    std::vector<std::string> keys{key};
    keys.insert(keys.end(), restore_keys.begin(), restore_keys.end());
    if (keys.size() > kMaxKeys)
      return Fail("Key Validation Error: Keys are limited to a maximum of 10.");
    for (const auto& k : keys) {
      if (auto st = CheckKey(k); !st.ok()) return Fail(st.message());
    }
    auto resolved = ResolveCachePaths(paths, Workspace(call_), Home(call_));
    if (!resolved.ok()) return Fail(resolved.status().message());

    std::string matched = Find(keys, CacheVersion(paths), lookup_only, *resolved);
    if (matched.empty()) {
      // actions/cache leaves cache-hit unset on a miss (actions/cache#1466).
      if (fail_on_miss) {
        return Fail(
            "Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: " +
            key);
      }
      std::string all;
      for (const auto& k : keys) all += (all.empty() ? "" : ", ") + k;
      Log("Cache not found for input keys: " + all);
      return std::move(result_);
    }
    SetState(restore_only, kStateMatchedKey, matched);
    SetEnv(result_.outputs, "cache-hit", ExactKeyMatch(key, matched) ? "true" : "false");
    Log(lookup_only ? "Cache found and can be restored from key: " + matched
                    : "Cache restored from key: " + matched);
    return std::move(result_);
  }

  // Saving never fails the step: like actions/cache, problems are warnings.
  BuiltinResult Save() {
    std::string key = State(call_, kStatePrimaryKey);
    if (key.empty()) key = Input(call_, "key");
    if (key.empty()) return Warn("Key is not specified.");
    if (ExactKeyMatch(key, State(call_, kStateMatchedKey))) {
      Log("Cache hit occurred on the primary key " + key + ", not saving cache.");
      return std::move(result_);
    }
    std::vector<std::string> paths = InputLines(call_, "path");
    if (paths.empty()) return Warn("Input required and not supplied: path");
    if (auto st = CheckKey(key); !st.ok()) return Warn(st.message());
    // actions/cache resolves what it saves with @actions/glob, whose patterns take no `..`
    // (restoring such a path works; saving it warns and stores nothing).
    std::vector<core::GlobPattern> patterns;
    std::string lines;
    for (const auto& p : paths) lines += p + "\n";
    if (auto st = core::ParseGlobPatterns(lines, Workspace(call_), {}, &patterns); !st.ok()) {
      return Warn(st.message());
    }
    auto resolved = ResolveCachePaths(paths, Workspace(call_), Home(call_));
    if (!resolved.ok()) return Warn(resolved.status().message());

    auto reservation = store_.Reserve(call_.github_repository, CacheVersion(paths), key);
    if (!reservation.ok()) {
      if (reservation.status().code() == core::StatusCode::kAlreadyExists) {
        Log("Failed to save: " + reservation.status().message());
        return std::move(result_);
      }
      return Warn("Failed to save: " + reservation.status().message());
    }
    auto stats = WriteCacheArchive(*resolved, reservation->fd.get(),
                                   [this](std::string_view line) { Warning(std::string(line)); });
    if (!stats.ok() || stats->members == 0) {
      store_.Abandon(std::move(*reservation));
      if (!stats.ok()) return Warn("Failed to save: " + stats.status().message());
      return Warn(
          "Path Validation Error: Path(s) specified in the action for caching do(es) not exist, "
          "hence no cache is being saved.");
    }
    Log("Cache Size: " + SizeText(stats->bytes));
    if (auto st = store_.Commit(std::move(*reservation)); !st.ok()) {
      return Warn(st.code() == core::StatusCode::kInvalidArgument
                      ? st.message()
                      : "Failed to save: " + st.message());
    }
    Log("Cache saved with key: " + key);
    return std::move(result_);
  }

 private:
  // Returns the matched key ("" on a miss); restores it unless `lookup_only`. Store and
  // archive problems are warnings and count as a miss, as in @actions/cache.
  std::string Find(const std::vector<std::string>& keys, const std::string& version,
                   bool lookup_only, const CachePaths& paths) {
    auto match = store_.Lookup(call_.github_repository, version, keys);
    if (!match.ok()) {
      Warning("Failed to restore: " + match.status().message());
      return "";
    }
    if (!match->has_value()) return "";
    const CacheMatch& m = **match;
    if (lookup_only) return m.entry.key;
    Log("Cache Size: " + SizeText(m.entry.size));
    auto restored = ExtractCacheArchive(m.fd.get(), paths.roots);
    if (!restored.ok()) {
      Warning("Failed to restore: " + restored.status().message());
      return "";
    }
    Log("Cache restored successfully");
    return m.entry.key;
  }

  // actions/cache/restore has no post stage: its state becomes outputs (NullStateProvider).
  void SetState(bool restore_only, const char* name, const std::string& value) {
    if (!restore_only) {
      SetEnv(result_.state, name, value);
    } else {
      SetEnv(result_.outputs,
             std::string_view(name) == kStatePrimaryKey ? "cache-primary-key" : "cache-matched-key",
             value);
    }
  }

  void Log(const std::string& line) const {
    if (call_.log) call_.log(line);
  }
  void Warning(const std::string& message) const { Log("Warning: " + message); }
  BuiltinResult Warn(const std::string& message) {
    Warning(message);
    return std::move(result_);
  }
  BuiltinResult Fail(const std::string& message) {
    result_.error = message;
    return std::move(result_);
  }

  const BuiltinCall& call_;
  CacheStore store_;
  BuiltinResult result_;
};

}  // namespace

std::string DefaultCacheDir() {
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x != nullptr && *x == '/') {
    return std::string(x) + "/gantry/cache";
  }
  const char* home = std::getenv("HOME");
  std::string h = home != nullptr && *home != '\0' ? home : "";
  if (h.empty()) {
    if (const passwd* pw = getpwuid(getuid()); pw != nullptr && pw->pw_dir != nullptr) {
      h = pw->pw_dir;
    }
  }
  return (h.empty() ? std::string("/tmp") : h) + "/.cache/gantry/cache";
}

engine::BuiltinResult RunCacheAction(const engine::BuiltinCall& call, const CacheOptions& options) {
  std::string path = call.action.path;
  std::transform(path.begin(), path.end(), path.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  CacheRun run(call, options);
  if (path == "restore") return run.Restore(/*restore_only=*/true);
  if (path == "save") return run.Save();
  return call.post ? run.Save() : run.Restore(/*restore_only=*/false);
}

}  // namespace gantry::actions
