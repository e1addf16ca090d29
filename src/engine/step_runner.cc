#include "engine/step_runner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/workflow_commands.h"

namespace gantry::engine {
namespace {

// After a step failed on the apt/dpkg lock: jobs run in parallel on one machine, unlike on
// GitHub where each has a runner of its own.
constexpr const char* kPackageLockHint =
    "gantry: hint: another job held the apt/dpkg lock (jobs run in parallel on this machine); "
    "run with -p 1, or make the jobs that install packages need one another";

struct BuiltinShell {
  std::string_view name;
  std::string_view args;
  std::string_view extension;
};

// The runner's ScriptHandlerHelpers tables.
constexpr BuiltinShell kBuiltins[] = {
    {"bash", "--noprofile --norc -e -o pipefail {0}", ".sh"},
    {"sh", "-e {0}", ".sh"},
    {"python", "{0}", ".py"},
    {"pwsh", "-command \". '{0}'\"", ".ps1"},
    {"powershell", "-command \". '{0}'\"", ".ps1"},
    {"cmd", "/D /E:ON /V:OFF /S /C \"CALL \"{0}\"\"", ".cmd"},
};

const BuiltinShell* FindBuiltin(std::string_view name) {
  for (const auto& b : kBuiltins) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

core::Status WriteError(const std::string& path, int error) {
  return core::Status::Internal("cannot write " + path + ": " + std::strerror(error));
}

// Sets `path`'s content to `content`, reusing the file when it exists. It is overwritten in
// place and then cut to the new length rather than opened with O_TRUNC: on ext4, truncating a
// non-empty file to zero and writing it again frees and reallocates its block (a synchronous
// discard where the file system is mounted with `discard`) and makes close() start write-back
// (auto_da_alloc), which cost milliseconds per step.
core::Status RewriteFile(const std::string& path, std::string_view content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return WriteError(path, errno);
  off_t at = 0;
  while (static_cast<size_t>(at) < content.size()) {
    ssize_t n = ::pwrite(fd, content.data() + at, content.size() - static_cast<size_t>(at), at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = n < 0 ? errno : EIO;
      ::close(fd);
      return WriteError(path, error);
    }
    at += n;
  }
  if (::ftruncate(fd, at) != 0) {
    int error = errno;
    ::close(fd);
    return WriteError(path, error);
  }
  ::close(fd);
  return core::Status::Ok();
}

// Leaves `path` an existing, empty regular file: a fresh file-command file for the next step.
// Most steps write nothing to these files, so the usual cost is one lstat(); a file is
// truncated only when the previous step wrote to it, and replaced when a step put something
// else (a symbolic link, a FIFO) in its place.
core::Status EmptyFile(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (S_ISREG(st.st_mode)) {
      if (st.st_size == 0) return core::Status::Ok();
      if (::truncate(path.c_str(), 0) != 0) return WriteError(path, errno);
      return core::Status::Ok();
    }
    if (::unlink(path.c_str()) != 0) return WriteError(path, errno);
  } else if (errno != ENOENT) {
    return WriteError(path, errno);
  }
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return WriteError(path, errno);
  ::close(fd);
  return core::Status::Ok();
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::string out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string FixUpScript(std::string_view shell, const std::string& script) {
  if (shell == "cmd") return "@echo off\n" + script;
  if (shell == "pwsh" || shell == "powershell") {
    return "$ErrorActionPreference = 'stop'\n" + script +
           "\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }";
  }
  return script;
}

std::string Substitute(std::string arg, const std::string& path) {
  for (size_t at = arg.find("{0}"); at != std::string::npos; at = arg.find("{0}", at)) {
    arg.replace(at, 3, path);
    at += path.size();
  }
  return arg;
}

int ExitCodeOf(const backend::ProcessResult& r) {
  return r.signal != 0 ? 128 + r.signal : r.exit_code;
}

}  // namespace

std::string FindProgram(std::string_view program, std::string_view path) {
  if (program.empty()) return "";
  if (program.find('/') != std::string_view::npos) {
    std::string p(program);
    return IsExecutableFile(p) ? p : "";
  }
  while (true) {
    size_t colon = path.find(':');
    std::string_view dir = path.substr(0, colon);
    if (!dir.empty()) {
      std::string candidate(dir);
      if (candidate.back() != '/') candidate += '/';
      candidate.append(program);
      if (IsExecutableFile(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) break;
    path.remove_prefix(colon + 1);
  }
  return "";
}

std::vector<std::string> SplitArguments(std::string_view args) {
  std::vector<std::string> out;
  std::string current;
  bool in_token = false, quoted = false;
  for (size_t i = 0; i < args.size(); ++i) {
    char c = args[i];
    if (c == '\\' && i + 1 < args.size() && args[i + 1] == '"') {
      current += '"';
      in_token = true;
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
      in_token = true;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      if (in_token) out.push_back(std::move(current));
      current.clear();
      in_token = false;
    } else {
      current += c;
      in_token = true;
    }
  }
  if (in_token) out.push_back(std::move(current));
  return out;
}

core::Result<ShellCommand> ResolveShell(std::string_view shell, std::string_view path,
                                        const ProgramFinder& find) {
  auto find_program = [&](std::string_view program) {
    return find ? find(program) : FindProgram(program, path);
  };
  ShellCommand cmd;
  std::string_view args;
  if (shell.empty()) {
    // GitHub's default on Linux and macOS runs bash with sh's arguments: `bash -e {0}`.
    cmd.name = "sh";
    cmd.program = find_program("bash");
    if (cmd.program.empty()) cmd.program = find_program("sh");
    if (cmd.program.empty()) {
      return core::Status::NotFound(
          "neither bash nor sh was found on PATH: the default shell needs one of them");
    }
    args = FindBuiltin("sh")->args;
  } else {
    size_t space = shell.find(' ');
    cmd.name = std::string(shell.substr(0, space));
    args = space == std::string_view::npos ? std::string_view() : shell.substr(space + 1);
    size_t b = args.find_first_not_of(" \t");
    args = b == std::string_view::npos ? std::string_view() : args.substr(b);
    const BuiltinShell* builtin = FindBuiltin(cmd.name);
    if (args.empty() && builtin != nullptr) args = builtin->args;
    if (args.find("{0}") == std::string_view::npos) {
      return core::Status::InvalidArgument(
          "Invalid shell option. Shell must be a valid built-in (bash, sh, cmd, powershell, "
          "pwsh) or a format string containing '{0}'");
    }
    cmd.program = find_program(cmd.name);
    // Debian and others ship only python3; `shell: python` means whichever Python is there.
    if (cmd.program.empty() && cmd.name == "python") cmd.program = find_program("python3");
    if (cmd.program.empty()) {
      std::string hint;
      if (cmd.name == "pwsh" || cmd.name == "powershell") {
        hint = ": shell: " + cmd.name + " needs PowerShell installed on this machine";
      } else if (cmd.name == "cmd") {
        hint = ": shell: cmd exists only on Windows";
      }
      return core::Status::NotFound("shell '" + cmd.name + "' was not found on PATH" + hint);
    }
    if (builtin != nullptr) cmd.extension = builtin->extension;
  }
  if (shell.empty()) cmd.extension = ".sh";
  cmd.args = SplitArguments(args);
  cmd.display = cmd.program + " " + std::string(args);
  return cmd;
}

StepFiles MakeStepFiles(const std::string& dir) {
  return StepFiles{dir + "/set_env", dir + "/set_output", dir + "/add_path", dir + "/step_summary",
                   dir + "/save_state"};
}

ScriptResult RunScriptStep(const ScriptStep& step, backend::Backend& backend,
                           const backend::CancelToken& cancel, StepOutput& output) {
  ScriptResult result;
  auto fail = [&](std::string why) {
    output.Error(why);
    result.outcome = Conclusion::kFailure;
    result.error = std::move(why);
    return result;
  };
  const std::string* path = FindEnv(step.env, "PATH");
  core::Result<ShellCommand> shell = ShellCommand{};
  if (step.command.empty()) {
    shell = ResolveShell(step.shell, path != nullptr ? *path : "", step.find_program);
    if (!shell.ok()) return fail(shell.status().message());
  } else {
    shell->program = step.command[0];
  }

  std::string cwd = step.working_directory.empty() ? step.workspace
                    : step.working_directory[0] == '/'
                        ? step.working_directory
                        : step.workspace + "/" + step.working_directory;
  struct stat st {};
  if (step.container == nullptr && (::stat(cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))) {
    return fail("An error occurred trying to start process '" + shell->program +
                "' with working directory '" + cwd + "'. No such file or directory");
  }

  for (const std::string* f : {&step.files.env, &step.files.output, &step.files.path,
                               &step.files.summary, &step.files.state}) {
    core::Status st_file = EmptyFile(*f);
    if (!st_file.ok()) return fail(st_file.message());
  }
  backend::ProcessSpec spec;
  if (step.command.empty()) {
    std::string script_path = step.script_dir + "/script" + shell->extension;
    core::Status written = RewriteFile(script_path, FixUpScript(shell->name, step.script));
    if (!written.ok()) return fail(written.message());
    spec.argv.reserve(shell->args.size() + 1);
    spec.argv.push_back(shell->program);
    std::string visible =
        step.container != nullptr ? step.container->ToContainer(script_path) : script_path;
    for (const std::string& a : shell->args) spec.argv.push_back(Substitute(a, visible));
  } else {
    spec.argv = step.command;
    if (step.container != nullptr) {
      for (std::string& a : spec.argv) a = step.container->ToContainer(a);
    }
  }
  spec.cwd = step.container != nullptr ? step.container->ToContainer(cwd) : std::move(cwd);
  spec.env = step.env;
  spec.timeout = step.timeout;
  spec.kill_grace = step.kill_grace;
  auto ran = backend.Run(
      spec, [&](std::string_view chunk) { output.Feed(chunk); }, cancel);
  output.Finish();

  // File commands are processed whatever the outcome, as the runner does.
  for (const auto& [k, v] : output.outputs()) SetEnv(result.outputs, k, v);
  for (const auto& [k, v] : output.env()) SetEnv(result.env, k, v);
  result.paths = output.paths();
  std::string file_error;
  auto apply = [&](const std::string& file, const char* what, EnvList& into) {
    auto parsed = ParseEnvFile(ReadFileOrEmpty(file));
    if (!parsed.ok()) {
      if (file_error.empty()) {
        file_error = std::string("Unable to process file command '") + what +
                     "' successfully: " + parsed.status().message();
      }
      return;
    }
    for (auto& [k, v] : *parsed) SetEnv(into, k, std::move(v));
  };
  apply(step.files.env, "env", result.env);
  apply(step.files.output, "output", result.outputs);
  for (const auto& [k, v] : output.state()) SetEnv(result.state, k, v);
  apply(step.files.state, "state", result.state);
  for (std::string& p : ParsePathFile(ReadFileOrEmpty(step.files.path))) {
    result.paths.push_back(std::move(p));
  }
  result.summary = ReadFileOrEmpty(step.files.summary);

  if (!ran.ok()) {
    return fail("An error occurred trying to start process '" + shell->program +
                "' with working directory '" + spec.cwd + "'. " + ran.status().message());
  }
  if (ran->cancelled) {
    result.outcome = Conclusion::kCancelled;
    result.error = "The operation was canceled.";
    output.Error(result.error);
    return result;
  }
  if (ran->timed_out) {
    result.timed_out = true;
    return fail(step.timeout_message.empty() ? "The step timed out." : step.timeout_message);
  }
  if (!ran->ok()) {
    if (output.package_lock_busy()) output.Note(kPackageLockHint);
    return fail("Process completed with exit code " + std::to_string(ExitCodeOf(*ran)) + ".");
  }
  if (!file_error.empty()) return fail(file_error);
  if (output.command_failed()) {
    result.outcome = Conclusion::kFailure;
    result.error = "a workflow command could not be processed";
  }
  return result;
}

}  // namespace gantry::engine
