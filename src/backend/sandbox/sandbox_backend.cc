#include "backend/sandbox/sandbox_backend.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <utility>

#include "backend/host/host_backend.h"
#include "backend/host/process.h"
#include "backend/sandbox/hand_over.h"
#include "backend/sandbox/limit_cgroups.h"

namespace gantry::backend {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kInstallHint =
    "sandboxed steps need bubblewrap (bwrap): install the bubblewrap package";

// Joins the limit cgroups named before "--", then becomes bwrap: the cgroups must be joined
// before bwrap forks the step, and the host backend's runner gives no hook in between.
constexpr const char* kJoinScript =
    R"(while [ "$1" != -- ]; do echo $$ >"$1" || exit 125; shift; done; shift; exec "$@")";

// Variables that glibc and the dynamic loader act on. bwrap runs outside the sandbox as the
// user of gantry, so a step (which controls its env through GITHUB_ENV) must not hand them to
// bwrap itself: they reach the step through --setenv instead.
bool UnsafeOutside(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES", "HOSTALIASES",      "LOCALDOMAIN", "LOCPATH",
      "NIS_PATH",   "NLSPATH",     "RES_OPTIONS",    "RESOLV_HOST_CONF", "TMPDIR",      "TZDIR"};
  return name.rfind("LD_", 0) == 0 || name.rfind("MALLOC_", 0) == 0 ||
         std::find(kNames.begin(), kNames.end(), name) != kNames.end();
}

// As root, bwrap and the privilege-dropping helper run with every capability inside the
// sandbox, so besides the loader's variables the locale ones (which name files to load) only
// reach the step, through `env` after the drop.
bool AfterDrop(std::string_view name) {
  return UnsafeOutside(name) || name == "LANG" || name == "LANGUAGE" || name.rfind("LC_", 0) == 0;
}

bool IsExecutable(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

// `name` looked up in this process's PATH; "" when not found.
std::string FindOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return IsExecutable(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string_view::npos) end = dirs.size();
    std::string dir(dirs.substr(start, end - start));
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (IsExecutable(candidate)) return candidate;
    }
    start = end + 1;
  }
  return "";
}

