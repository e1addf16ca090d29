// Shared pieces of the client commands.

#include "cli/client_command_util.h"

#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <iostream>
#include <iterator>

namespace gantry::cli {
namespace {

using core::Result;
using core::Status;

// Echo off on the terminal `fd` while alive.
class NoEcho {
 public:
  explicit NoEcho(int fd) : fd_(fd) {
    if (::tcgetattr(fd_, &saved_) != 0) return;
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    active_ = ::tcsetattr(fd_, TCSAFLUSH, &quiet) == 0;
  }
  ~NoEcho() {
    if (active_) ::tcsetattr(fd_, TCSAFLUSH, &saved_);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  int fd_;
  termios saved_{};
  bool active_ = false;
};

void TrimNewline(std::string& s) {
  if (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty() && s.back() == '\r') s.pop_back();
}

}  // namespace

void AddJsonOption(CLI::App& command, JsonOption& json) {
  json.options.push_back(
      command
          .add_option("--json", json.fields,
                      "print JSON instead of a table; with FIELDS (\"id,name\"), "
                      "only those fields")
          ->expected(0, 1)
          ->type_name("[FIELDS]")
          ->allow_extra_args(false));
}

void SetExamples(CLI::App& command, std::initializer_list<std::string_view> lines) {
  std::string text = "Examples:\n";
  for (std::string_view line : lines) text += "  " + std::string(line) + "\n";
  command.footer(text);
}

int Fail(const Status& status, bool usage) {
  std::cerr << "gantry: " << status.message() << "\n";
  return usage ? 2 : 1;
}

int UsageError(std::string_view message) {
  std::cerr << "gantry: " << message << "\n";
  return 2;
}

Result<std::string> ReadSecret(std::string_view prompt, std::string_view what) {
  std::string value;
  if (::isatty(STDIN_FILENO) == 1) {
    std::cerr << prompt << std::flush;
    NoEcho quiet(STDIN_FILENO);
    std::getline(std::cin, value);
  } else {
    value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    TrimNewline(value);
  }
  if (value.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  return value;
}

Result<std::string> ReadLine(std::string_view prompt, std::string_view what) {
  if (::isatty(STDIN_FILENO) == 1) std::cerr << prompt << std::flush;
  std::string value;
  std::getline(std::cin, value);
  TrimNewline(value);
  if (value.empty()) return Status::InvalidArgument(std::string(what) + " is empty");
  return value;
}

std::string PathEscape(std::string_view segment) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (char c : segment) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string ProjectPath(const std::string& project) {
  size_t slash = project.find('/');
  return "/api/v1/projects/" + PathEscape(project.substr(0, slash)) + "/" +
         PathEscape(slash == std::string::npos ? "" : project.substr(slash + 1));
}

}  // namespace gantry::cli
