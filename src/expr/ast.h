#pragma once

// The syntax tree of a parsed expression. Nodes are immutable after parsing and owned by their
// parent through unique_ptr; the root is owned by Expression.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "expr/value.h"

namespace gantry::expr {

enum class NodeType {
  kLiteral,  // literal
  kContext,  // name (a named value such as `github`)
  kIndex,    // children[0] indexed by children[1] (`a.b`, `a['b']`) or by `*` (star)
  kNot,      // !children[0]
  kBinary,   // children[0] op children[1]
  kAnd,      // children[0] && children[1] && ...
  kOr,       // children[0] || children[1] || ...
  kCall,     // function(children...)
};

enum class BinaryOp { kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual };

enum class Function {
  kContains,
  kStartsWith,
  kEndsWith,
  kFormat,
  kJoin,
  kToJson,
  kFromJson,
  kCase,
  kHashFiles,
  kSuccess,
  kFailure,
  kCancelled,
  kAlways,
};

struct Node {
  NodeType type = NodeType::kLiteral;
  std::size_t offset = 0;  // byte offset of the node's token in the expression text
  int level = 0;           // depth in the tree (root 0); GitHub accounts memory per level
  Value literal;           // kLiteral
  std::string name;        // kContext / kCall: the name as written
  BinaryOp op = BinaryOp::kEqual;
  Function function = Function::kContains;
  bool star = false;  // kIndex: `.*` or `[*]` (children has only the object)
  std::vector<std::unique_ptr<Node>> children;
};

}  // namespace gantry::expr
