#include "act_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#ifndef GANTRY_BINARY_DEFAULT
#define GANTRY_BINARY_DEFAULT ""
#endif
#ifndef GANTRY_SOURCE_DIR_DEFAULT
#define GANTRY_SOURCE_DIR_DEFAULT ""
#endif

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace gantry::conformance::act {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> cells;
  std::istringstream in(line);
  std::string cell;
  while (std::getline(in, cell, '\t')) cells.push_back(cell);
  return cells;
}

std::vector<std::string> SplitOn(const std::string& cell, char sep) {
  std::vector<std::string> parts;
  std::istringstream in(cell);
  std::string p;
  while (std::getline(in, p, sep)) {
    if (!p.empty() && p != "-") parts.push_back(p);
  }
  return parts;
}

// An omitted file a row cannot run without: a bundled action runs its dist/ file, so the
// package sources beside it (package*.json, node_modules/, the unbundled index.js) are not needed.
bool NeededFixture(const std::string& path, const std::vector<std::string>& listed) {
  fs::path p(path);
  std::string file = p.filename().string();
  if (file == "package.json" || file == "package-lock.json") return false;
  if (path.find("node_modules") != std::string::npos) return false;
  fs::path bundled = p.parent_path() / "dist" / p.filename();
  for (const auto& other : listed) {
    if (other == bundled.string()) return false;
  }
  return true;
}

// act's config/config.yml `local-repositories:` (uses → folder under act's testdata/) as
// --local-action OWNER/REPO@REF=DIR arguments; act runs these actions from the folder instead
// of fetching them.
std::vector<std::string> LocalActionArgs(const fs::path& config, const fs::path& root) {
  std::vector<std::string> args;
  std::ifstream in(config);
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != ' ') {
      inside = line.rfind("local-repositories:", 0) == 0;
      continue;
    }
    size_t colon = line.find(": ");
    if (!inside || colon == std::string::npos) continue;
    std::string uses = line.substr(line.find_first_not_of(' '));
    uses = uses.substr(0, uses.find(": "));
    std::string dir = line.substr(colon + 2);
    for (const char* prefix : {"https://github.com/", "http://github.com/"}) {
      if (uses.rfind(prefix, 0) == 0) uses = uses.substr(std::string(prefix).size());
    }
    if (dir.rfind("testdata/", 0) == 0) dir = dir.substr(std::string("testdata/").size());
    args.push_back("--local-action=" + uses + "=" + (root / dir).string());
  }
  return args;
}

// The extra command-line arguments a case's `config` column asks for.
std::vector<std::string> ConfigArgs(const Case& c, const fs::path& root) {
  std::vector<std::string> args;
  fs::path case_dir = root / c.workflow_path;
  if (fs::exists(case_dir / "event.json"))
    args.push_back("--eventpath=" + (case_dir / "event.json").string());
  if (c.name == "secrets") {
    args.push_back("--secret-file=" + (case_dir / ".secrets").string());
    args.push_back("--env-file=" + (case_dir / ".env").string());
  } else if (c.name == "uses-workflow") {
    args.emplace_back("--secret=secret=keep_it_private");
  } else if (c.name == "input-from-cli") {
    args.emplace_back("--input=SOME_INPUT=input");
  } else if (c.name == "matrix-with-user-inclusions") {
    for (const char* m : {"node:8", "node:8.x", "os:ubuntu-18.04"})
      args.push_back(std::string("--matrix=") + m);
  }
  if (c.needs.count("action-override") != 0) {
    for (auto& a : LocalActionArgs(case_dir / "config" / "config.yml", root))
      args.push_back(std::move(a));
  }
  if (c.needs.count("act-env") != 0) {
    // act puts ACT=true in every step's environment and the env context.
    std::ofstream(root / ".act-env") << "ACT=true\n";
    args.push_back("--env-file=" + (root / ".act-env").string());
  }
  return args;
}

void MakeWritable(const fs::path& dir) {
  std::error_code ec;
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add, ec);
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_symlink(ec))
      fs::permissions(it->path(),
                      fs::perms::owner_write | fs::perms::owner_read |
                          (it->is_directory(ec) ? fs::perms::owner_exec : fs::perms::none),
                      fs::perm_options::add, ec);
  }
}

struct Outcome {
  int exit_code = -1;  // -1: killed by a signal or not started
  std::string output;
  std::string error;
};

// Runs argv in `cwd` with `extra_env`, output to `log`, killing its process group after
// `timeout`.
Outcome Spawn(const std::vector<std::string>& argv, const fs::path& cwd,
              const std::vector<std::string>& extra_env, const fs::path& log,
              std::chrono::seconds timeout) {
  Outcome o;
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry = *e;
    bool overridden = false;
    for (const auto& x : extra_env)
      overridden = overridden || entry.rfind(x.substr(0, x.find('=') + 1), 0) == 0;
    if (!overridden) env_storage.push_back(entry);
  }
  env_storage.insert(env_storage.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> envp;
  envp.reserve(env_storage.size() + 1);
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  cargv.reserve(args.size() + 1);
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0].c_str(), &fa, &attr, cargv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    o.error = "cannot start " + args[0];
    return o;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      o.error = "timed out after " + std::to_string(timeout.count()) + "s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  std::ifstream in(log);
  std::stringstream buf;
  buf << in.rdbuf();
  o.output = buf.str();
  return o;
}

