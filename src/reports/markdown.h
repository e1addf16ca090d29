#pragma once

// Markdown shared by the reports' renderers: the step summaries of the report actions
// (actions/report_text.cc) and a run's pull-request comment (server/run_comment.cc).

#include <string>
#include <string_view>

namespace gantry::reports {

/// `text` made safe for one markdown table cell or list item: line breaks become spaces, `|`
/// is escaped, and text past 200 bytes is cut with "…".
std::string MarkdownCell(std::string_view text);

}  // namespace gantry::reports
