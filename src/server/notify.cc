#include "server/notify.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "core/strings.h"

namespace gantry::server::notify {
namespace {

std::string ShortSha(const std::string& sha) { return sha.substr(0, 7); }

std::string FailedList(const RunSummary& run) {
  std::string out;
  for (const std::string& name : run.failed_jobs) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out.empty() ? "none" : out;
}

bool Ascii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string Base64(std::string_view in) {
  static constexpr char kChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out += kChars[(v >> 18) & 63];
    out += kChars[(v >> 12) & 63];
    out += kChars[(v >> 6) & 63];
    out += kChars[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kChars[(v >> 18) & 63];
    out += kChars[(v >> 12) & 63];
    out += i + 1 < in.size() ? kChars[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Quoted-printable (RFC 2045) of UTF-8 text with CRLF line ends and soft breaks under 76.
std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t column = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      // A space before a line end must be encoded, or transports may strip it.
      if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
        char last = out.back();
        out.pop_back();
        out += '=';
        out += kHex[static_cast<uint8_t>(last) >> 4];
        out += kHex[static_cast<uint8_t>(last) & 15];
      }
      out += "\r\n";
      column = 0;
      continue;
    }
    if (c == '\r') continue;
    std::string piece;
    auto u = static_cast<uint8_t>(c);
    if ((u >= 33 && u <= 126 && c != '=') || c == ' ' || c == '\t') {
      piece = std::string(1, c);
    } else {
      piece = {'=', kHex[u >> 4], kHex[u & 15]};
    }
    if (column + piece.size() > 75) {
      out += "=\r\n";
      column = 0;
    }
    out += piece;
    column += piece.size();
  }
  return out;
}

}  // namespace

std::optional<On> ParseOn(std::string_view text) {
  if (text == "failure") return On::kFailure;
  if (text == "fixed") return On::kFixed;
  if (text == "always") return On::kAlways;
  if (text == "never") return On::kNever;
  return std::nullopt;
}

bool IsFailed(std::string_view conclusion) {
  return conclusion == "failure" || conclusion == "timed_out";
}

bool ShouldNotify(On on, std::string_view conclusion, std::string_view previous) {
  switch (on) {
    case On::kAlways:
      return true;
    case On::kNever:
      return false;
    case On::kFailure:
      return IsFailed(conclusion);
    case On::kFixed:
      return conclusion == "success" && IsFailed(previous);
  }
  return false;
}

std::string Render(std::string_view tmpl, const RunSummary& run) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    size_t open = tmpl.find("{{", i);
    if (open == std::string_view::npos) break;
    size_t close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(tmpl.substr(i, open - i));
    std::string name(core::TrimSpace(tmpl.substr(open + 2, close - open - 2)));
    if (name == "project") {
      out += run.project;
    } else if (name == "workflow") {
      out += run.workflow;
    } else if (name == "branch") {
      out += run.branch;
    } else if (name == "sha") {
      out += ShortSha(run.sha);
    } else if (name == "conclusion") {
      out += run.conclusion;
    } else if (name == "run_url") {
      out += run.run_url;
    } else if (name == "actor") {
      out += run.actor;
    } else if (name == "failed_jobs") {
      out += FailedList(run);
    } else {
      out.append(tmpl.substr(open, close + 2 - open));
    }
    i = close + 2;
  }
  out.append(tmpl.substr(i));
  return out;
}

