#pragma once

// A job's log text as the `data:` lines of a server-sent event (GET /api/v1/jobs/{id}/logs
// ?follow=1). The SSE format ends a line at LF, CR or CRLF, so a progress bar's bare CR
// inside a log line would cut the event there; the stream gives each line as a terminal
// shows it instead.

#include <string>
#include <string_view>

namespace gantry::server {

/// One stored log line (without its '\n') as a terminal leaves it: a CR before the end
/// returns to the start of the line's text, so only the text written after the last CR
/// that is followed by any stays; the "<RFC 3339 timestamp> " prefix the executor put in
/// front is kept. CRs at the end are dropped. The result holds no CR.
std::string TerminalLine(std::string_view line);

/// The `data:` lines (each ending in '\n') of one SSE event carrying `text`: one per log line,
/// each passed through TerminalLine. The event's blank line is the caller's.
std::string SseLogData(std::string_view text);

}  // namespace gantry::server
