#include "expr/expression.h"

namespace gantry::expr {

struct Expression::Impl {
  std::string text;
  std::vector<std::string> contexts;
  std::vector<std::string> functions;
  bool has_status = false;
};

core::Result<Expression> Expression::Parse(std::string_view text, const ParseOptions&) {
  auto impl = std::make_shared<Impl>();
  impl->text = std::string(text);
  Expression e;
  e.impl_ = std::move(impl);
  return e;
}

core::Result<Value> Expression::Evaluate(const EvalContext&) const {
  return core::Status::Internal("expression evaluation is not implemented yet");
}

const std::vector<std::string>& Expression::referenced_contexts() const { return impl_->contexts; }
const std::vector<std::string>& Expression::called_functions() const { return impl_->functions; }
bool Expression::HasStatusFunction() const { return impl_->has_status; }
const std::string& Expression::text() const { return impl_->text; }

core::Result<Template> Template::Parse(std::string_view text, const ParseOptions&) {
  Template t;
  t.parts_.push_back(Part{std::string(text), -1});
  return t;
}

bool Template::IsLiteral() const { return expressions_.empty(); }
bool Template::IsSingleExpression() const {
  return parts_.size() == 1 && parts_[0].expression == 0;
}
core::Result<Value> Template::Evaluate(const EvalContext&) const {
  return core::Status::Internal("template evaluation is not implemented yet");
}
const std::vector<Expression>& Template::expressions() const { return expressions_; }

core::Result<bool> EvaluateCondition(std::string_view, const EvalContext&, const ParseOptions&) {
  return core::Status::Internal("condition evaluation is not implemented yet");
}

}  // namespace gantry::expr
