#include "cli/markdown_terminal.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace gantry::cli {
namespace {

// SGR pairs with their own resets, so that nested spans end without ending their parents.
struct Sgr {
  const char* on;
  const char* off;
};
constexpr Sgr kBold{"\x1b[1m", "\x1b[22m"};
constexpr Sgr kItalic{"\x1b[3m", "\x1b[23m"};
constexpr Sgr kStrike{"\x1b[9m", "\x1b[29m"};
constexpr Sgr kUnderline{"\x1b[4m", "\x1b[24m"};
constexpr Sgr kCode{"\x1b[36m", "\x1b[39m"};
constexpr Sgr kGray{"\x1b[90m", "\x1b[39m"};

std::string Wrap(const MarkdownStyle& style, Sgr sgr, const std::string& text) {
  if (!style.color || text.empty()) return text;
  return sgr.on + text + sgr.off;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

size_t Indent(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && line[n] == ' ') ++n;
  return n;
}

// "&amp;" and friends at `text[i]`: the decoded text and the length consumed (0: none).
std::pair<std::string, size_t> Entity(std::string_view text, size_t i) {
  static const std::pair<const char*, const char*> kEntities[] = {
      {"&amp;", "&"}, {"&lt;", "<"},   {"&gt;", ">"},  {"&quot;", "\""},
      {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", " "}};
  for (const auto& [name, value] : kEntities) {
    if (text.substr(i).starts_with(name)) return {value, std::string_view(name).size()};
  }
  return {"", 0};
}

// The length of an HTML tag at `text[i]` ("<b>", "</details>", "<br/>"), 0 when none.
size_t HtmlTag(std::string_view text, size_t i) {
  size_t j = i + 1;
  if (j < text.size() && text[j] == '/') ++j;
  if (j >= text.size() || std::isalpha(static_cast<unsigned char>(text[j])) == 0) return 0;
  while (j < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[j])) != 0 || text[j] == '-')) {
    ++j;
  }
  if (j < text.size() && text[j] != '>' && text[j] != ' ' && text[j] != '/') return 0;
  size_t end = text.find_first_of("<>", j);
  if (end == std::string_view::npos || text[end] != '>') return 0;
  return end + 1 - i;
}

bool WordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

std::string Inline(std::string_view text, const MarkdownStyle& style);

// A span delimited by `delim` starting at text[i]: its end (the index of the closing
// delimiter) or npos.
size_t Closing(std::string_view text, size_t i, std::string_view delim) {
  size_t from = i + delim.size();
  if (from >= text.size() || text[from] == ' ') return std::string_view::npos;
  size_t end = text.find(delim, from);
  while (end != std::string_view::npos && text[end - 1] == ' ') end = text.find(delim, end + 1);
  if (end == std::string_view::npos || end == from) return std::string_view::npos;
  // `_` closes only at the end of a word (snake_case stays as it is).
  if (delim[0] == '_' && end + delim.size() < text.size() && WordChar(text[end + delim.size()])) {
    return std::string_view::npos;
  }
  return end;
}

// Spans are searched for by scanning ahead, quadratic in the worst case: a longer line (a
// summary is untrusted and may be a megabyte of '*') is printed as it is.
constexpr size_t kMaxInlineLine = 8192;