std::string Tail(const std::string& text, int lines) {
  size_t pos = text.size();
  for (int i = 0; i <= lines && pos != std::string::npos && pos > 0; ++i)
    pos = text.rfind('\n', pos - 1);
  std::string tail = text.substr(pos == std::string::npos ? 0 : pos + 1);
  for (char& c : tail) c = c == '\n' ? '|' : c == '\t' ? ' ' : c;
  return tail;
}

}  // namespace

std::vector<Case> ReadRunRows(const fs::path& act_dir) {
  std::vector<Case> rows;
  std::ifstream manifest(act_dir / "MANIFEST.tsv");
  std::string line;
  std::getline(manifest, line);  // header
  while (std::getline(manifest, line)) {
    auto cells = SplitTabs(line);
    if (cells.size() < 14 || cells[7] != "run") continue;
    Case c;
    c.name = cells[0];
    c.workflow_path = cells[1];
    c.event = cells[2];
    c.expected = cells[3];
    auto needs = SplitOn(cells[4], ',');
    c.needs = {needs.begin(), needs.end()};
    c.no_docker_no_network = cells[5] == "yes";
    c.platforms = cells[8];
    c.workdir = cells[9];
    c.config = cells[10];
    c.omitted_fixtures = SplitOn(cells[13], ';');
    c.notes = cells.size() > 14 ? cells[14] : "-";
    rows.push_back(std::move(c));
  }
  return rows;
}

fs::path FixturesDir() {
  const char* source = std::getenv("GANTRY_SOURCE_DIR");
  fs::path root = source != nullptr ? source : GANTRY_SOURCE_DIR_DEFAULT;
  return root / "tests" / "conformance" / "act-fixtures";
}

std::string FindOnPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  for (const auto& dir : SplitOn(path, ':')) {
    fs::path candidate = fs::path(dir) / program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

bool OnPath(const std::string& program) { return !FindOnPath(program).empty(); }

int RunQuiet(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  Outcome o = Spawn(argv, fs::current_path(), {}, "/dev/null", timeout);
  return o.error.empty() ? o.exit_code : -1;
}

std::string MissingFixture(const Case& c, const fs::path& fixtures) {
  for (const auto& f : c.omitted_fixtures) {
    if (NeededFixture(f, c.omitted_fixtures) && !fs::exists(fixtures / f))
      return "needs act's fixture " + f + ", which the corpus omits and act-fixtures/ lacks";
  }
  return "";
}

std::string BinaryPath() {
  if (const char* b = std::getenv("GANTRY_BINARY")) return b;
  return GANTRY_BINARY_DEFAULT;
}

std::string RunCase(const Case& c, const fs::path& act_dir, const fs::path& fixtures,
                    const std::string& binary, const RunOptions& options) {
  std::string pattern = (fs::temp_directory_path() / "gantry-act-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) return "cannot create a scratch directory";
  fs::path scratch = pattern;
  fs::path root = scratch / "act";
  std::error_code ec;
  fs::copy(act_dir, root, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
  if (ec) return "cannot copy act/: " + ec.message();
  if (fs::is_directory(fixtures)) {
    fs::copy(fixtures, root, fs::copy_options::recursive | fs::copy_options::overwrite_existing,
             ec);
    if (ec) return "cannot lay act-fixtures/ over act/: " + ec.message();
  }
  MakeWritable(root);
  if (options.prepare) {
    if (std::string why = options.prepare(c, root); !why.empty()) {
      fs::remove_all(scratch, ec);
      return why;
    }
  }
  fs::path workspace = c.workdir == "." ? root : root / c.workdir;
  std::vector<std::string> argv = {binary,
                                   "exec",
                                   c.event,
                                   "-W",
                                   (root / c.workflow_path).string(),
                                   "--workspace",
                                   workspace.string(),
                                   "-p",
                                   "2"};
  for (auto& a : ConfigArgs(c, root)) argv.push_back(std::move(a));
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  std::vector<std::string> env = {"NO_COLOR=1"};
  if (c.needs.count("act-env") != 0) {
    env.insert(env.end(), {"GITHUB_ACTOR=nektos/act", "GITHUB_REPOSITORY=nektos/act",
                           "GITHUB_REPOSITORY_OWNER=nektos"});
  }
  Outcome o = Spawn(argv, workspace, env, scratch / "output.log", options.timeout);
  MakeWritable(scratch);
  fs::remove_all(scratch, ec);
  if (!o.error.empty()) return o.error + "; output: " + Tail(o.output, 6);
  bool want_success = c.expected == "success";
  if (want_success && o.exit_code != 0) {
    return "expected success, exit " + std::to_string(o.exit_code) + ": " + Tail(o.output, 6);
  }
  if (!want_success && (o.exit_code == 0 || o.exit_code == -1 || o.exit_code >= 128)) {
    return "expected an error (" + c.expected + "), exit " + std::to_string(o.exit_code);
  }
  if (c.needs.count("log-check") != 0) {
    for (const char* secret : {"secret value", "YWJjCg==", "composite secret"}) {
      if (o.output.find(secret) != std::string::npos)
        return std::string("log shows '") + secret + "'";
    }
  }
  if (options.check) {
    if (std::string why = options.check(c, o.output); !why.empty())
      return why + ": " + Tail(o.output, 6);
  }
  return "";
}

std::vector<std::string> RunAll(size_t count, int workers,
                                const std::function<std::string(size_t)>& run) {
  std::vector<std::string> outcomes(count);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < count; i = next++) outcomes[i] = run(i);
  };
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(workers));
  for (int w = 0; w < workers; ++w) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return outcomes;
}

}  // namespace gantry::conformance::act
