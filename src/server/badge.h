#pragma once

// Status badges (an SVG of two parts, like shields.io's flat style): a label on grey at the
// left, a status on its colour at the right. Pure functions, no I/O.

#include <string>
#include <string_view>

namespace gantry::server {

enum class BadgeStatus { kPassing, kFailing, kCancelled, kRunning, kNoStatus };

/// The badge's word for a run's status and conclusion ("" conclusion while not completed;
/// status "" for no run at all): passing, failing, cancelled, running or no status.
BadgeStatus BadgeStatusOf(std::string_view status, std::string_view conclusion);

/// "passing", "failing", "cancelled", "running", "no status".
std::string_view BadgeText(BadgeStatus status);

/// The SVG document of a badge. `label` is any text (user input: it is XML-escaped, invalid
/// UTF-8 and control characters replaced, and cut to 60 characters with "…").
std::string RenderBadge(std::string_view label, BadgeStatus status);

/// The width in pixels of `text` (UTF-8) in 11px Verdana, estimated per character.
int TextWidth(std::string_view text);

/// `text` with &, <, >, " and ' as XML entities.
std::string XmlEscape(std::string_view text);

}  // namespace gantry::server
