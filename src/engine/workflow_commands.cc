#include "engine/workflow_commands.h"

#include <array>

namespace gantry::engine {
namespace {

// The commands GitHub's runner registers (ActionCommandManager); anything else that looks
// like a command is plain output.
constexpr std::array<std::string_view, 15> kCommands = {
    "add-mask",   "add-matcher", "add-path",   "debug",         "echo",
    "endgroup",   "error",       "group",      "notice",        "remove-matcher",
    "save-state", "set-env",     "set-output", "stop-commands", "warning"};

struct Escape {
  std::string_view from;
  std::string_view to;
};
// The runner undoes escapes one mapping after another over the whole string (so "%250A"
// becomes "%0A", not a newline); the order of each table is the runner's.
constexpr std::array<Escape, 3> kDataEscapes = {{{"%0D", "\r"}, {"%0A", "\n"}, {"%25", "%"}}};
constexpr std::array<Escape, 5> kPropertyEscapes = {
    {{"%0D", "\r"}, {"%0A", "\n"}, {"%3A", ":"}, {"%2C", ","}, {"%25", "%"}}};
constexpr std::array<Escape, 5> kLegacyEscapes = {
    {{"%3B", ";"}, {"%0D", "\r"}, {"%0A", "\n"}, {"%5D", "]"}, {"%25", "%"}}};

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = Lower(c);
  return out;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view TrimStart(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  return s;
}

std::string_view Trim(std::string_view s) {
  s = TrimStart(s);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

template <size_t N>
std::string Unescape(std::string_view text, const std::array<Escape, N>& table) {
  std::string s(text);
  for (const Escape& e : table) {
    size_t pos = s.find(e.from);
    if (pos == std::string::npos) continue;
    std::string out;
    size_t copied = 0;
    for (; pos != std::string::npos; pos = s.find(e.from, copied)) {
      out.append(s, copied, pos - copied);
      out.append(e.to);
      copied = pos + e.from.size();
    }
    out.append(s, copied);
    s = std::move(out);
  }
  return s;
}

// The name of a known command (or of `extra`, a stop-commands token), lower-cased.
std::optional<std::string> CommandName(std::string_view name, std::string_view extra) {
  if (!extra.empty() && EqualsIgnoreCase(name, extra)) return ToLower(name);
  for (std::string_view known : kCommands) {
    if (EqualsIgnoreCase(name, known)) return std::string(known);
  }
  return std::nullopt;
}

// Splits `item` at `sep` into a non-empty key and value the way .NET's
// Split(sep, 2, RemoveEmptyEntries) does: leading separators and the separators right after
// the key are skipped. False when either part is empty.
bool SplitPair(std::string_view item, char sep, std::string_view* key, std::string_view* value) {
  size_t start = item.find_first_not_of(sep);
  if (start == std::string_view::npos) return false;
  item.remove_prefix(start);
  size_t eq = item.find(sep);
  if (eq == std::string_view::npos) return false;
  *key = item.substr(0, eq);
  size_t rest = item.find_first_not_of(sep, eq);
  if (rest == std::string_view::npos) return false;
  *value = item.substr(rest);
  return true;
}

template <size_t N>
void ParseProperties(std::string_view text, char separator, const std::array<Escape, N>& table,
                     WorkflowCommand* command) {
  while (!text.empty()) {
    size_t end = text.find(separator);
    std::string_view item = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    std::string_view key;
    std::string_view value;
    if (item.empty() || !SplitPair(item, '=', &key, &value)) continue;
    std::string unescaped = Unescape(value, table);
    bool replaced = false;
    for (auto& [k, v] : command->properties) {
      if (EqualsIgnoreCase(k, key)) {
        v = unescaped;
        replaced = true;
        break;
      }
    }
    if (!replaced) command->properties.emplace_back(std::string(key), std::move(unescaped));
  }
}

// `::name k=v,k=v::message`, after leading whitespace.
std::optional<WorkflowCommand> ParseV2(std::string_view line, std::string_view extra) {
  line = TrimStart(line);
  if (line.substr(0, 2) != "::") return std::nullopt;
  size_t end = line.find("::", 2);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view info = line.substr(2, end - 2);
  size_t space = info.find(' ');
  std::optional<std::string> name = CommandName(info.substr(0, space), extra);
  if (!name) return std::nullopt;
  WorkflowCommand command;
  command.name = std::move(*name);
  if (space != std::string_view::npos && space > 0) {
    ParseProperties(Trim(info.substr(space + 1)), ',', kPropertyEscapes, &command);
  }
  command.message = Unescape(line.substr(end + 2), kDataEscapes);
  return command;
}

// The legacy `##[name k=v;k=v]message`, anywhere in the line.
std::optional<WorkflowCommand> ParseLegacy(std::string_view line, std::string_view extra) {
  size_t prefix = line.find("##[");
  if (prefix == std::string_view::npos) return std::nullopt;
  size_t rb = line.find(']', prefix);
  if (rb == std::string_view::npos) return std::nullopt;
  std::string_view info = line.substr(prefix + 3, rb - prefix - 3);
  size_t space = info.find(' ');
  std::optional<std::string> name = CommandName(info.substr(0, space), extra);
  if (!name) return std::nullopt;
  WorkflowCommand command;
  command.name = std::move(*name);
  if (space != std::string_view::npos && space > 0) {
    ParseProperties(info.substr(space + 1), ';', kLegacyEscapes, &command);
  }
  command.message = Unescape(line.substr(rb + 1), kLegacyEscapes);
  return command;
}

std::optional<WorkflowCommand> Parse(std::string_view line, std::string_view extra) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return std::nullopt;
  if (std::optional<WorkflowCommand> v2 = ParseV2(line, extra)) return v2;
  return ParseLegacy(line, extra);
}

std::string_view StripBom(std::string_view content) {
  if (content.substr(0, 3) == "\xEF\xBB\xBF") content.remove_prefix(3);
  return content;
}

}  // namespace

const std::string* WorkflowCommand::Property(std::string_view key) const {
  for (const auto& [k, v] : properties) {
    if (EqualsIgnoreCase(k, key)) return &v;
  }
  return nullptr;
}

std::optional<WorkflowCommand> ParseWorkflowCommand(std::string_view line) {
  return Parse(line, {});
}

std::optional<WorkflowCommand> CommandGate::Process(std::string_view line) {
  if (stopped_) {
    std::optional<WorkflowCommand> command = Parse(line, stop_token_);
    if (command && !stop_token_.empty() && EqualsIgnoreCase(command->name, stop_token_)) {
      stopped_ = false;
      stop_token_.clear();
    }
    return std::nullopt;
  }
  std::optional<WorkflowCommand> command = Parse(line, {});
  if (command && command->name == "stop-commands") {
    stopped_ = true;
    stop_token_ = command->message;
  }
  return command;
}

core::Result<std::vector<std::pair<std::string, std::string>>> ParseEnvFile(
    std::string_view content) {
  content = StripBom(content);
  std::vector<std::pair<std::string, std::string>> pairs;
  size_t index = 0;
  // Reads the line at `index` (without its '\n') and advances past it; `newline` tells
  // whether the line had one. nullopt at the end of the content.
  auto read_line = [&](bool* newline) -> std::optional<std::string_view> {
    if (index >= content.size()) return std::nullopt;
    size_t lf = content.find('\n', index);
    std::string_view line;
    if (lf == std::string_view::npos) {
      line = content.substr(index);
      index = content.size();
      *newline = false;
    } else {
      line = content.substr(index, lf - index);
      index = lf + 1;
      *newline = true;
    }
    return line;
  };
  bool newline = false;
  for (std::optional<std::string_view> line = read_line(&newline); line;
       line = read_line(&newline)) {
    if (line->empty()) continue;
    size_t equals = line->find('=');
    size_t heredoc = line->find("<<");
    if (equals != std::string_view::npos && equals < heredoc) {
      if (equals == 0) {
        // The runner means to reject this but checks the wrong variable; an empty name is
        // never useful, so Gantry reports it with the runner's wording.
        return core::Status::InvalidArgument("Invalid format '" + std::string(*line) +
                                             "'. Name must not be empty");
      }
      pairs.emplace_back(std::string(line->substr(0, equals)),
                         std::string(line->substr(equals + 1)));
    } else if (heredoc != std::string_view::npos) {
      std::string_view name = line->substr(0, heredoc);
      std::string_view delimiter = line->substr(heredoc + 2);
      if (name.empty() || delimiter.empty()) {
        return core::Status::InvalidArgument(
            "Invalid format '" + std::string(*line) +
            "'. Name must not be empty and delimiter must not be empty");
      }
      size_t start = index;
      size_t end = index;
      for (std::optional<std::string_view> value_line = read_line(&newline);
           !value_line || *value_line != delimiter; value_line = read_line(&newline)) {
        if (!value_line) {
          return core::Status::InvalidArgument("Invalid value. Matching delimiter not found '" +
                                               std::string(delimiter) + "'");
        }
        if (!newline) {
          return core::Status::InvalidArgument("Invalid value. EOF marker missing new line.");
        }
        end = index - 1;
      }
      pairs.emplace_back(std::string(name), std::string(content.substr(start, end - start)));
    } else {
      return core::Status::InvalidArgument("Invalid format '" + std::string(*line) + "'");
    }
  }
  return pairs;
}

std::vector<std::string> ParsePathFile(std::string_view content) {
  content = StripBom(content);
  std::vector<std::string> paths;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find_first_of("\r\n", start);
    if (end == std::string_view::npos) end = content.size();
    if (end > start) paths.emplace_back(content.substr(start, end - start));
    start = end + 1;
    if (end < content.size() && content[end] == '\r' && start < content.size() &&
        content[start] == '\n') {
      ++start;
    }
  }
  return paths;
}

}  // namespace gantry::engine
