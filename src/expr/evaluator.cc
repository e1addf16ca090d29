#include "expr/evaluator.h"

#include <cmath>
#include <vector>

namespace gantry::expr {
namespace {

constexpr std::int64_t kMinObjectSize = 24;
constexpr std::int64_t kStringBaseOverhead = 26;

// How an index selects from an array or object (GitHub's index coercion): primitives select
// object members by their string form, array elements by their number, floored. Each form is
// computed on first use, so a property name is never parsed as a number.
class IndexKey {
 public:
  explicit IndexKey(const Value& index) : index_(index) {}

  // The member name, or nullptr for arrays/objects used as an index.
  const std::string_view* String() {
    if (!string_done_) {
      string_done_ = true;
      if (index_.is_string()) {
        string_ = index_.string_value();
        has_string_ = true;
      } else if (index_.is_primitive()) {
        storage_ = index_.ToString();
        string_ = storage_;
        has_string_ = true;
      }
    }
    return has_string_ ? &string_ : nullptr;
  }

  // The element position, or -1 when the index is not a non-negative number.
  long long Integer() {
    if (!integer_done_) {
      integer_done_ = true;
      double d = index_.ToNumber();
      if (std::isfinite(d) && d >= 0 && d < 9007199254740992.0) {
        integer_ = static_cast<long long>(std::floor(d));
      }
    }
    return integer_;
  }

