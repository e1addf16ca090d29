#include "engine/step_output.h"

#include <cctype>
#include <charconv>

namespace gantry::engine {
namespace {

// A line longer than this without '\n' is processed as is (a runaway progress bar must not
// hold unbounded memory).
constexpr size_t kMaxLine = 1 << 20;

constexpr const char* kDisabledCommand =
    "The `{0}` command is disabled. Please upgrade to using Environment Files or opt into "
    "unsecure command execution by setting the `ACTIONS_ALLOW_UNSECURE_COMMANDS` environment "
    "variable to `true`. For more information see: "
    "https://github.blog/changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-"
    "commands/";
constexpr const char* kDeprecatedCommand =
    "The `{0}` command is deprecated and will be disabled soon. Please upgrade to using "
    "Environment Files. For more information see: "
    "https://github.blog/changelog/2022-10-11-github-actions-deprecating-save-state-and-set-"
    "output-commands/";

std::string WithCommand(const char* format, std::string_view command) {
  std::string s = format;
  size_t at = s.find("{0}");
  return s.replace(at, 3, command);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

const std::string* Property(const WorkflowCommand& c, std::string_view name) {
  for (const auto& [k, v] : c.properties) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

int IntProperty(const WorkflowCommand& c, std::string_view name) {
  const std::string* v = Property(c, name);
  if (v == nullptr) return 0;
  int out = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  return ec == std::errc() && ptr == v->data() + v->size() && out > 0 ? out : 0;
}

bool IsBlank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

StepOutput::StepOutput(const StepOutputOptions& options) : options_(options) {}

void StepOutput::Feed(std::string_view chunk) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(chunk);
      if (pending_.size() > kMaxLine) {
        std::string line = std::move(pending_);
        pending_.clear();
        Line(line);
      }
      return;
    }
    if (pending_.empty()) {
      Line(chunk.substr(0, nl));
    } else {
      pending_.append(chunk.substr(0, nl));
      std::string line = std::move(pending_);
      pending_.clear();
      Line(line);
    }
    chunk.remove_prefix(nl + 1);
  }
}

void StepOutput::Finish() {
  if (pending_.empty()) return;
  std::string line = std::move(pending_);
  pending_.clear();
  Line(line);
}

void StepOutput::Line(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  // Commands are recognized on the raw line (an ::add-mask:: value must be read unmasked);
  // everything printed is masked with the secrets known at that moment, so a value masked by
  // this line is already hidden in the next one.
  std::optional<WorkflowCommand> command = gate_.Process(line);
  if (command) {
    Command(line, *command);
  } else {
    Log(line);
  }
}

void StepOutput::Note(const std::string& line) { Log(line); }

void StepOutput::Log(std::string_view line) {
  if (!package_lock_busy_) {
    package_lock_busy_ =
        line.find("Could not get lock /var/lib/dpkg") != std::string_view::npos ||
        line.find("Could not get lock /var/lib/apt/lists/lock") != std::string_view::npos ||
        line.find("Unable to acquire the dpkg frontend lock") != std::string_view::npos;
  }
  std::string masked = options_.masker->Mask(line);
  options_.observer->OnLogLine(*options_.job, options_.step, masked);
}

void StepOutput::Error(const std::string& message) {
  Annotation a;
  a.level = "error";
  a.message = options_.masker->Mask(message);
  options_.observer->OnAnnotation(*options_.job, options_.step, a);
}

void StepOutput::Warning(const std::string& message) {
  Annotation a;
  a.level = "warning";
  a.message = options_.masker->Mask(message);
  options_.observer->OnAnnotation(*options_.job, options_.step, a);
}

void StepOutput::Fail(std::string_view line, const std::string& why) {
  Error("Unable to process command '" + std::string(line) + "' successfully.");
  Error(why);
  command_failed_ = true;
}

void StepOutput::Annotate(const char* level, const WorkflowCommand& command) {
  Annotation a;
  a.level = level;
  a.message = options_.masker->Mask(command.message);
  if (const std::string* t = Property(command, "title")) a.title = options_.masker->Mask(*t);
  if (const std::string* f = Property(command, "file")) {
    std::string file = *f;
    const std::string& ws = options_.workspace;
    if (!ws.empty() && file.size() > ws.size() + 1 && file.compare(0, ws.size(), ws) == 0 &&
        file[ws.size()] == '/') {
      file = file.substr(ws.size() + 1);
    }
    a.file = options_.masker->Mask(file);
  }
  a.line = IntProperty(command, "line");
  a.end_line = IntProperty(command, "endLine");
  a.column = IntProperty(command, "col");
  a.end_column = IntProperty(command, "endColumn");
  // The runner's ValidateLinesAndColumns: an end without a start becomes the start; columns
  // need a line, and a range over several lines has no columns.
  if (a.end_line != 0 && a.line == 0) a.line = a.end_line;
  if (a.end_column != 0 && a.column == 0) a.column = a.end_column;
  if (a.line == 0 || (a.end_line != 0 && a.end_line != a.line)) a.column = a.end_column = 0;
  if (a.end_line != 0 && a.end_line < a.line) a.line = a.end_line = 0;
  if (a.end_column != 0 && a.end_column < a.column) a.column = a.end_column = 0;
  options_.observer->OnAnnotation(*options_.job, options_.step, a);
}

void StepOutput::Command(std::string_view line, const WorkflowCommand& command) {
  const std::string& name = command.name;
  const std::string& message = command.message;
  auto echo = [&] {
    if (echo_) Log(line);
  };
  if (name == "add-mask") {
    if (IsBlank(message)) {
      Warning("Can't add secret mask for empty string in ##[add-mask] command.");
      return;
    }
    options_.masker->Add(message);
    if (echo_) Log("::add-mask::***");
  } else if (name == "group" || name == "endgroup") {
    bool start = name == "group";
    options_.observer->OnGroup(*options_.job, options_.step, start,
                               start ? options_.masker->Mask(message) : std::string());
  } else if (name == "error" || name == "warning" || name == "notice") {
    Annotate(name.c_str(), command);
  } else if (name == "debug") {
    if (options_.debug) {
      options_.observer->OnDebug(*options_.job, options_.step, options_.masker->Mask(message));
    }
  } else if (name == "stop-commands") {
    Log(line);
  } else if (name == "echo") {
    echo();
    std::string v(message);
    for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t");
    v = b == std::string::npos ? "" : v.substr(b, e - b + 1);
    if (v == "on" || v == "off") {
      echo_ = v == "on";
    } else {
      Fail(line,
           "Invalid echo command value. Possible values can be: 'on', 'off'. Current value is: "
           "'" +
               message + "'.");
    }
  } else if (name == "set-output" || name == "save-state") {
    echo();
    Warning(WithCommand(kDeprecatedCommand, name));
    const std::string* key = Property(command, "name");
    if (key == nullptr || key->empty()) {
      Fail(line, "Required field 'name' is missing in ##[" + name + "] command.");
      return;
    }
    SetEnv(name == "set-output" ? outputs_ : state_, *key, message);
  } else if (name == "set-env" || name == "add-path") {
    echo();
    if (!options_.allow_unsecure_commands) {
      Fail(line, WithCommand(kDisabledCommand, name));
      return;
    }
    if (name == "add-path") {
      if (message.empty()) {
        Fail(line, "Parameter 'path' cannot be null or empty.");
        return;
      }
      paths_.push_back(message);
      return;
    }
    const std::string* key = Property(command, "name");
    if (key == nullptr || key->empty()) {
      Fail(line, "Required field 'name' is missing in ##[set-env] command.");
      return;
    }
    if (EqualsIgnoreCase(*key, "NODE_OPTIONS")) {
      Error("Can't update NODE_OPTIONS environment variable using ::set-env:: command.");
      return;
    }
    SetEnv(env_, *key, message);
  } else if (name == "add-matcher" || name == "remove-matcher") {
    echo();  // problem matchers are not supported: the command is accepted and ignored
  } else {
    Log(line);  // not a command the runner knows: plain output
  }
}

}  // namespace gantry::engine
