#include "expr/expression.h"

#include <algorithm>

#include "expr/ast.h"
#include "expr/evaluator.h"
#include "expr/functions.h"
#include "expr/parser.h"

namespace gantry::expr {

struct Expression::Impl {
  std::string text;
  std::unique_ptr<Node> root;  // nullptr for an empty expression (evaluates to null)
  std::vector<std::string> contexts;
  std::vector<std::string> functions;
  bool has_status = false;
};

core::Result<Expression> Expression::Parse(std::string_view text, const ParseOptions& options) {
  auto impl = std::make_shared<Impl>();
  impl->text = std::string(text);
  auto parsed = ParseExpression(impl->text, options);
  if (!parsed.ok()) return parsed.status();
  impl->root = std::move(parsed->root);
  impl->contexts = std::move(parsed->contexts);
  impl->functions = std::move(parsed->functions);
  impl->has_status =
      std::any_of(impl->functions.begin(), impl->functions.end(), [](const std::string& name) {
        const FunctionInfo* f = LookupFunction(name);
        return f != nullptr && IsStatusFunction(f->id);
      });
  Expression e;
  e.impl_ = std::move(impl);
  return e;
}

core::Result<Value> Expression::Evaluate(const EvalContext& ctx) const {
  if (!impl_->root) return Value();
  Evaluator evaluator(ctx, impl_->text);
  Ref result;
  GANTRY_RETURN_IF_ERROR(evaluator.Evaluate(*impl_->root, &result));
  return result.get();
}

core::Result<bool> Expression::EvaluateTruthy(const EvalContext& ctx) const {
  if (!impl_->root) return false;
  Evaluator evaluator(ctx, impl_->text);
  Ref result;
  GANTRY_RETURN_IF_ERROR(evaluator.Evaluate(*impl_->root, &result));
  return result->IsTruthy();
}

const std::vector<std::string>& Expression::referenced_contexts() const { return impl_->contexts; }
const std::vector<std::string>& Expression::called_functions() const { return impl_->functions; }
bool Expression::HasStatusFunction() const { return impl_->has_status; }
const std::string& Expression::text() const { return impl_->text; }

}  // namespace gantry::expr
