#include "reports/markdown.h"

namespace gantry::reports {

std::string MarkdownCell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= 200) {
      out += "…";
      break;
    }
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace gantry::reports
