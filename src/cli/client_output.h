#pragma once

// How client commands print: colors only on a terminal and never with NO_COLOR, gh-like status
// symbols, durations and ages, aligned tables (tab-separated when stdout is not a terminal, as
// `gh` does, so scripts can `cut -f`), and `--json [FIELDS]` output.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace gantry::cli {

/// Whether output goes to a terminal and may use colors.
struct OutputStyle {
  bool tty = false;    // stdout is a terminal (tables aligned, `watch` redraws in place)
  bool color = false;  // tty && NO_COLOR unset && TERM != "dumb"
  int width = 80;      // terminal columns (80 when unknown)
  /// Reads isatty(fd), NO_COLOR, TERM and the window size.
  static OutputStyle Detect(int fd);
};

/// `text` wrapped in the ANSI color `name` ("red", "green", "yellow", "cyan", "gray", "bold")
/// when style.color, else unchanged.
std::string Paint(const OutputStyle& style, std::string_view name, std::string_view text);

/// gh's status symbol for a run, job or step, colored: "✓" success (green), "X" failure/
/// timed_out/startup_failure (red), "*" in_progress/queued/waiting/pending (yellow), "-"
/// cancelled/skipped/neutral (gray). `conclusion` is "" while not completed.
std::string StatusSymbol(const OutputStyle& style, std::string_view status,
                         std::string_view conclusion);

/// "1m23s", "45s", "2h3m0s", "0s" (gh's style), for milliseconds >= 0.
std::string FormatDuration(int64_t ms);
/// "less than a minute ago", "about 5 minutes ago", "about 2 hours ago", "about 3 days ago".
std::string FormatAge(int64_t ms_ago);

/// Milliseconds since the epoch of an RFC 3339 UTC time as the API returns it
/// ("2026-12-06T09:00:00.123Z"); 0 for null, "" or a malformed string.
int64_t ParseApiTime(const nlohmann::json& value);

/// Prints rows as a table: columns padded to the widest cell (measured in display columns, so
/// "✓" counts as one) when style.tty, otherwise cells joined by '\t'. `header` is printed
/// (upper-cased, gray) only when style.tty and not empty. A last column is truncated to fit
/// style.width on a terminal.
void PrintTable(std::ostream& out, const OutputStyle& style, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

/// `--json [FIELDS]`: prints `value` (an object or an array of objects) as indented JSON; with
/// `fields` ("id,status"), only those keys of each object, in that order. An unknown field is
/// an error naming the fields that exist (returns false after printing it to `err`).
bool PrintJson(std::ostream& out, std::ostream& err, const nlohmann::json& value,
               std::string_view fields);

}  // namespace gantry::cli
