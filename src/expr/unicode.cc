#include "expr/unicode.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

namespace gantry::expr {
namespace {

// Runs of the simple upper-case mapping: code points first, first+stride, ... (count of them)
// map to cp + delta. Generated from JavaScript's String.prototype.toUpperCase (ICU data of
// Node 20), keeping only 1:1 mappings and leaving U+0131 out (checked in unicode_test.cc).
struct CaseRun {
  std::uint32_t first;
  std::uint16_t count;
  std::int32_t delta;
  std::uint8_t stride;
};

constexpr CaseRun kUpperRuns[] = {
    {0x61, 26, -32, 1},    {0xB5, 1, 743, 1},      {0xE0, 23, -32, 1},     {0xF8, 7, -32, 1},
    {0xFF, 1, 121, 1},     {0x101, 24, -1, 2},     {0x133, 3, -1, 2},      {0x13A, 8, -1, 2},
    {0x14B, 23, -1, 2},    {0x17A, 3, -1, 2},      {0x17F, 1, -300, 1},    {0x180, 1, 195, 1},
    {0x183, 2, -1, 2},     {0x188, 1, -1, 1},      {0x18C, 1, -1, 1},      {0x192, 1, -1, 1},
    {0x195, 1, 97, 1},     {0x199, 1, -1, 1},      {0x19A, 1, 163, 1},     {0x19B, 1, 42561, 1},
    {0x19E, 1, 130, 1},    {0x1A1, 3, -1, 2},      {0x1A8, 1, -1, 1},      {0x1AD, 1, -1, 1},
    {0x1B0, 1, -1, 1},     {0x1B4, 2, -1, 2},      {0x1B9, 1, -1, 1},      {0x1BD, 1, -1, 1},
    {0x1BF, 1, 56, 1},     {0x1C5, 1, -1, 1},      {0x1C6, 1, -2, 1},      {0x1C8, 1, -1, 1},
    {0x1C9, 1, -2, 1},     {0x1CB, 1, -1, 1},      {0x1CC, 1, -2, 1},      {0x1CE, 8, -1, 2},
    {0x1DD, 1, -79, 1},    {0x1DF, 9, -1, 2},      {0x1F2, 1, -1, 1},      {0x1F3, 1, -2, 1},
    {0x1F5, 1, -1, 1},     {0x1F9, 20, -1, 2},     {0x223, 9, -1, 2},      {0x23C, 1, -1, 1},
    {0x23F, 2, 10815, 1},  {0x242, 1, -1, 1},      {0x247, 5, -1, 2},      {0x250, 1, 10783, 1},
    {0x251, 1, 10780, 1},  {0x252, 1, 10782, 1},   {0x253, 1, -210, 1},    {0x254, 1, -206, 1},
    {0x256, 2, -205, 1},   {0x259, 1, -202, 1},    {0x25B, 1, -203, 1},    {0x25C, 1, 42319, 1},
    {0x260, 1, -205, 1},   {0x261, 1, 42315, 1},   {0x263, 1, -207, 1},    {0x264, 1, 42343, 1},
    {0x265, 1, 42280, 1},  {0x266, 1, 42308, 1},   {0x268, 1, -209, 1},    {0x269, 1, -211, 1},
    {0x26A, 1, 42308, 1},  {0x26B, 1, 10743, 1},   {0x26C, 1, 42305, 1},   {0x26F, 1, -211, 1},
    {0x271, 1, 10749, 1},  {0x272, 1, -213, 1},    {0x275, 1, -214, 1},    {0x27D, 1, 10727, 1},
    {0x280, 1, -218, 1},   {0x282, 1, 42307, 1},   {0x283, 1, -218, 1},    {0x287, 1, 42282, 1},
    {0x288, 1, -218, 1},   {0x289, 1, -69, 1},     {0x28A, 2, -217, 1},    {0x28C, 1, -71, 1},
    {0x292, 1, -219, 1},   {0x29D, 1, 42261, 1},   {0x29E, 1, 42258, 1},   {0x345, 1, 84, 1},
    {0x371, 2, -1, 2},     {0x377, 1, -1, 1},      {0x37B, 3, 130, 1},     {0x3AC, 1, -38, 1},
    {0x3AD, 3, -37, 1},    {0x3B1, 17, -32, 1},    {0x3C2, 1, -31, 1},     {0x3C3, 9, -32, 1},
    {0x3CC, 1, -64, 1},    {0x3CD, 2, -63, 1},     {0x3D0, 1, -62, 1},     {0x3D1, 1, -57, 1},
    {0x3D5, 1, -47, 1},    {0x3D6, 1, -54, 1},     {0x3D7, 1, -8, 1},      {0x3D9, 12, -1, 2},
    {0x3F0, 1, -86, 1},    {0x3F1, 1, -80, 1},     {0x3F2, 1, 7, 1},       {0x3F3, 1, -116, 1},
    {0x3F5, 1, -96, 1},    {0x3F8, 1, -1, 1},      {0x3FB, 1, -1, 1},      {0x430, 32, -32, 1},
    {0x450, 16, -80, 1},   {0x461, 17, -1, 2},     {0x48B, 27, -1, 2},     {0x4C2, 7, -1, 2},
    {0x4CF, 1, -15, 1},    {0x4D1, 48, -1, 2},     {0x561, 38, -48, 1},    {0x10D0, 43, 3008, 1},
    {0x10FD, 3, 3008, 1},  {0x13F8, 6, -8, 1},     {0x1C80, 1, -6254, 1},  {0x1C81, 1, -6253, 1},
    {0x1C82, 1, -6244, 1}, {0x1C83, 2, -6242, 1},  {0x1C85, 1, -6243, 1},  {0x1C86, 1, -6236, 1},
    {0x1C87, 1, -6181, 1}, {0x1C88, 1, 35266, 1},  {0x1C8A, 1, -1, 1},     {0x1D79, 1, 35332, 1},
    {0x1D7D, 1, 3814, 1},  {0x1D8E, 1, 35384, 1},  {0x1E01, 75, -1, 2},    {0x1E9B, 1, -59, 1},
    {0x1EA1, 48, -1, 2},   {0x1F00, 8, 8, 1},      {0x1F10, 6, 8, 1},      {0x1F20, 8, 8, 1},
    {0x1F30, 8, 8, 1},     {0x1F40, 6, 8, 1},      {0x1F51, 4, 8, 2},      {0x1F60, 8, 8, 1},
    {0x1F70, 2, 74, 1},    {0x1F72, 4, 86, 1},     {0x1F76, 2, 100, 1},    {0x1F78, 2, 128, 1},
    {0x1F7A, 2, 112, 1},   {0x1F7C, 2, 126, 1},    {0x1FB0, 2, 8, 1},      {0x1FBE, 1, -7205, 1},
    {0x1FD0, 2, 8, 1},     {0x1FE0, 2, 8, 1},      {0x1FE5, 1, 7, 1},      {0x214E, 1, -28, 1},
    {0x2170, 16, -16, 1},  {0x2184, 1, -1, 1},     {0x24D0, 26, -26, 1},   {0x2C30, 48, -48, 1},
    {0x2C61, 1, -1, 1},    {0x2C65, 1, -10795, 1}, {0x2C66, 1, -10792, 1}, {0x2C68, 3, -1, 2},
    {0x2C73, 1, -1, 1},    {0x2C76, 1, -1, 1},     {0x2C81, 50, -1, 2},    {0x2CEC, 2, -1, 2},
    {0x2CF3, 1, -1, 1},    {0x2D00, 38, -7264, 1}, {0x2D27, 1, -7264, 1},  {0x2D2D, 1, -7264, 1},
    {0xA641, 23, -1, 2},   {0xA681, 14, -1, 2},    {0xA723, 7, -1, 2},     {0xA733, 31, -1, 2},
    {0xA77A, 2, -1, 2},    {0xA77F, 5, -1, 2},     {0xA78C, 1, -1, 1},     {0xA791, 2, -1, 2},
    {0xA794, 1, 48, 1},    {0xA797, 10, -1, 2},    {0xA7B5, 8, -1, 2},     {0xA7C8, 2, -1, 2},
    {0xA7CD, 8, -1, 2},    {0xA7F6, 1, -1, 1},     {0xAB53, 1, -928, 1},   {0xAB70, 80, -38864, 1},
    {0xFF41, 26, -32, 1},  {0x10428, 40, -40, 1},  {0x104D8, 36, -40, 1},  {0x10597, 11, -39, 1},
    {0x105A3, 15, -39, 1}, {0x105B3, 7, -39, 1},   {0x105BB, 2, -39, 1},   {0x10CC0, 51, -64, 1},
    {0x10D70, 22, -32, 1}, {0x118C0, 32, -32, 1},  {0x16E60, 32, -32, 1},  {0x16EBB, 25, -27, 1},
    {0x1E922, 34, -34, 1},
};

char AsciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Decodes backwards: the code point that ends at *end; moves *end to its first byte.
char32_t DecodeUtf8Backwards(std::string_view s, std::size_t* end) {
  std::size_t start = *end - 1;
  int back = 0;
  while (start > 0 && back < 3 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) {
    --start;
    ++back;
  }
  std::size_t i = start;
  char32_t cp = DecodeUtf8(s, &i);
  if (i != *end) {  // invalid sequence: treat the last byte alone
    start = *end - 1;
    cp = 0xFFFD;
  }
  *end = start;
  return cp;
}

// Upper-cased UTF-16 units of a code point: returns the number of units (1 or 2).
int Utf16Units(char32_t cp, char16_t out[2]) {
  if (cp < 0x10000) {
    out[0] = static_cast<char16_t>(cp);
    return 1;
  }
  cp -= 0x10000;
  out[0] = static_cast<char16_t>(0xD800 + (cp >> 10));
  out[1] = static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
  return 2;
}

}  // namespace

void AppendUtf8(std::string* out, char32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

char32_t ToUpperForCompare(char32_t cp) {
  if (cp < 0x80) return (cp >= 'a' && cp <= 'z') ? cp - 32 : cp;
  // Last run whose first code point is <= cp.
  auto it = std::upper_bound(std::begin(kUpperRuns), std::end(kUpperRuns), cp,
                             [](char32_t c, const CaseRun& r) { return c < r.first; });
  if (it == std::begin(kUpperRuns)) return cp;
  const CaseRun& r = *std::prev(it);
  std::uint32_t offset = cp - r.first;
  if (offset % r.stride != 0 || offset / r.stride >= r.count) return cp;
  return static_cast<char32_t>(static_cast<std::int32_t>(cp) + r.delta);
}

std::size_t Utf16Length(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) n += DecodeUtf8(s, &i) >= 0x10000 ? 2 : 1;
  return n;
}

bool IsJsWhitespace(char32_t cp) {
  switch (cp) {
    case 0x09:
    case 0x0A:
    case 0x0B:
    case 0x0C:
    case 0x0D:
    case 0x20:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
    case 0xFEFF:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    auto ca = static_cast<unsigned char>(a[i]);
    auto cb = static_cast<unsigned char>(b[j]);
    if ((ca | cb) < 0x80) {
      if (AsciiUpper(static_cast<char>(ca)) != AsciiUpper(static_cast<char>(cb))) return false;
      ++i;
      ++j;
      continue;
    }
    if (ToUpperForCompare(DecodeUtf8(a, &i)) != ToUpperForCompare(DecodeUtf8(b, &j))) {
      return false;
    }
  }
  return i == a.size() && j == b.size();
}

int CompareIgnoreCase(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    char16_t ua[2], ub[2];
    int na = Utf16Units(ToUpperForCompare(DecodeUtf8(a, &i)), ua);
    int nb = Utf16Units(ToUpperForCompare(DecodeUtf8(b, &j)), ub);
    for (int k = 0; k < std::min(na, nb); ++k) {
      if (ua[k] != ub[k]) return ua[k] < ub[k] ? -1 : 1;
    }
    if (na != nb) return na < nb ? -1 : 1;  // unreachable for valid UTF-8; keeps order total
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  std::size_t i = 0, j = 0;
  while (j < prefix.size()) {
    if (i >= s.size()) return false;
    auto cs = static_cast<unsigned char>(s[i]);
    auto cp = static_cast<unsigned char>(prefix[j]);
    if ((cs | cp) < 0x80) {
      if (AsciiUpper(static_cast<char>(cs)) != AsciiUpper(static_cast<char>(cp))) return false;
      ++i;
      ++j;
      continue;
    }
    if (ToUpperForCompare(DecodeUtf8(s, &i)) != ToUpperForCompare(DecodeUtf8(prefix, &j))) {
      return false;
    }
  }
  return true;
}

bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix) {
  std::size_t i = s.size(), j = suffix.size();
  while (j > 0) {
    if (i == 0) return false;
    if (ToUpperForCompare(DecodeUtf8Backwards(s, &i)) !=
        ToUpperForCompare(DecodeUtf8Backwards(suffix, &j))) {
      return false;
    }
  }
  return true;
}

bool ContainsIgnoreCase(std::string_view s, std::string_view needle) {
  if (needle.empty()) return true;
  for (std::size_t start = 0; start < s.size();) {
    if (StartsWithIgnoreCase(s.substr(start), needle)) return true;
    DecodeUtf8(s, &start);
  }
  return false;
}

}  // namespace gantry::expr