bool IsWithin(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path.size() >= dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

// How steps get their identity. As root: no user namespace; `drop` (setpriv) turns the step
// into the real uid/gid after bwrap set up the mounts, and `owned` dirs are handed to that uid
// before every step. Otherwise: a user namespace, `drop` and `owned` empty.
struct Identity {
  bool as_root = false;
  std::vector<std::string> drop;   // argv prefix run inside the sandbox
  std::string env;                 // the env program, for variables set after the drop
  std::vector<std::string> owned;  // canonical dirs given to uid:gid
  uid_t uid = 0;
  gid_t gid = 0;
};

class SandboxBackend final : public Backend {
 public:
  SandboxBackend(std::unique_ptr<Backend> host, std::string bwrap, std::vector<std::string> mounts,
                 std::vector<std::string> writable, std::vector<std::string> flags,
                 std::string home, Identity identity, std::unique_ptr<sandbox::LimitCgroups> limits)
      : host_(std::move(host)),
        bwrap_(std::move(bwrap)),
        mounts_(std::move(mounts)),
        writable_(std::move(writable)),
        flags_(std::move(flags)),
        home_(std::move(home)),
        identity_(std::move(identity)),
        limits_(std::move(limits)) {}

  // As root: the writable dirs go back to root once no step can run, so that what the run
  // leaves in a --workspace checkout is root's again (git, run as root on it later, refuses a
  // repository owned by another user).
  ~SandboxBackend() override {
    for (const std::string& dir : identity_.owned) {
      (void)sandbox::HandOver(dir, identity_.uid, geteuid(), getegid());
    }
  }
  SandboxBackend(const SandboxBackend&) = delete;
  SandboxBackend& operator=(const SandboxBackend&) = delete;

  // As root: gives everything root created in the writable dirs (gantry's own files for the
  // next step, workspaces, checkouts) to the step's uid.
  core::Status HandOverOwned() const {
    for (const std::string& dir : identity_.owned) {
      core::Status st = sandbox::HandOver(dir, 0, identity_.uid, identity_.gid);
      if (!st.ok()) return st;
    }
    return core::Status::Ok();
  }

  core::Result<ProcessResult> Run(const ProcessSpec& spec, const OutputSink& output,
                                  const CancelToken& cancel) override {
    // The same checks and errors as the host backend: the sandbox sees the same files.
    core::Result<host::ExecImage> image = host::PrepareExec(spec);
    if (!image.ok()) return image.status();
    if (core::Status st = HandOverOwned(); !st.ok()) return st;
    ProcessSpec outer;
    outer.cwd = "/";
    outer.timeout = spec.timeout;
    outer.kill_grace = spec.kill_grace;
    std::vector<std::string> procs_files;
    if (limits_ != nullptr) {
      core::Result<std::vector<std::string>> acquired = limits_->Acquire();
      if (!acquired.ok()) return acquired.status();
      procs_files = std::move(acquired).value();
      outer.argv = {"/bin/sh", "-c", kJoinScript, "gantry-sandbox"};
      outer.argv.insert(outer.argv.end(), procs_files.begin(), procs_files.end());
      outer.argv.emplace_back("--");
    }
    AppendBwrapArgs(spec, image->path, outer);
    core::Result<ProcessResult> result = RunRetryingMountRaces(outer, output, cancel);
    if (limits_ != nullptr) limits_->Release(std::move(procs_files));
    return result;
  }

  // `--ro-bind / /` remounts every mount below / read-only; a mount that appears or goes
  // away meanwhile (a container engine starting or removing a container) makes bwrap fail
  // before the step started. Output that could be such a bwrap message is held back, and
  // the start is retried when it was one.
  core::Result<ProcessResult> RunRetryingMountRaces(const ProcessSpec& outer,
                                                    const OutputSink& output,
                                                    const CancelToken& cancel) {
    constexpr std::string_view kPrefix = "bwrap: ";
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
      std::string held;
      bool forwarding = false;
      auto sink = [&](std::string_view chunk) {
        if (forwarding) {
          output(chunk);
          return;
        }
        held.append(chunk);
        size_t n = std::min(held.size(), kPrefix.size());
        if (held.compare(0, n, kPrefix.substr(0, n)) != 0) {
          forwarding = true;
          output(held);
          held.clear();
        }
      };
      core::Result<ProcessResult> result = host_->Run(outer, sink, cancel);
      bool mount_race = result.ok() && result->exit_code == 1 && result->signal == 0 &&
                        !forwarding &&
                        held.find("Unable to apply mount flags") != std::string::npos;
      if (!mount_race || attempt == kAttempts || cancel.cancelled()) {
        if (!held.empty()) output(held);
        return result;
      }
    }
  }

  // The bwrap command line for `spec` (whose program resolved to `program`) onto outer.argv,
  // and bwrap's own environment onto outer.env.
  void AppendBwrapArgs(const ProcessSpec& spec, const std::string& program,
                       ProcessSpec& outer) const {
    std::vector<std::string>& a = outer.argv;
    a.push_back(bwrap_);
    a.insert(a.end(), mounts_.begin(), mounts_.end());
    std::string home;
    for (const auto& [name, value] : spec.env) {
      if (name == "HOME") home = value;
    }
    if (NeedsHomeMount(home)) {
      if (home_.empty()) {
        // bwrap as root mounts it as root's; the step needs to write there.
        AppendTmpParents(home, a);
        if (identity_.as_root) a.insert(a.end(), {"--perms", "0777"});
        a.insert(a.end(), {"--tmpfs", home});
      } else {
        AppendTmpParents(home, a);
        a.insert(a.end(), {"--bind", home_, home});
      }
    }
    // Parents come before their subdirectories (sorted), so that no bind hides another.
    for (const std::string& dir : writable_) {
      AppendTmpParents(dir, a);
      a.insert(a.end(), {"--bind", dir, dir});
    }
    a.insert(a.end(), flags_.begin(), flags_.end());
    std::string cwd = spec.cwd;
    if (cwd.empty()) {
      std::error_code ec;
      cwd = fs::current_path(ec).string();
    }
    if (!cwd.empty()) a.insert(a.end(), {"--chdir", cwd});
    std::vector<std::string> after_drop;
    for (const auto& [name, value] : spec.env) {
      if (identity_.as_root && AfterDrop(name)) {
        after_drop.push_back(name + "=" + value);
      } else if (UnsafeOutside(name)) {
        a.insert(a.end(), {"--setenv", name, value});
      } else {
        outer.env.emplace_back(name, value);
      }
    }
    a.emplace_back("--");
    a.insert(a.end(), identity_.drop.begin(), identity_.drop.end());
    // A program found through an empty PATH entry is relative to cwd; execvp would look it up
    // in PATH again without the "./".
    std::string path = program.find('/') == std::string::npos ? "./" + program : program;
    if (!after_drop.empty()) {
      a.insert(a.end(), {identity_.env, "--"});
      a.insert(a.end(), after_drop.begin(), after_drop.end());
      // env takes any argument with a '=' for one more variable.
      if (path.find('=') != std::string::npos) {
        a.insert(a.end(), {"/bin/sh", "-c", R"(exec "$0" "$@")"});
      }
    }
    a.push_back(path);
    a.insert(a.end(), spec.argv.begin() + 1, spec.argv.end());
  }

 private:
  // As root, the mount points bwrap makes in the sandbox's fresh /tmp for a path below it are
  // root's with mode 0700, which would lock the step out of its own workspace: they are made
  // first, searchable.
  void AppendTmpParents(const std::string& path, std::vector<std::string>& a) const {
    if (!identity_.as_root || !IsWithin(path, "/tmp")) return;
    for (size_t slash = path.find('/', 5); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      a.insert(a.end(), {"--perms", "0755", "--dir", path.substr(0, slash)});
    }
  }

  // Whether $HOME needs a writable mount: it exists on the host (bwrap cannot create a mount
  // point in the read-only root) and no writable dir covers it.
  bool NeedsHomeMount(const std::string& home) const {
    if (home.empty() || home.front() != '/' || home == "/") return false;
    std::error_code ec;
    if (!fs::is_directory(home, ec)) return false;
    return std::none_of(writable_.begin(), writable_.end(),
                        [&](const std::string& dir) { return IsWithin(home, dir); });
  }

  std::unique_ptr<Backend> host_;
  std::string bwrap_;
  std::vector<std::string> mounts_;    // the base view, before $HOME and writable binds
  std::vector<std::string> writable_;  // canonical, sorted
  std::vector<std::string> flags_;     // namespaces, identity, capabilities
  std::string home_;
  Identity identity_;
  std::unique_ptr<sandbox::LimitCgroups> limits_;  // null: no limit is enforced
};

