// Shared pieces of the client commands.

#include "cli/client_command_util.h"

#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <csignal>
#include <iostream>
#include <iterator>

namespace gantry::cli {
namespace {

using core::Result;
using core::Status;

// The terminal state NoEcho restores when a signal ends the process during a prompt.
termios g_saved_termios{};
volatile sig_atomic_t g_echo_off = 0;

extern "C" void RestoreEchoAndDie(int sig) {
  if (g_echo_off != 0) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Echo off on stdin (a terminal) while alive; Ctrl-C during the prompt gives the echo back.
class NoEcho {
 public:
  NoEcho() {
    if (::tcgetattr(STDIN_FILENO, &g_saved_termios) != 0) return;
    struct sigaction restore {};
    restore.sa_handler = RestoreEchoAndDie;
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &restore, &old_[i]);
    termios quiet = g_saved_termios;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    // TCSANOW, not TCSAFLUSH: what was typed ahead of the prompt is the answer, keep it.
    g_echo_off = ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet) == 0 ? 1 : 0;
    active_ = true;
  }
  ~NoEcho() {
    if (!active_) return;
    if (g_echo_off != 0) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved_termios);
    g_echo_off = 0;
    for (size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &old_[i], nullptr);
  }
  NoEcho(const NoEcho&) = delete;
  NoEcho& operator=(const NoEcho&) = delete;

 private:
  static constexpr std::array<int, 3> kSignals = {SIGINT, SIGTERM, SIGHUP};
  std::array<struct sigaction, 3> old_{};
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
    NoEcho quiet;
    std::cerr << prompt << std::flush;
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