std::optional<std::vector<int64_t>> ParseBackoff(std::string_view text) {
  std::vector<int64_t> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = core::TrimSpace(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    int64_t n = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
    if (ec != std::errc() || n < 0) return std::nullopt;
    std::string_view unit(end, item.data() + item.size() - end);
    int64_t scale = 0;
    if (unit == "ms") scale = 1;
    if (unit == "s") scale = 1000;
    if (unit == "m") scale = 60000;
    if (unit == "h") scale = 3600000;
    if (scale == 0) return std::nullopt;
    out.push_back(n * scale);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

int64_t BackoffDelayMs(const std::vector<int64_t>& schedule, int attempts) {
  if (schedule.empty()) return 0;
  size_t i = attempts <= 0 ? 0 : static_cast<size_t>(attempts - 1);
  return schedule[std::min(i, schedule.size() - 1)];
}

nlohmann::json WebhookBody(const RunSummary& run) {
  return {{"event", "run.completed"},
          {"project", run.project},
          {"run",
           {{"id", run.run_id},
            {"number", run.number},
            {"workflow", run.workflow},
            {"branch", run.branch},
            {"sha", run.sha},
            {"conclusion", run.conclusion},
            {"url", run.run_url},
            {"actor", run.actor},
            {"failed_jobs", run.failed_jobs}}}};
}

nlohmann::json SlackBody(const RunSummary& run) {
  std::string icon = run.conclusion == "success" ? ":white_check_mark:"
                     : IsFailed(run.conclusion)  ? ":x:"
                                                 : ":heavy_minus_sign:";
  std::string text =
      Render("{{project}}: {{workflow}} {{conclusion}} on {{branch}} ({{sha}})", run);
  std::string detail = Render(
      "*<{{run_url}}|{{workflow}} #NUM>* {{conclusion}}\nBranch `{{branch}}` at `{{sha}}` by "
      "{{actor}}",
      run);
  if (size_t at = detail.find("#NUM"); at != std::string::npos) {
    detail.replace(at, 4, "#" + std::to_string(run.number));
  }
  if (!run.failed_jobs.empty()) detail += "\nFailed jobs: " + FailedList(run);
  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back(
      {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", icon + " " + detail}}}});
  return {{"text", icon + " " + text}, {"blocks", blocks}};
}

std::string EncodeHeader(std::string_view value) {
  if (Ascii(value)) return std::string(value);
  // Encoded words of at most 45 input bytes (60 base64 characters), split between UTF-8
  // sequences so that each word decodes on its own.
  std::string out;
  size_t i = 0;
  while (i < value.size()) {
    size_t end = std::min(value.size(), i + 45);
    while (end < value.size() && (static_cast<uint8_t>(value[end]) & 0xC0) == 0x80) --end;
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + Base64(value.substr(i, end - i)) + "?=";
    i = end;
  }
  return out;
}

std::string EmailMessage(const std::string& from, const std::vector<std::string>& to,
                         const std::string& subject, const std::string& body, int64_t now_ms,
                         const std::string& id_left) {
  std::time_t t = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char date[64];
  std::snprintf(date, sizeof date, "%s, %02d %s %04d %02d:%02d:%02d +0000", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  std::string domain = "gantry.invalid";
  if (size_t at = from.rfind('@'); at != std::string::npos) {
    domain = from.substr(at + 1);
    while (!domain.empty() && domain.back() == '>') domain.pop_back();
  }
  std::string to_line;
  for (const std::string& addr : to) {
    if (!to_line.empty()) to_line += ", ";
    to_line += addr;
  }
  std::string m;
  m += "Date: " + std::string(date) + "\r\n";
  m += "Message-ID: <" + id_left + "@" + domain + ">\r\n";
  m += "From: " + from + "\r\n";
  m += "To: " + to_line + "\r\n";
  m += "Subject: " + EncodeHeader(subject) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=UTF-8\r\n";
  m += "Content-Transfer-Encoding: quoted-printable\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "\r\n";
  m += QuotedPrintable(body);
  if (m.size() < 2 || m.compare(m.size() - 2, 2, "\r\n") != 0) m += "\r\n";
  return m;
}

std::string ForgeState(std::string_view conclusion) {
  if (conclusion.empty()) return "pending";
  if (conclusion == "success" || conclusion == "skipped") return "success";
  if (IsFailed(conclusion)) return "failure";
  return "error";  // cancelled
}

bool ValidEmail(std::string_view address) {
  size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos ||
      address.find('@', at + 1) != std::string_view::npos)
    return false;
  std::string_view domain = address.substr(at + 1);
  if (domain.empty() || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.')
    return false;
  for (char c : address) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 32 || u == 127 || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' ||
        c == '(' || c == ')' || c == '\\')
      return false;
  }
  return true;
}

bool ValidHttpUrl(std::string_view url) {
  std::string_view rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 32) return false;
  }
  return true;
}

}  // namespace gantry::server::notify