core::Result<std::string> CanonicalDir(const std::string& dir, std::string_view what) {
  std::error_code ec;
  fs::path canonical = fs::canonical(dir, ec);
  if (ec || !fs::is_directory(canonical, ec)) {
    return core::Status::InvalidArgument(std::string(what) + " '" + dir +
                                         "' does not exist or is not a directory");
  }
  return canonical.string();
}

// The identity of steps when gantry runs as root: the dirs they write are handed to
// options.uid/gid now (and again before each step), and setpriv drops to them.
core::Result<Identity> RootIdentity(const SandboxOptions& options,
                                    const std::vector<std::string>& writable,
                                    const std::string& home) {
  Identity identity;
  identity.as_root = true;
  identity.uid = options.uid;
  identity.gid = options.gid;
  std::string setpriv = FindOnPath(options.setpriv.empty() ? "setpriv" : options.setpriv);
  if (setpriv.empty()) {
    return core::Status::Unavailable(
        "sandboxed steps need setpriv (util-linux) to drop from root to uid " +
        std::to_string(options.uid) + " (no " +
        (options.setpriv.empty() ? std::string("setpriv in PATH") : options.setpriv) + ")");
  }
  identity.env = FindOnPath("env");
  if (identity.env.empty()) return core::Status::Unavailable("sandboxed steps need env in PATH");
  identity.drop = {setpriv,
                   "--reuid=" + std::to_string(options.uid),
                   "--regid=" + std::to_string(options.gid),
                   "--clear-groups",
                   "--inh-caps=-all",
                   "--bounding-set=-all",
                   "--no-new-privs",
                   "--"};
  identity.owned = writable;
  if (!home.empty()) identity.owned.push_back(home);
  for (const std::string& dir : identity.owned) {
    core::Status st = sandbox::CheckReachable(dir, options.uid, options.gid);
    if (!st.ok()) return core::Status::InvalidArgument("sandbox directory " + st.message());
    st = sandbox::HandOver(dir, 0, options.uid, options.gid);
    if (!st.ok()) return st;
  }
  return identity;
}

}  // namespace

