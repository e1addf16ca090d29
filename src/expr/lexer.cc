#include "expr/lexer.h"

#include <cmath>

#include "expr/unicode.h"
#include "expr/value.h"

namespace gantry::expr {
namespace {

bool IsBoundaryAt(std::string_view s, std::size_t i) {
  switch (s[i]) {
    case '(':
    case '[':
    case ')':
    case ']':
    case ',':
    case '.':
    case '!':
    case '>':
    case '<':
    case '=':
    case '&':
    case '|':
      return true;
    default:
      break;
  }
  std::size_t j = i;
  return IsJsWhitespace(DecodeUtf8(s, &j));
}

bool IsLegalIdentifier(std::string_view s) {
  if (s.empty()) return false;
  char first = s[0];
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_')) {
    return false;
  }
  for (char c : s.substr(1)) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-')) {
      return false;
    }
  }
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  core::Result<std::vector<Token>> Run() {
    if (text_.size() > kMaxExpressionLength) {
      return core::Status::InvalidArgument("Exceeded max expression length " +
                                           std::to_string(kMaxExpressionLength) +
                                           ". Located within expression: " + std::string(text_));
    }
    while (offset_ < text_.size()) {
      start_ = offset_;
      char c = text_[offset_++];
      core::Status st;
      switch (c) {
        case '(':
          Add(TokenType::kLeftParen);
          break;
        case ')':
          Add(TokenType::kRightParen);
          break;
        case '[':
          Add(TokenType::kLeftBracket);
          break;
        case ']':
          Add(TokenType::kRightBracket);
          break;
        case ',':
          Add(TokenType::kComma);
          break;
        case '.': {
          TokenType prev = Previous();
          if (prev != TokenType::kIdentifier && prev != TokenType::kRightBracket &&
              prev != TokenType::kRightParen && prev != TokenType::kStar) {
            st = Number();
          } else {
            Add(TokenType::kDot);
          }
          break;
        }
        case '-':
        case '+':
          st = Number();
          break;
        case '!':
          Add(Match('=') ? TokenType::kBangEqual : TokenType::kBang);
          break;
        case '=':
          st = Doubled('=', TokenType::kEqualEqual);
          break;
        case '<':
          Add(Match('=') ? TokenType::kLessEqual : TokenType::kLess);
          break;
        case '>':
          Add(Match('=') ? TokenType::kGreaterEqual : TokenType::kGreater);
          break;
        case '&':
          st = Doubled('&', TokenType::kAnd);
          break;
        case '|':
          st = Doubled('|', TokenType::kOr);
          break;
        case '*':
          Add(TokenType::kStar);
          break;
        case ' ':
        case '\r':
        case '\t':
        case '\n':
          break;
        case '\'':
          st = String();
          break;
        default:
          st = (c >= '0' && c <= '9') ? Number() : Identifier();
          break;
      }
      if (!st.ok()) return st;
    }
    // GitHub reports an unexpected end at the start of the last character scanned.
    Token eof;
    eof.type = TokenType::kEof;
    eof.offset = start_;
    tokens_.push_back(std::move(eof));
    return std::move(tokens_);
  }

 private:
  TokenType Previous() const { return tokens_.empty() ? TokenType::kEof : tokens_.back().type; }

  bool Match(char expected) {
    if (offset_ >= text_.size() || text_[offset_] != expected) return false;
    ++offset_;
    return true;
  }

  Token& Add(TokenType type) {
    Token t;
    t.type = type;
    t.lexeme = text_.substr(start_, offset_ - start_);
    t.offset = start_;
    tokens_.push_back(std::move(t));
    return tokens_.back();
  }

  // "==", "&&", "||": a single character is illegal; GitHub reports it up to the next boundary.
  core::Status Doubled(char c, TokenType type) {
    if (!Match(c)) return Identifier();
    Add(type);
    return core::Status::Ok();
  }

  core::Status Unexpected(std::string_view lexeme) const {
    return core::Status::InvalidArgument("Unexpected symbol: '" + std::string(lexeme) + "'. " +
                                         LocationSuffix(text_, start_));
  }

  // Continues the lexeme up to the next boundary character (in the middle of a code point the
  // boundary test sees continuation bytes, which are never boundaries).
  void ConsumeToBoundary(bool allow_dot) {
    while (offset_ < text_.size() &&
           (!IsBoundaryAt(text_, offset_) || (allow_dot && text_[offset_] == '.'))) {
      ++offset_;
    }
  }

  core::Status Number() {
    ConsumeToBoundary(/*allow_dot=*/true);
    std::string_view lexeme = text_.substr(start_, offset_ - start_);
    double value = ParseNumber(lexeme);
    if (std::isnan(value)) return Unexpected(lexeme);
    Add(TokenType::kNumber).number = value;
    return core::Status::Ok();
  }

  core::Status String() {
    std::string value;
    while (offset_ < text_.size()) {
      if (text_[offset_] == '\'') {
        if (offset_ + 1 < text_.size() && text_[offset_ + 1] == '\'') {
          value.push_back('\'');
          offset_ += 2;
          continue;
        }
        break;
      }
      value.push_back(text_[offset_++]);
    }
    if (offset_ >= text_.size()) return Unexpected(text_.substr(start_));
    ++offset_;  // closing quote
    Add(TokenType::kString).string = std::move(value);
    return core::Status::Ok();
  }

  core::Status Identifier() {
    ConsumeToBoundary(/*allow_dot=*/false);
    std::string_view lexeme = text_.substr(start_, offset_ - start_);
    TokenType type = TokenType::kIdentifier;
    double number = 0;
    if (Previous() != TokenType::kDot) {
      if (lexeme == "true") {
        type = TokenType::kTrue;
      } else if (lexeme == "false") {
        type = TokenType::kFalse;
      } else if (lexeme == "null") {
        type = TokenType::kNull;
      } else if (lexeme == "NaN") {
        type = TokenType::kNumber;
        number = std::nan("");
      } else if (lexeme == "Infinity") {
        type = TokenType::kNumber;
        number = HUGE_VAL;
      }
    }
    if (!IsLegalIdentifier(lexeme)) return Unexpected(lexeme);
    Add(type).number = number;
    return core::Status::Ok();
  }

  std::string_view text_;
  std::size_t start_ = 0;
  std::size_t offset_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

std::string LocationSuffix(std::string_view text, std::size_t offset) {
  return "Located at position " + std::to_string(Utf16Length(text.substr(0, offset)) + 1) +
         " within expression: " + std::string(text);
}

core::Result<std::vector<Token>> Lex(std::string_view text) { return Lexer(text).Run(); }

}  // namespace gantry::expr
