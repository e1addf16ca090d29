// Number <-> string conversions with GitHub's (JavaScript-compatible) rules.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "expr/value.h"

namespace gantry::expr {
namespace {

std::string_view TrimJsWhitespace(std::string_view s) {
  std::size_t begin = 0;
  while (begin < s.size()) {
    std::size_t i = begin;
    if (!IsJsWhitespace(DecodeUtf8(s, &i))) break;
    begin = i;
  }
  std::size_t end = s.size();
  while (end > begin) {
    // Step back to the first byte of the last code point.
    std::size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
    std::size_t i = start;
    if (!IsJsWhitespace(DecodeUtf8(s, &i)) || i != end) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int DigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 99;
}

double ParseRadix(std::string_view digits, int radix) {
  if (digits.empty()) return std::nan("");
  for (char c : digits) {
    if (DigitValue(c) >= radix) return std::nan("");
  }
  if (radix == 16) {
    double d = 0;
    auto r =
        std::from_chars(digits.data(), digits.data() + digits.size(), d, std::chars_format::hex);
    if (r.ec == std::errc::result_out_of_range) return std::numeric_limits<double>::infinity();
    return d;
  }
  double d = 0;
  for (char c : digits) d = d * radix + DigitValue(c);
  return d;
}

// Parses an unsigned StrDecimalLiteral ("Infinity", "12", "1.5e3", ".5", "5."); NaN otherwise.
double ParseUnsignedDecimal(std::string_view s) {
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  std::size_t i = 0;
  int digits = 0;
  while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return std::nan("");
  std::size_t mantissa_end = i;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_digits = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    if (i == exp_digits) return std::nan("");
  }
  if (i != s.size()) return std::nan("");
  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d, std::chars_format::general);
  if (r.ec == std::errc::result_out_of_range) {
    // Overflow gives Infinity, underflow 0: decide by the decimal exponent of the first
    // significant digit.
    long exponent = 0;
    if (mantissa_end < s.size()) exponent = std::strtol(s.data() + mantissa_end + 1, nullptr, 10);
    long first_digit = 0;
    bool seen_point = false;
    long int_digits = 0;
    for (std::size_t k = 0; k < mantissa_end; ++k) {
      if (s[k] == '.') {
        seen_point = true;
        continue;
      }
      if (s[k] != '0') {
        first_digit = seen_point ? -(static_cast<long>(k) - int_digits - 1) : int_digits;
        break;
      }
      if (!seen_point) ++int_digits;
    }
    return exponent + first_digit > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  }
  return d;
}

// Shortest round-trip digits and decimal exponent: value = 0.d1d2... * 10^n.
void ShortestDigits(double d, std::string* digits, int* n) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, r.ptr - buf);  // "d.ddde+XX"
  std::size_t e = sci.find('e');
  digits->clear();
  for (std::size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits->push_back(sci[i]);
  }
  while (digits->size() > 1 && digits->back() == '0') digits->pop_back();
  *n = std::atoi(std::string(sci.substr(e + 1)).c_str()) + 1;
}

}  // namespace

std::string FormatNumberShortest(double d) {
  if (std::isnan(d)) return "NaN";
  if (d == 0) return "0";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d < 0) return std::string(1, '-').append(FormatNumberShortest(-d));
  std::string digits;
  int n = 0;
  ShortestDigits(d, &digits, &n);
  int k = static_cast<int>(digits.size());
  if (k <= n && n <= 21) return digits + std::string(n - k, '0');
  if (0 < n && n <= 21) return digits.substr(0, n) + "." + digits.substr(n);
  if (-6 < n && n <= 0) return std::string("0.").append(std::string(-n, '0')).append(digits);
  int e = n - 1;
  std::string out = digits.substr(0, 1);
  if (k > 1) out.append(1, '.').append(digits, 1);
  out += e < 0 ? "e-" : "e+";
  out += std::to_string(e < 0 ? -e : e);
  return out;
}

std::string FormatNumber(double d) {
  if (std::isnan(d) || std::isinf(d)) return FormatNumberShortest(d);
  if (d == 0) return "0";
  // GitHub formats with .NET's "G15": 15 significant digits (rounded half away from zero on
  // the exact binary value), trailing zeros dropped, fixed notation for decimal exponents
  // -5 < e < 15 and "1.5E+20" / "1E-05" otherwise. 40 digits of the exact expansion are
  // enough to round correctly: a double that is not exactly a tie differs from one well
  // within them.
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.40e", std::fabs(d));
  std::string_view sci(buf);
  std::size_t e_pos = sci.find('e');
  std::string digits;
  for (std::size_t i = 0; i < e_pos; ++i) {
    if (sci[i] != '.') digits.push_back(sci[i]);
  }
  int exponent = std::atoi(buf + e_pos + 1);
  bool round_up = digits[15] >= '5';
  digits.resize(15);
  if (round_up) {
    int i = 14;
    for (; i >= 0 && digits[i] == '9'; --i) digits[i] = '0';
    if (i < 0) {
      digits.insert(digits.begin(), '1');
      digits.pop_back();
      ++exponent;
    } else {
      ++digits[i];
    }
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out = d < 0 ? "-" : "";
  int n = static_cast<int>(digits.size());
  if (exponent > -5 && exponent < 15) {
    if (exponent < 0) {
      out += "0." + std::string(-exponent - 1, '0') + digits;
    } else if (n <= exponent + 1) {
      out += digits + std::string(exponent + 1 - n, '0');
    } else {
      out += digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
    }
    return out;
  }
  out += digits.substr(0, 1);
  if (n > 1) out.append(1, '.').append(digits, 1);
  char exp_buf[16];
  std::snprintf(exp_buf, sizeof exp_buf, "E%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
  return out + exp_buf;
}

double ParseNumber(std::string_view s) {
  s = TrimJsWhitespace(s);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    switch (s[1]) {
      case 'x':
      case 'X':
        return ParseRadix(s.substr(2), 16);
      case 'o':
      case 'O':
        return ParseRadix(s.substr(2), 8);
      case 'b':
      case 'B':
        return ParseRadix(s.substr(2), 2);
      default:
        break;
    }
  }
  if (s[0] == '-') return -ParseUnsignedDecimal(s.substr(1));
  if (s[0] == '+') return ParseUnsignedDecimal(s.substr(1));
  return ParseUnsignedDecimal(s);
}

}  // namespace gantry::expr