std::string Inline(std::string_view text, const MarkdownStyle& style) {
  if (text.size() > kMaxInlineLine) return std::string(text);
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size() && std::ispunct(static_cast<unsigned char>(text[i + 1]))) {
      out += text[i + 1];
      i += 2;
      continue;
    }
    if (c == '`') {
      size_t ticks = text.find_first_not_of('`', i) - i;
      if (ticks > text.size()) ticks = text.size() - i;
      std::string delim(ticks, '`');
      size_t end = text.find(delim, i + ticks);
      if (end != std::string_view::npos) {
        out += Wrap(style, kCode, std::string(Trim(text.substr(i + ticks, end - i - ticks))));
        i = end + ticks;
        continue;
      }
    }
    if (c == '*' || c == '_' || c == '~') {
      bool doubled = i + 1 < text.size() && text[i + 1] == c;
      bool opens = c != '_' || i == 0 || !WordChar(text[i - 1]);
      if (opens && (doubled || c != '~')) {
        std::string delim(doubled ? 2 : 1, c);
        size_t end = Closing(text, i, delim);
        if (end != std::string_view::npos) {
          Sgr sgr = c == '~' ? kStrike : doubled ? kBold : kItalic;
          out += Wrap(style, sgr,
                      Inline(text.substr(i + delim.size(), end - i - delim.size()), style));
          i = end + delim.size();
          continue;
        }
      }
    }
    if (c == '[' || (c == '!' && i + 1 < text.size() && text[i + 1] == '[')) {
      bool image = c == '!';
      size_t open = i + (image ? 1 : 0);
      size_t close = text.find("](", open);
      size_t end = close == std::string_view::npos ? close : text.find(')', close + 2);
      if (end != std::string_view::npos &&
          text.substr(open, close - open).find('\n') == std::string_view::npos) {
        std::string label = Inline(text.substr(open + 1, close - open - 1), style);
        std::string url(Trim(text.substr(close + 2, end - close - 2)));
        if (image) label = "[image: " + label + "]";
        if (label.empty() || label == url) {
          out += Wrap(style, kUnderline, url);
        } else {
          out += Wrap(style, kUnderline, label) + " " + Wrap(style, kGray, "(" + url + ")");
        }
        i = end + 1;
        continue;
      }
    }
    if (c == '<') {
      size_t close = text.find('>', i);
      std::string_view inside =
          close == std::string_view::npos ? "" : text.substr(i + 1, close - i - 1);
      if (inside.starts_with("http://") || inside.starts_with("https://")) {
        out += Wrap(style, kUnderline, std::string(inside));
        i = close + 1;
        continue;
      }
      if (size_t n = HtmlTag(text, i); n > 0) {
        std::string tag(text.substr(i, n));
        std::transform(tag.begin(), tag.end(), tag.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
        if (tag.starts_with("<br")) out += ' ';
        i += n;
        continue;
      }
    }
    if (c == '&') {
      if (auto [value, n] = Entity(text, i); n > 0) {
        out += value;
        i += n;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

bool IsRule(std::string_view line) {
  line = Trim(line);
  if (line.size() < 3) return false;
  char c = line[0];
  if (c != '-' && c != '*' && c != '_') return false;
  int n = 0;
  for (char x : line) {
    if (x == c) {
      ++n;
    } else if (x != ' ') {
      return false;
    }
  }
  return n >= 3;
}

// The cells of a pipe-table row ("| a | b |" or "a | b").
std::vector<std::string> Cells(std::string_view line) {
  line = Trim(line);
  if (line.starts_with('|')) line.remove_prefix(1);
  if (line.ends_with('|') && !line.ends_with("\\|")) line.remove_suffix(1);
  std::vector<std::string> cells;
  std::string cur;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
      cur += '|';
      ++i;
    } else if (line[i] == '|') {
      cells.emplace_back(Trim(cur));
      cur.clear();
    } else {
      cur += line[i];
    }
  }
  cells.emplace_back(Trim(cur));
  return cells;
}

bool IsTableSeparator(std::string_view line) {
  if (line.find('-') == std::string_view::npos || line.find('|') == std::string_view::npos) {
    return false;
  }
  for (const std::string& cell : Cells(line)) {
    if (cell.empty() || cell.find_first_not_of(":-") != std::string::npos) return false;
  }
  return true;
}

std::string Pad(const std::string& text, int width, char align) {
  int gap = std::max(0, width - DisplayWidth(text));
  if (align == 'r') return std::string(static_cast<size_t>(gap), ' ') + text;
  if (align == 'c') {
    return std::string(static_cast<size_t>(gap / 2), ' ') + text +
           std::string(static_cast<size_t>(gap - gap / 2), ' ');
  }
  return text + std::string(static_cast<size_t>(gap), ' ');
}

void RenderTable(const std::vector<std::string_view>& rows, const MarkdownStyle& style,
                 std::vector<std::string>& out) {
  std::vector<char> align;
  for (const std::string& cell : Cells(rows[1])) {
    bool left = cell.front() == ':';
    bool right = cell.back() == ':';
    align.push_back(left && right ? 'c' : right ? 'r' : 'l');
  }
  std::vector<std::vector<std::string>> cells;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (r == 1) continue;
    std::vector<std::string> row;
    for (const std::string& cell : Cells(rows[r])) row.push_back(Inline(cell, style));
    row.resize(align.size());
    cells.push_back(std::move(row));
  }
  std::vector<int> widths(align.size(), 0);
  for (const auto& row : cells) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], DisplayWidth(row[c]));
  }
  for (size_t r = 0; r < cells.size(); ++r) {
    std::string line;
    for (size_t c = 0; c < cells[r].size(); ++c) {
      if (c > 0) line += " │ ";
      std::string cell = Pad(cells[r][c], widths[c], align[c]);
      line += r == 0 ? Wrap(style, kBold, cell) : cell;
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out.push_back(line);
    if (r == 0) {
      std::string sep;
      for (size_t c = 0; c < widths.size(); ++c) {
        if (c > 0) sep += "─┼─";
        for (int k = 0; k < widths[c]; ++k) sep += "─";
      }
      out.push_back(sep);
    }
  }
}

}  // namespace

