#include "expr/parser.h"

#include <algorithm>
#include <utility>

#include "expr/functions.h"
#include "expr/lexer.h"

namespace gantry::expr {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void AddUnique(std::vector<std::string>* list, std::string name) {
  if (std::find(list->begin(), list->end(), name) == list->end()) list->push_back(std::move(name));
}

void AssignLevels(Node* node, int level) {
  node->level = level;
  for (auto& child : node->children) AssignLevels(child.get(), level + 1);
}

// How a token is named in messages: strings by value, the end by "EOF".
std::string TokenString(const Token& t) {
  if (t.type == TokenType::kEof) return "EOF";
  if (t.type == TokenType::kString) return t.string;
  return std::string(t.lexeme);
}

// Mirrors GitHub's parser, including where it counts depth, so that the depth limit triggers
// on exactly the same expressions.
class Parser {
 public:
  Parser(std::string_view text, std::vector<Token> tokens, const ParseOptions& options)
      : text_(text), tokens_(std::move(tokens)), options_(options) {}

  core::Result<ParseResult> Run() {
    ParseResult result;
    if (AtEnd()) return result;
    auto root = Expression();
    if (!root) return error_;
    if (!AtEnd()) return Error("Unexpected symbol", Peek());
    AssignLevels(root.get(), 0);
    result.root = std::move(root);
    result.contexts = std::move(contexts_);
    result.functions = std::move(functions_);
    return result;
  }

 private:
  using NodePtr = std::unique_ptr<Node>;

  NodePtr Expression() {
    if (!IncrDepth()) return nullptr;
    NodePtr n = LogicalOr();
    --depth_;
    return n;
  }

  NodePtr Logical(NodeType type, TokenType op, NodePtr (Parser::*operand)()) {
    NodePtr left = (this->*operand)();
    if (!left || !Check(op)) return left;
    if (!IncrDepth()) return nullptr;
    auto node = MakeNode(type, Peek());
    node->children.push_back(std::move(left));
    while (Match(op)) {
      NodePtr right = (this->*operand)();
      if (!right) return nullptr;
      node->children.push_back(std::move(right));
    }
    --depth_;
    return node;
  }

  NodePtr LogicalOr() { return Logical(NodeType::kOr, TokenType::kOr, &Parser::LogicalAnd); }
  NodePtr LogicalAnd() { return Logical(NodeType::kAnd, TokenType::kAnd, &Parser::Equality); }

  NodePtr Binary(NodePtr (Parser::*operand)(), bool equality) {
    NodePtr left = (this->*operand)();
    while (left) {
      TokenType t = Peek().type;
      BinaryOp op;
      if (equality && t == TokenType::kEqualEqual) {
        op = BinaryOp::kEqual;
      } else if (equality && t == TokenType::kBangEqual) {
        op = BinaryOp::kNotEqual;
      } else if (!equality && t == TokenType::kGreater) {
        op = BinaryOp::kGreater;
      } else if (!equality && t == TokenType::kGreaterEqual) {
        op = BinaryOp::kGreaterEqual;
      } else if (!equality && t == TokenType::kLess) {
        op = BinaryOp::kLess;
      } else if (!equality && t == TokenType::kLessEqual) {
        op = BinaryOp::kLessEqual;
      } else {
        break;
      }
      auto node = MakeNode(NodeType::kBinary, Next());
      node->op = op;
      NodePtr right = (this->*operand)();
      if (!right) return nullptr;
      node->children.push_back(std::move(left));
      node->children.push_back(std::move(right));
      left = std::move(node);
    }
    return left;
  }

  NodePtr Equality() { return Binary(&Parser::Comparison, /*equality=*/true); }
  NodePtr Comparison() { return Binary(&Parser::Unary, /*equality=*/false); }

  NodePtr Unary() {
    if (!Match(TokenType::kBang)) return Index();
    if (!IncrDepth()) return nullptr;
    auto node = MakeNode(NodeType::kNot, Previous());
    NodePtr operand = Unary();
    if (!operand) return nullptr;
    node->children.push_back(std::move(operand));
    --depth_;
    return node;
  }

  NodePtr Index() {
    bool postfix = false;
    NodePtr expr = Call(&postfix);
    if (!expr || !postfix) return expr;
    int increased = 0;
    for (;;) {
      if (Match(TokenType::kLeftBracket)) {
        auto node = MakeNode(NodeType::kIndex, Previous());
        node->children.push_back(std::move(expr));
        if (Match(TokenType::kStar)) {
          node->star = true;
        } else {
          NodePtr index = Expression();
          if (!index) return nullptr;
          node->children.push_back(std::move(index));
        }
        if (!Consume(TokenType::kRightBracket)) return nullptr;
        if (!IncrDepth()) return nullptr;
        ++increased;
        expr = std::move(node);
      } else if (Match(TokenType::kDot)) {
        if (!IncrDepth()) return nullptr;
        ++increased;
        auto node = MakeNode(NodeType::kIndex, Previous());
        node->children.push_back(std::move(expr));
        if (Match(TokenType::kIdentifier)) {
          auto name = MakeNode(NodeType::kLiteral, Previous());
          name->literal = Value(Previous().lexeme);
          node->children.push_back(std::move(name));
        } else if (Match(TokenType::kStar)) {
          node->star = true;
        } else {
          return Fail("Unexpected symbol", Peek());
        }
        expr = std::move(node);
      } else {
        break;
      }
    }
    depth_ -= increased;
    return expr;
  }