core::Result<std::unique_ptr<Backend>> MakeSandboxBackend(const SandboxOptions& options,
                                                          std::vector<std::string>* notes) {
  std::string bwrap = FindOnPath(options.bwrap.empty() ? "bwrap" : options.bwrap);
  if (bwrap.empty()) {
    std::string which = options.bwrap.empty() ? "no bwrap in PATH" : "no program " + options.bwrap;
    return core::Status::Unavailable(std::string(kInstallHint) + " (" + which + ")");
  }
  std::vector<std::string> writable;
  for (const std::string& dir : options.writable) {
    core::Result<std::string> canonical = CanonicalDir(dir, "sandbox writable directory");
    if (!canonical.ok()) return canonical.status();
    writable.push_back(std::move(canonical).value());
  }
  std::sort(writable.begin(), writable.end());
  writable.erase(std::unique(writable.begin(), writable.end()), writable.end());
  std::string home;
  if (!options.home.empty()) {
    core::Result<std::string> canonical = CanonicalDir(options.home, "sandbox home directory");
    if (!canonical.ok()) return canonical.status();
    home = std::move(canonical).value();
  }
  std::vector<std::string> mounts = {"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"};
  std::vector<std::string> flags = {"--unshare-pid", "--unshare-ipc", "--unshare-uts"};
  if (!options.network) flags.emplace_back("--unshare-net");
  Identity identity;
  identity.as_root = geteuid() == 0;
  identity.uid = options.uid;
  identity.gid = options.gid;
  if (identity.as_root) {
    // A user namespace created by root maps the step's uid to root outside: it could read
    // root's files and use root's sockets. Instead bwrap (root, needing no setuid) builds the
    // namespaces and setpriv becomes the real uid/gid, without groups or capabilities.
    core::Result<Identity> dropping = RootIdentity(options, writable, home);
    if (!dropping.ok()) return dropping.status();
    identity = std::move(dropping).value();
    // bwrap as root makes these root's; the step needs them writable.
    mounts.insert(mounts.end(),
                  {"--perms", "1777", "--tmpfs", "/dev/shm", "--perms", "1777", "--tmpfs", "/tmp"});
  } else {
    mounts.insert(mounts.end(), {"--tmpfs", "/tmp"});
    flags.insert(flags.end(), {"--unshare-user", "--uid", std::to_string(options.uid), "--gid",
                               std::to_string(options.gid), "--cap-drop", "ALL"});
  }
  flags.insert(flags.end(), {"--die-with-parent", "--new-session"});

  std::unique_ptr<sandbox::LimitCgroups> limits;
  if (options.memory_bytes > 0 || options.pids_max > 0) {
    if (!IsExecutable("/bin/sh")) {
      return core::Status::Unavailable("sandbox limits need /bin/sh to join their cgroups");
    }
    limits = sandbox::LimitCgroups::Create({options.memory_bytes, options.pids_max}, notes);
  }
  core::Result<std::unique_ptr<Backend>> host = MakeHostBackend(HostBackendOptions{});
  if (!host.ok()) return host.status();
  auto backend = std::make_unique<SandboxBackend>(std::move(host).value(), bwrap, std::move(mounts),
                                                  std::move(writable), std::move(flags), home,
                                                  std::move(identity), std::move(limits));

  // One sandbox now, so that a machine where bwrap cannot create namespaces fails here with
  // a clear message instead of failing every step.
  ProcessSpec probe;
  probe.argv = {"true"};
  probe.cwd = "/";
  probe.env = {{"PATH", "/usr/bin:/bin"}};
  probe.timeout = std::chrono::seconds(30);
  CancelToken never;
  std::string probe_output;
  core::Result<ProcessResult> ran = backend->Run(
      probe, [&](std::string_view chunk) { probe_output.append(chunk); }, never);
  if (!ran.ok() || !ran->ok()) {
    std::string why = !ran.ok() ? ran.status().message() : probe_output;
    if (size_t nl = why.find('\n'); nl != std::string::npos) why.resize(nl);
    if (why.empty()) why = "exit code " + std::to_string(ran->exit_code);
    return core::Status::Unavailable(std::string(kInstallHint) + "; " + bwrap +
                                     " cannot create a sandbox here: " + why);
  }
  return std::unique_ptr<Backend>(std::move(backend));
}

}  // namespace gantry::backend
