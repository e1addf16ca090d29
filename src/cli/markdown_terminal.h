#pragma once

// A small markdown-to-terminal renderer for job step summaries ($GITHUB_STEP_SUMMARY), as
// `gantry run view` prints them: headings, emphasis, inline code, links, lists (with task
// boxes), fenced code blocks, block quotes, rules and pipe tables. Summaries come from
// untrusted workflows: every control character of the input (ANSI escapes included) is shown
// escaped, so the only escape sequences in the output are the renderer's own colors.

#include <string>
#include <string_view>
#include <vector>

namespace gantry::cli {

struct MarkdownStyle {
  bool color = false;  // ANSI bold/italic/colors; without it only the plain text layout
  int width = 80;      // columns for rules and for clipping wide tables
};

/// `markdown` rendered as terminal lines (without '\n'). Pure; never fails: whatever is not
/// recognized is printed as text.
std::vector<std::string> RenderMarkdown(std::string_view markdown, const MarkdownStyle& style);

/// `text` with every control character made visible: ESC as "^[", other C0 characters and DEL
/// in caret notation ("^G", "^?"), C1 characters (U+0080..U+009F) as "\u009b"; tabs become
/// spaces, '\r' is dropped. Newlines are kept.
std::string EscapeControl(std::string_view text);

/// Columns `text` takes on a terminal: code points, not counting ANSI SGR sequences.
int DisplayWidth(std::string_view text);

}  // namespace gantry::cli