std::string EscapeControl(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += '\n';
    } else if (c == '\t') {
      out += "    ";
    } else if (c == '\r') {
      continue;
    } else if (c == 0x1b) {
      out += "^[";
    } else if (c < 0x20) {
      out += '^';
      out += static_cast<char>(c + 0x40);
    } else if (c == 0x7f) {
      out += "^?";
    } else if (c == 0xc2 && i + 1 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(text[i + 1]));
      out += buf;
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

int DisplayWidth(std::string_view text) {
  int width = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0x1b && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && (text[i] < 0x40 || text[i] > 0x7e)) ++i;
      continue;
    }
    if ((c & 0xc0) != 0x80) ++width;
  }
  return width;
}

std::vector<std::string> RenderMarkdown(std::string_view markdown, const MarkdownStyle& style) {
  const std::string text = EscapeControl(markdown);
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos <= text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(std::string_view(text).substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::vector<std::string> out;
  auto blank = [&out]() {
    if (!out.empty() && !out.back().empty()) out.emplace_back();
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    std::string_view trimmed = Trim(line);
    if (trimmed.empty()) {
      blank();
      continue;
    }
    if (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
      std::string fence(trimmed.substr(0, 3));
      for (++i; i < lines.size() && !Trim(lines[i]).starts_with(fence); ++i) {
        out.push_back("    " + Wrap(style, kGray, std::string(lines[i])));
      }
      continue;
    }
    if (trimmed.starts_with('#')) {
      size_t level = trimmed.find_first_not_of('#');
      if (level != std::string_view::npos && level <= 6 && trimmed[level] == ' ') {
        std::string_view title = Trim(trimmed.substr(level));
        while (title.ends_with('#')) title.remove_suffix(1);
        blank();
        std::string rendered = Inline(Trim(title), style);
        out.push_back(level == 1 ? Wrap(style, kUnderline, Wrap(style, kBold, rendered))
                                 : Wrap(style, kBold, rendered));
        continue;
      }
    }
    if (IsRule(line)) {
      out.push_back(Wrap(style, kGray, [&] {
        std::string rule;
        for (int k = 0; k < std::min(style.width, 40); ++k) rule += "─";
        return rule;
      }()));
      continue;
    }
    if (trimmed.starts_with('>')) {
      std::string_view quoted = trimmed.substr(1);
      if (quoted.starts_with(' ')) quoted.remove_prefix(1);
      out.push_back(Wrap(style, kGray, "│ ") + Inline(quoted, style));
      continue;
    }
    if (trimmed.find('|') != std::string_view::npos && i + 1 < lines.size() &&
        IsTableSeparator(lines[i + 1])) {
      std::vector<std::string_view> rows = {line, lines[i + 1]};
      for (i += 2; i < lines.size() && Trim(lines[i]).find('|') != std::string_view::npos; ++i) {
        rows.push_back(lines[i]);
      }
      --i;
      RenderTable(rows, style, out);
      continue;
    }
    size_t indent = Indent(line);
    std::string pad(indent / 2 * 2, ' ');
    if ((trimmed.starts_with("- ") || trimmed.starts_with("* ") || trimmed.starts_with("+ "))) {
      std::string_view item = trimmed.substr(2);
      std::string bullet = "• ";
      if (item.starts_with("[ ] ")) {
        bullet = "☐ ";
        item.remove_prefix(4);
      } else if (item.starts_with("[x] ") || item.starts_with("[X] ")) {
        bullet = "☑ ";
        item.remove_prefix(4);
      }
      out.push_back(pad + bullet + Inline(item, style));
      continue;
    }
    size_t digits = trimmed.find_first_not_of("0123456789");
    if (digits != std::string_view::npos && digits > 0 && digits < 10 &&
        (trimmed[digits] == '.' || trimmed[digits] == ')') && digits + 1 < trimmed.size() &&
        trimmed[digits + 1] == ' ') {
      out.push_back(pad + std::string(trimmed.substr(0, digits)) + ". " +
                    Inline(trimmed.substr(digits + 2), style));
      continue;
    }
    // Setext headings: a line of text underlined with === or ---.
    if (i + 1 < lines.size() && !Trim(lines[i + 1]).empty() &&
        Trim(lines[i + 1]).find_first_not_of(Trim(lines[i + 1])[0] == '=' ? "=" : "-") ==
            std::string_view::npos &&
        Trim(lines[i + 1]).size() >= 2) {
      blank();
      out.push_back(Wrap(style, kBold, Inline(trimmed, style)));
      ++i;
      continue;
    }
    out.push_back(Inline(trimmed, style));
  }
  while (!out.empty() && out.back().empty()) out.pop_back();
  while (!out.empty() && out.front().empty()) out.erase(out.begin());
  return out;
}

}  // namespace gantry::cli
