#include "server/badge.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "fmt/format.h"

namespace gantry::server {
namespace {

constexpr size_t kMaxLabelChars = 60;

// The code points of UTF-8 `text`; an invalid sequence is U+FFFD, a control character a space.
std::vector<char32_t> CodePoints(std::string_view text) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    int extra = byte < 0x80           ? 0
                : (byte >> 5) == 0x6  ? 1
                : (byte >> 4) == 0xE  ? 2
                : (byte >> 3) == 0x1E ? 3
                                      : -1;
    char32_t cp = extra == 0   ? byte
                  : extra == 1 ? byte & 0x1F
                  : extra == 2 ? byte & 0x0F
                               : byte & 0x07;
    bool ok = extra >= 0 && i + static_cast<size_t>(extra) < text.size();
    for (int k = 1; ok && k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + static_cast<size_t>(k)]);
      if ((next & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    static constexpr char32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (ok && (cp < kMin[extra] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)) ok = false;
    if (!ok) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    out.push_back(cp < 0x20 || cp == 0x7F ? U' ' : cp);
    i += static_cast<size_t>(extra) + 1;
  }
  return out;
}

void AppendUtf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Approximate advance widths of 11px Verdana (shields.io measures the same font).
double CharWidth(char32_t c) {
  if (c == ' ') return 3.9;
  if (c >= '0' && c <= '9') return 7.0;
  if (c >= 0x1100) return 11.0;  // CJK and other wide scripts, emoji
  switch (c) {
    case 'i':
    case 'l':
    case 'j':
    case '.':
    case ',':
    case ':':
    case ';':
    case '!':
    case '|':
    case '\'':
    case 'I':
      return 3.3;
    case 'f':
    case 't':
    case 'r':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '/':
    case '\\':
    case '-':
    case '"':
      return 4.6;
    case 'm':
      return 10.7;
    case 'w':
      return 8.9;
    case 'M':
    case 'W':
      return 10.4;
    default:
      break;
  }
  if (c >= 'A' && c <= 'Z') return 7.6;
  if (c >= 'a' && c <= 'z') return 6.7;
  return 8.0;
}

std::string_view Color(BadgeStatus status) {
  switch (status) {
    case BadgeStatus::kPassing:
      return "#4c1";
    case BadgeStatus::kFailing:
      return "#e05d44";
    case BadgeStatus::kRunning:
      return "#dfb317";
    case BadgeStatus::kCancelled:
    case BadgeStatus::kNoStatus:
      return "#9f9f9f";
  }
  return "#9f9f9f";
}

}  // namespace

BadgeStatus BadgeStatusOf(std::string_view status, std::string_view conclusion) {
  if (status == "queued" || status == "in_progress" || status == "waiting") {
    return BadgeStatus::kRunning;
  }
  if (status != "completed") return BadgeStatus::kNoStatus;
  if (conclusion == "success") return BadgeStatus::kPassing;
  if (conclusion == "failure" || conclusion == "timed_out") return BadgeStatus::kFailing;
  if (conclusion == "cancelled") return BadgeStatus::kCancelled;
  return BadgeStatus::kNoStatus;
}

std::string_view BadgeText(BadgeStatus status) {
  switch (status) {
    case BadgeStatus::kPassing:
      return "passing";
    case BadgeStatus::kFailing:
      return "failing";
    case BadgeStatus::kCancelled:
      return "cancelled";
    case BadgeStatus::kRunning:
      return "running";
    case BadgeStatus::kNoStatus:
      return "no status";
  }
  return "no status";
}

int TextWidth(std::string_view text) {
  double width = 0;
  for (char32_t c : CodePoints(text)) width += CharWidth(c);
  return static_cast<int>(std::lround(width));
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderBadge(std::string_view label, BadgeStatus status) {
  std::vector<char32_t> points = CodePoints(label);
  if (points.size() > kMaxLabelChars) {
    points.resize(kMaxLabelChars - 1);
    points.push_back(U'…');
  }
  std::string clean;
  for (char32_t c : points) AppendUtf8(clean, c);
  std::string_view message = BadgeText(status);
  // 5 px of padding either side of each text, as shields.io.
  int left = TextWidth(clean) + 10;
  int right = TextWidth(message) + 10;
  int total = left + right;
  std::string l = XmlEscape(clean);
  std::string m(message);
  // The texts are drawn at 10x and scaled down, as shields.io does, for sharper hinting.
  return fmt::format(
      R"svg(<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="20" role="img" aria-label="{3}: {4}">)svg"
      R"svg(<title>{3}: {4}</title>)svg"
      R"svg(<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>)svg"
      R"svg(<stop offset="1" stop-opacity=".1"/></linearGradient>)svg"
      R"svg(<clipPath id="r"><rect width="{0}" height="20" rx="3" fill="#fff"/></clipPath>)svg"
      R"svg(<g clip-path="url(#r)"><rect width="{1}" height="20" fill="#555"/>)svg"
      R"svg(<rect x="{1}" width="{2}" height="20" fill="{5}"/><rect width="{0}" height="20" fill="url(#s)"/></g>)svg"
      R"svg(<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="110">)svg"
      R"svg(<text x="{6}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{3}</text>)svg"
      R"svg(<text x="{6}" y="140" transform="scale(.1)">{3}</text>)svg"
      R"svg(<text x="{7}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{4}</text>)svg"
      R"svg(<text x="{7}" y="140" transform="scale(.1)">{4}</text></g></svg>)svg",
      total, left, right, l, m, Color(status), left * 5, left * 10 + right * 5);
}

}  // namespace gantry::server