  // A named value, a function call, or a primary. `postfix` says whether `.`/`[]` may follow.
  NodePtr Call(bool* postfix) {
    if (!Check(TokenType::kIdentifier)) return Primary(postfix);
    const Token& id = Next();
    *postfix = true;
    if (!Match(TokenType::kLeftParen)) {
      std::string name = Lower(id.lexeme);
      if (options_.named_values &&
          std::find(options_.named_values->begin(), options_.named_values->end(), name) ==
              options_.named_values->end()) {
        return Fail("Unrecognized named-value", id);
      }
      AddUnique(&contexts_, name);
      auto node = MakeNode(NodeType::kContext, id);
      node->name = std::string(id.lexeme);
      return node;
    }
    auto node = MakeNode(NodeType::kCall, id);
    node->name = std::string(id.lexeme);
    while (!Match(TokenType::kRightParen)) {
      NodePtr arg = Expression();
      if (!arg) return nullptr;
      node->children.push_back(std::move(arg));
      if (!Check(TokenType::kRightParen) && !Consume(TokenType::kComma)) return nullptr;
    }
    std::string name = Lower(id.lexeme);
    const FunctionInfo* info = LookupFunction(name);
    if (info != nullptr && !info->always_available && options_.extra_functions &&
        std::find(options_.extra_functions->begin(), options_.extra_functions->end(), name) ==
            options_.extra_functions->end()) {
      info = nullptr;
    }
    if (info == nullptr) return Fail("Unrecognized function", id);
    std::size_t n = node->children.size();
    if (n < info->min_args) return Fail("Too few parameters supplied", id);
    bool job_ids_allowed = options_.status_functions_take_job_ids &&
                           (info->id == Function::kSuccess || info->id == Function::kFailure);
    if (n > info->max_args && !job_ids_allowed) return Fail("Too many parameters supplied", id);
    if (info->id == Function::kCase && n % 2 == 0) {
      return Fail("Even number of parameters supplied, requires an odd number of parameters", id);
    }
    node->function = info->id;
    AddUnique(&functions_, name);
    return node;
  }

  NodePtr Primary(bool* postfix) {
    const Token& t = Peek();
    switch (t.type) {
      case TokenType::kFalse:
      case TokenType::kTrue:
      case TokenType::kNull:
      case TokenType::kNumber:
      case TokenType::kString: {
        Next();
        auto node = MakeNode(NodeType::kLiteral, t);
        if (t.type == TokenType::kTrue || t.type == TokenType::kFalse) {
          node->literal = Value(t.type == TokenType::kTrue);
        } else if (t.type == TokenType::kNumber) {
          node->literal = Value(t.number);
        } else if (t.type == TokenType::kString) {
          node->literal = Value(t.string);
        }
        return node;
      }
      case TokenType::kLeftParen: {
        Next();
        NodePtr inner = Expression();
        if (!inner) return nullptr;
        if (AtEnd()) return Fail("Unexpected end of expression", Previous());
        if (!Consume(TokenType::kRightParen)) return nullptr;
        *postfix = true;
        return inner;
      }
      case TokenType::kEof:
        return Fail("Unexpected end of expression", Previous());
      default:
        return Fail("Unexpected symbol", t);
    }
  }

  NodePtr MakeNode(NodeType type, const Token& t) {
    auto node = std::make_unique<Node>();
    node->type = type;
    node->offset = t.offset;
    return node;
  }

  bool IncrDepth() {
    if (++depth_ > kMaxParseDepth) {
      Fail("Exceeded max expression depth " + std::to_string(kMaxParseDepth), Peek());
      return false;
    }
    return true;
  }

  bool AtEnd() const { return tokens_[offset_].type == TokenType::kEof; }
  bool Check(TokenType t) const { return !AtEnd() && tokens_[offset_].type == t; }
  const Token& Peek() const { return tokens_[offset_]; }
  const Token& Previous() const { return tokens_[offset_ == 0 ? 0 : offset_ - 1]; }
  const Token& Next() {
    if (!AtEnd()) ++offset_;
    return Previous();
  }
  bool Match(TokenType t) {
    if (!Check(t)) return false;
    ++offset_;
    return true;
  }
  bool Consume(TokenType t) {
    if (Match(t)) return true;
    Fail("Unexpected symbol", Peek());
    return false;
  }

  core::Status Error(const std::string& what, const Token& t) const {
    return core::Status::InvalidArgument(what + ": '" + TokenString(t) + "'. " +
                                         LocationSuffix(text_, t.offset));
  }
  NodePtr Fail(const std::string& what, const Token& t) {
    if (error_.ok()) error_ = Error(what, t);
    return nullptr;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  const ParseOptions& options_;
  std::size_t offset_ = 0;
  int depth_ = 0;
  core::Status error_;
  std::vector<std::string> contexts_;
  std::vector<std::string> functions_;
};

}  // namespace

core::Result<ParseResult> ParseExpression(std::string_view text, const ParseOptions& options) {
  auto tokens = Lex(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(text, std::move(tokens).value(), options).Run();
}

}  // namespace gantry::expr
