// gantry — command-line entry point. Wiring only: every command lives in src/cli/.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "cli/expr_command.h"
#include "cli/lint_command.h"

int main(int argc, char** argv) {
  CLI::App app{
      "Gantry — a self-hosted CI/CD engine that runs GitHub Actions workflows.\n"
      "Docs: docs/ in the source tree. Exit codes: 0 ok, 1 failure, 2 usage error."};
  app.set_version_flag("--version", std::string("gantry ") + GANTRY_VERSION);
  app.require_subcommand(1);

  std::string expression;
  std::string context_file;
  bool batch = false;
  CLI::App* expr = app.add_subcommand(
      "expr",
      "Evaluate one ${{ }} expression against a JSON object of contexts and print the result "
      "as JSON.\nExample: gantry expr \"github.event_name == 'push'\" --context ctx.json");
  expr->add_option("EXPRESSION", expression,
                   "the expression, with or without ${{ }}; text around ${{ }} makes it a "
                   "template whose result is a string");
  expr->add_option("--context,-c", context_file,
                   "JSON file holding {\"github\": {...}, \"env\": {...}, ...}; '-' reads stdin");
  expr->add_flag("--batch", batch,
                 "read JSON lines {\"expr\",\"contexts\"} on stdin, write one JSON result per "
                 "line (for test tooling)")
      ->group("");

  gantry::cli::LintOptions lint_options;
  CLI::App* lint = app.add_subcommand(
      "lint",
      "Validate workflow files without running anything. Prints every problem as "
      "file:line:col: message.\nExit 0 when clean, 1 when there are errors, 2 on usage errors.");
  lint->add_option("PATH", lint_options.paths,
                   "workflow files or folders (default: .github/workflows/ of the current "
                   "repository)");
  lint->add_option("--format", lint_options.format, "output format: text or json")
      ->check(CLI::IsMember({"text", "json"}));

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*expr) {
    if (batch) return gantry::cli::RunExprBatchCommand(std::cin, std::cout);
    if (expression.empty()) {
      std::cerr << "gantry expr: missing EXPRESSION (see gantry expr --help)\n";
      return 2;
    }
    return gantry::cli::RunExprCommand(expression, context_file, std::cout, std::cerr);
  }
  if (*lint) return gantry::cli::RunLintCommand(lint_options, std::cout, std::cerr);
  return 2;
}
