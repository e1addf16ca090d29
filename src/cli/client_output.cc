// Terminal output of the client commands: colors, gh's status symbols, durations, ages,
// tables and --json.

#include "cli/client_output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace gantry::cli {
namespace {

// The display columns of a UTF-8 string without its ANSI escape sequences (each code point
// counts as one column: the symbols used here are all narrow).
size_t DisplayWidth(std::string_view s) {
  size_t width = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033' && i + 1 < s.size() && s[i + 1] == '[') {
      i += 2;
      while (i < s.size() && !std::isalpha(static_cast<unsigned char>(s[i]))) ++i;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++width;
  }
  return width;
}

// `s` cut to `width` display columns, the last one an ellipsis when it was cut.
std::string Truncate(std::string_view s, size_t width) {
  if (DisplayWidth(s) <= width) return std::string(s);
  if (width == 0) return "";
  std::string out;
  size_t shown = 0;
  bool escaped = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033' && i + 1 < s.size() && s[i + 1] == '[') {
      size_t end = i + 2;
      while (end < s.size() && !std::isalpha(static_cast<unsigned char>(s[end]))) ++end;
      out.append(s.substr(i, end - i + 1));
      escaped = true;
      i = end;
      continue;
    }
    bool starts = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (starts && shown == width - 1) break;
    if (starts) ++shown;
    out.push_back(s[i]);
  }
  out += "…";
  if (escaped) out += "\033[0m";
  return out;
}

}  // namespace

OutputStyle OutputStyle::Detect(int fd) {
  OutputStyle style;
  style.tty = ::isatty(fd) == 1;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  style.color = style.tty && (no_color == nullptr || *no_color == '\0') &&
                !(term != nullptr && std::string_view(term) == "dumb");
  winsize ws{};
  if (style.tty && ::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    style.width = ws.ws_col;
  } else if (const char* columns = std::getenv("COLUMNS"); columns != nullptr) {
    int n = std::atoi(columns);
    if (n > 0) style.width = n;
  }
  return style;
}

std::string Paint(const OutputStyle& style, std::string_view name, std::string_view text) {
  if (!style.color) return std::string(text);
  std::string_view code;
  if (name == "red") {
    code = "31";
  } else if (name == "green") {
    code = "32";
  } else if (name == "yellow") {
    code = "33";
  } else if (name == "cyan") {
    code = "36";
  } else if (name == "gray") {
    code = "90";
  } else if (name == "bold") {
    code = "1";
  } else {
    return std::string(text);
  }
  return "\033[" + std::string(code) + "m" + std::string(text) + "\033[0m";
}

std::string StatusSymbol(const OutputStyle& style, std::string_view status,
                         std::string_view conclusion) {
  if (status == "completed" || !conclusion.empty()) {
    if (conclusion == "success") return Paint(style, "green", "✓");
    if (conclusion == "failure" || conclusion == "timed_out" || conclusion == "startup_failure" ||
        conclusion == "action_required") {
      return Paint(style, "red", "X");
    }
    return Paint(style, "gray", "-");
  }
  // Held back by an environment's reviewers or wait timer.
  if (status == "waiting") return Paint(style, "yellow", "!");
  return Paint(style, "yellow", "*");
}

std::string FormatDuration(int64_t ms) {
  int64_t s = std::max<int64_t>(ms, 0) / 1000;
  int64_t h = s / 3600;
  int64_t m = (s % 3600) / 60;
  s %= 60;
  if (h > 0) return std::to_string(h) + "h" + std::to_string(m) + "m" + std::to_string(s) + "s";
  if (m > 0) return std::to_string(m) + "m" + std::to_string(s) + "s";
  return std::to_string(s) + "s";
}

std::string FormatAge(int64_t ms_ago) {
  auto about = [](int64_t n, const char* unit) {
    return "about " + std::to_string(n) + " " + unit + (n == 1 ? "" : "s") + " ago";
  };
  constexpr int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;
  if (ms_ago < kMinute) return "less than a minute ago";
  if (ms_ago < kHour) return about(ms_ago / kMinute, "minute");
  if (ms_ago < kDay) return about(ms_ago / kHour, "hour");
  if (ms_ago < 30 * kDay) return about(ms_ago / kDay, "day");
  if (ms_ago < 365 * kDay) return about(ms_ago / kDay / 30, "month");
  return about(ms_ago / kDay / 365, "year");
}

