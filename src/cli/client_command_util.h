#pragma once

// What every client command (`gantry auth|project|secret|variable|workflow|pattern|run`) shares:
// the --json option, one-line errors with the right exit code, examples in --help, reading a
// secret from the terminal without echo, URL path segments.

#include <CLI/CLI.hpp>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gantry::cli {

/// `--json [FIELDS]` of list/view commands; one JsonOption may serve sibling subcommands.
struct JsonOption {
  std::vector<CLI::Option*> options;  // the --json of each command it was added to
  std::string fields;
  /// True when --json was given (with or without FIELDS).
  bool enabled() const {
    for (const CLI::Option* o : options) {
      if (o->count() > 0) return true;
    }
    return false;
  }
};

/// Adds `--json [FIELDS]` to `command`, bound to `json`.
void AddJsonOption(CLI::App& command, JsonOption& json);

/// Sets the "Examples:" footer of `command`'s --help, one example per line.
void SetExamples(CLI::App& command, std::initializer_list<std::string_view> lines);

/// Prints "gantry: MESSAGE" to stderr and returns the exit code: 2 for a usage mistake
/// (InvalidArgument raised before any request: pass usage=true), 1 otherwise.
int Fail(const core::Status& status, bool usage = false);
/// Prints "gantry: MESSAGE" to stderr and returns 2.
int UsageError(std::string_view message);

/// A secret typed by the user: from the terminal with `prompt` on stderr and echo off when
/// stdin is a terminal, else the whole of stdin (one trailing newline removed).
/// InvalidArgument when it is empty.
core::Result<std::string> ReadSecret(std::string_view prompt, std::string_view what);
/// One line typed by the user, with `prompt` on stderr when stdin is a terminal.
core::Result<std::string> ReadLine(std::string_view prompt, std::string_view what);

/// `segment` percent-encoded for a URL path ("a b/c" → "a%20b%2Fc").
std::string PathEscape(std::string_view segment);

/// "/api/v1/projects/OWNER/NAME" for "OWNER/NAME" (each part escaped).
std::string ProjectPath(const std::string& project);

}  // namespace gantry::cli
