#pragma once

// The built-in functions: their names and arities (checked at parse time, as GitHub does)
// and their implementations.

#include <cstddef>
#include <string_view>

#include "core/status.h"
#include "expr/ast.h"
#include "expr/expression.h"
#include "expr/value.h"

namespace gantry::expr {

struct FunctionInfo {
  std::string_view name;  // lower-case
  Function id;
  std::size_t min_args;
  std::size_t max_args;
  bool always_available;  // false: only when ParseOptions::extra_functions allows it
};

/// The function named `name` (case-insensitive), or nullptr.
const FunctionInfo* LookupFunction(std::string_view name);

/// True for success, failure, cancelled and always.
bool IsStatusFunction(Function f);

/// An evaluated argument or result: a Value owned here, or a pointer to a Value that outlives
/// the evaluation (context data, AST literals). `filtered` marks arrays produced by `*`, which
/// further property access flattens.
class Ref {
 public:
  Ref() = default;
  // Moves skip the owned Value when the source refers to an external one (the hot path).
  Ref(Ref&& o) noexcept : external_(o.external_), filtered_(o.filtered_) {
    if (external_ == nullptr) owned_ = std::move(o.owned_);
  }
  Ref& operator=(Ref&& o) noexcept {
    external_ = o.external_;
    filtered_ = o.filtered_;
    if (external_ == nullptr) owned_ = std::move(o.owned_);
    return *this;
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;

  /// A boolean or null result: refers to a shared constant, so no Value is built.
  static Ref Bool(bool b);
  static Ref Null();
  static Ref External(const Value* v) {
    Ref r;
    r.external_ = v;
    return r;
  }
  static Ref Owned(Value v, bool filtered = false) {
    Ref r;
    r.owned_ = std::move(v);
    r.filtered_ = filtered;
    return r;
  }
  const Value& get() const { return external_ != nullptr ? *external_ : owned_; }
  const Value* operator->() const { return &get(); }
  bool is_external() const { return external_ != nullptr; }
  bool filtered() const { return filtered_; }

 private:
  const Value* external_ = nullptr;
  Value owned_;
  bool filtered_ = false;
};

/// GitHub's loose equality (`==`): null/booleans become numbers, number vs string compares as
/// numbers, strings ignore case, arrays/objects compare by identity, NaN equals nothing.
bool LooseEquals(const Value& a, const Value& b);
/// `a > b` / `a < b` with the same coercions; false when the kinds still differ.
bool LooseGreaterThan(const Value& a, const Value& b);
bool LooseLessThan(const Value& a, const Value& b);

/// Calls `f` with evaluated arguments. Status functions read ctx.job_status; hashFiles reads
/// files under ctx.workspace. Errors are InvalidArgument with GitHub's wording.
core::Result<Ref> CallFunction(Function f, Ref* args, std::size_t count, const EvalContext& ctx);

}  // namespace gantry::expr