 private:
  const Value& index_;
  bool string_done_ = false;
  bool has_string_ = false;
  std::string_view string_;
  std::string storage_;
  bool integer_done_ = false;
  long long integer_ = -1;
};

bool InRange(long long i, const Array& a) {
  return i >= 0 && static_cast<unsigned long long>(i) < a.size();
}

// A result that refers to `element` inside `container`: by pointer when the container
// outlives the evaluation, by copy otherwise.
Ref Select(const Ref& container, const Value& element) {
  return container.is_external() ? Ref::External(&element) : Ref::Owned(element);
}

}  // namespace

core::Status Evaluator::Evaluate(const Node& node, Ref* out) {
  if (!Eval(node, out)) return error_;
  return core::Status::Ok();
}

bool Evaluator::Fail(core::Status status) {
  if (error_.ok()) error_ = std::move(status);
  return false;
}

bool Evaluator::Account(const Node& n, const Ref& result) {
  const Value& v = result.get();
  std::int64_t bytes =
      v.is_string() ? kStringBaseOverhead + 2 * static_cast<std::int64_t>(v.string_value().size())
                    : kMinObjectSize;
  int level = n.level < static_cast<int>(level_bytes_.size())
                  ? n.level
                  : static_cast<int>(level_bytes_.size()) - 1;
  // Results of deeper levels are released once a primitive result replaces them.
  if (v.is_primitive()) {
    while (max_active_level_ > level) {
      total_bytes_ -= level_bytes_[max_active_level_--];
    }
  }
  while (max_active_level_ < level) level_bytes_[++max_active_level_] = 0;
  level_bytes_[level] += bytes;
  total_bytes_ += bytes;
  if (total_bytes_ > kMaxEvaluationMemory) {
    return Fail(core::Status::InvalidArgument(
        "The maximum allowed memory size was exceeded while evaluating the following "
        "expression: " +
        std::string(text_)));
  }
  return true;
}

bool Evaluator::Eval(const Node& n, Ref* out) {
  switch (n.type) {
    case NodeType::kLiteral:
      *out = Ref::External(&n.literal);
      break;
    case NodeType::kContext: {
      const Value* v = ctx_.contexts.Find(n.name);
      *out = v != nullptr ? Ref::External(v) : Ref::Null();
      break;
    }
    case NodeType::kIndex:
      if (!EvalIndex(n, out)) return false;
      break;
    case NodeType::kNot: {
      Ref operand;
      if (!Eval(*n.children[0], &operand)) return false;
      *out = Ref::Bool(!operand->IsTruthy());
      break;
    }
    case NodeType::kBinary: {
      Ref l, r;
      if (!Eval(*n.children[0], &l) || !Eval(*n.children[1], &r)) return false;
      bool result = false;
      switch (n.op) {
        case BinaryOp::kEqual:
          result = LooseEquals(l.get(), r.get());
          break;
        case BinaryOp::kNotEqual:
          result = !LooseEquals(l.get(), r.get());
          break;
        case BinaryOp::kLess:
          result = LooseLessThan(l.get(), r.get());
          break;
        case BinaryOp::kLessEqual:
          result = LooseEquals(l.get(), r.get()) || LooseLessThan(l.get(), r.get());
          break;
        case BinaryOp::kGreater:
          result = LooseGreaterThan(l.get(), r.get());
          break;
        case BinaryOp::kGreaterEqual:
          result = LooseEquals(l.get(), r.get()) || LooseGreaterThan(l.get(), r.get());
          break;
      }
      *out = Ref::Bool(result);
      break;
    }
    case NodeType::kAnd:
    case NodeType::kOr: {
      bool is_and = n.type == NodeType::kAnd;
      for (const auto& child : n.children) {
        if (!Eval(*child, out)) return false;
        if (out->get().IsTruthy() != is_and) break;
      }
      break;
    }
    case NodeType::kCall:
      if (!EvalCall(n, out)) return false;
      break;
  }
  return Account(n, *out);
}

bool Evaluator::EvalIndex(const Node& n, Ref* out) {
  Ref object;
  if (!Eval(*n.children[0], &object)) return false;
  Ref index;
  if (!n.star && !Eval(*n.children[1], &index)) return false;
  const Value& obj = object.get();

  if (obj.is_array() && object.filtered()) {
    // A filtered array applies the access to each element and flattens the results.
    Array result;
    IndexKey key(index.get());
    for (const Value& item : obj.array_value()) {
      if (item.is_object()) {
        if (n.star) {
          for (const auto& entry : item.object_value().entries()) result.push_back(entry.second);
        } else if (const std::string_view* name = key.String()) {
          if (const Value* v = item.Find(*name)) result.push_back(*v);
        }
      } else if (item.is_array()) {
        const Array& a = item.array_value();
        if (n.star) {
          result.insert(result.end(), a.begin(), a.end());
        } else if (InRange(key.Integer(), a)) {
          result.push_back(a[key.Integer()]);
        }
      }
    }
    *out = Ref::Owned(Value(std::move(result)), /*filtered=*/true);
    return true;
  }
  if (obj.is_array()) {
    const Array& a = obj.array_value();
    if (n.star) {
      *out = Ref::Owned(Value(Array(a)), /*filtered=*/true);
      return true;
    }
    IndexKey key(index.get());
    long long i = key.Integer();
    *out = InRange(i, a) ? Select(object, a[i]) : Ref::Null();
    return true;
  }
  if (obj.is_object()) {
    if (n.star) {
      Array values;
      values.reserve(obj.object_value().size());
      for (const auto& entry : obj.object_value().entries()) values.push_back(entry.second);
      *out = Ref::Owned(Value(std::move(values)), /*filtered=*/true);
      return true;
    }
    IndexKey key(index.get());
    const std::string_view* name = key.String();
    const Value* v = name != nullptr ? obj.Find(*name) : nullptr;
    *out = v != nullptr ? Select(object, *v) : Ref::Null();
    return true;
  }
  *out = n.star ? Ref::Owned(Value(Array()), /*filtered=*/true) : Ref::Null();
  return true;
}

bool Evaluator::EvalCall(const Node& n, Ref* out) {
  // Arguments live on the stack for the common small calls.
  constexpr std::size_t kInline = 4;
  std::array<Ref, kInline> inline_args;
  std::vector<Ref> heap_args;
  std::size_t count = n.children.size();
  Ref* args = inline_args.data();
  if (count > kInline) {
    heap_args.resize(count);
    args = heap_args.data();
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (!Eval(*n.children[i], &args[i])) return false;
  }
  auto result = CallFunction(n.function, args, count, ctx_);
  if (!result.ok()) return Fail(result.status());
  *out = std::move(result).value();
  return true;
}

}  // namespace gantry::expr