int64_t ParseApiTime(const nlohmann::json& value) {
  if (!value.is_string()) return 0;
  const std::string& s = value.get_ref<const std::string&>();
  std::tm tm{};
  int millis = 0;
  char frac[16] = {0};
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%15[.0-9]", &tm.tm_year, &tm.tm_mon,
                      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, frac);
  if (n < 6 || s.empty() || (s.back() != 'Z' && s.back() != 'z')) return 0;
  if (n == 7 && frac[0] == '.') {
    std::string digits = std::string(frac + 1).substr(0, 3);
    while (digits.size() < 3) digits += '0';
    millis = std::atoi(digits.c_str());
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t t = timegm(&tm);
  if (t == static_cast<time_t>(-1)) return 0;
  return static_cast<int64_t>(t) * 1000 + millis;
}

void PrintTable(std::ostream& out, const OutputStyle& style, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows) {
  if (!style.tty) {
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) out << (i == 0 ? "" : "\t") << row[i];
      out << "\n";
    }
    return;
  }
  std::vector<std::string> head;
  for (const std::string& h : header) {
    std::string upper = h;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    head.push_back(upper);
  }
  std::vector<size_t> widths;
  auto measure = [&widths](const std::vector<std::string>& row) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  };
  if (!head.empty()) measure(head);
  for (const auto& row : rows) measure(row);
  auto print = [&](const std::vector<std::string>& row, bool is_header) {
    std::string line;
    size_t used = 0;
    for (size_t i = 0; i < row.size(); ++i) {
      bool last = i + 1 == row.size();
      std::string cell = row[i];
      if (last) {
        size_t room = static_cast<size_t>(std::max(style.width, 1));
        cell = Truncate(cell, room > used ? room - used : 1);
      }
      cell = is_header ? Paint(style, "gray", cell) : cell;
      line += cell;
      if (!last) {
        size_t pad = widths[i] - DisplayWidth(row[i]) + 2;
        line.append(pad, ' ');
        used += widths[i] + 2;
      }
    }
    out << line << "\n";
  };
  if (!head.empty()) print(head, true);
  for (const auto& row : rows) print(row, false);
}

bool PrintJson(std::ostream& out, std::ostream& err, const nlohmann::json& value,
               std::string_view fields) {
  if (fields.empty()) {
    out << value.dump(2) << "\n";
    return true;
  }
  std::vector<std::string> wanted;
  size_t pos = 0;
  while (pos <= fields.size()) {
    size_t comma = fields.find(',', pos);
    if (comma == std::string_view::npos) comma = fields.size();
    std::string field(fields.substr(pos, comma - pos));
    field.erase(0, field.find_first_not_of(' '));
    field.erase(field.find_last_not_of(' ') + 1);
    if (!field.empty()) wanted.push_back(field);
    pos = comma + 1;
  }
  // The fields that exist: the keys of the (first) object.
  const nlohmann::json* sample = value.is_array() && !value.empty() ? &value[0] : &value;
  std::vector<std::string> known;
  if (sample->is_object()) {
    for (const auto& [key, v] : sample->items()) known.push_back(key);
  }
  for (const std::string& field : wanted) {
    if (std::find(known.begin(), known.end(), field) != known.end()) continue;
    if (value.is_array() && value.empty()) continue;  // nothing to check against
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    err << "gantry: unknown JSON field '" << field << "'; available fields: " << list << "\n";
    return false;
  }
  auto pick = [&wanted](const nlohmann::json& object) {
    nlohmann::ordered_json ordered = nlohmann::ordered_json::object();
    for (const std::string& field : wanted) {
      ordered[field] = object.contains(field) ? nlohmann::ordered_json(object[field]) : nullptr;
    }
    return ordered;
  };
  if (value.is_array()) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& item : value)
      arr.push_back(item.is_object() ? pick(item) : nlohmann::ordered_json(item));
    out << arr.dump(2) << "\n";
  } else if (value.is_object()) {
    out << pick(value).dump(2) << "\n";
  } else {
    out << value.dump(2) << "\n";
  }
  return true;
}

}  // namespace gantry::cli
