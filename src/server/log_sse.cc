#include "server/log_sse.h"

namespace gantry::server {
namespace {

// "2026-12-06T09:00:00.123Z " at the start of a stored line: the digits and separators of an
// RFC 3339 UTC time, as web/src/lib/log_model.ts's splitStamp recognises it.
size_t StampLength(std::string_view line) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos || space < 20 || space > 40) return 0;
  std::string_view stamp = line.substr(0, space);
  if (stamp.back() != 'Z' || stamp[4] != '-' || stamp[7] != '-' || stamp[10] != 'T' ||
      stamp[13] != ':' || stamp[16] != ':') {
    return 0;
  }
  for (char c : stamp) {
    if ((c < '0' || c > '9') && c != '-' && c != ':' && c != 'T' && c != '.' && c != 'Z') return 0;
  }
  return space + 1;
}

}  // namespace

std::string TerminalLine(std::string_view line) {
  while (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  size_t cr = line.rfind('\r');
  if (cr == std::string_view::npos) return std::string(line);
  size_t stamp = StampLength(line);
  std::string out(line.substr(0, stamp));
  out.append(line.substr(cr + 1));
  return out;
}

std::string SseLogData(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    out += "data: ";
    out += TerminalLine(text.substr(pos, end - pos));
    out += '\n';
    pos = end + 1;
  }
  return out;
}

}  // namespace gantry::server
