#include "engine/services.h"

#include "core/strings.h"

namespace gantry::engine {
namespace {

using expr::Object;
using expr::Value;

core::Status NotA(const std::string& file, const workflow::Position& pos, const std::string& what,
                  const Value& v) {
  return core::Status::InvalidArgument(
      Located(file, pos, "Expected " + what + ", got " + v.ToString()));
}

// A list field given in a mapping an expression produced: an array of strings.
core::Status ListOf(const Value* v, std::vector<std::string>& out, const std::string& file,
                    const workflow::Position& pos, const std::string& field) {
  if (v == nullptr || v->is_null()) return core::Status::Ok();
  if (!v->is_array()) return NotA(file, pos, "a sequence for " + field, *v);
  for (const Value& item : v->array_value()) out.push_back(item.ToString());
  return core::Status::Ok();
}

std::string StringOf(const Value* v) { return v == nullptr || v->is_null() ? "" : v->ToString(); }

// A service written as one mapping value (from `${{ fromJSON(...) }}`).
core::Status FromObject(const Object& o, ServiceSpec& spec, const std::string& file,
                        const workflow::Position& pos) {
  spec.image = StringOf(o.Find("image"));
  spec.options = StringOf(o.Find("options"));
  spec.entrypoint = StringOf(o.Find("entrypoint"));
  spec.command = StringOf(o.Find("command"));
  if (const Value* env = o.Find("env"); env != nullptr && !env->is_null()) {
    if (!env->is_object()) return NotA(file, pos, "a mapping for env", *env);
    for (const auto& [k, v] : env->object_value().entries()) SetEnv(spec.env, k, v.ToString());
  }
  if (const Value* c = o.Find("credentials"); c != nullptr && c->is_object()) {
    spec.credentials.emplace(StringOf(c->object_value().Find("username")),
                             StringOf(c->object_value().Find("password")));
  }
  GANTRY_RETURN_IF_ERROR(ListOf(o.Find("ports"), spec.ports, file, pos, "ports"));
  return ListOf(o.Find("volumes"), spec.volumes, file, pos, "volumes");
}

core::Result<ServiceSpec> Evaluate(const workflow::Container& c, const expr::EvalContext& ctx,
                                   const std::string& file) {
  ServiceSpec spec;
  spec.id = c.id;
  auto image = EvaluateText(c.image, ctx, file);
  if (!image.ok()) return image.status();
  if (image->is_object()) {
    GANTRY_RETURN_IF_ERROR(FromObject(image->object_value(), spec, file, c.pos));
    return spec;
  }
  spec.image = image->is_null() ? "" : image->ToString();
  auto env = EvaluateTextMap(c.env, ctx, file);
  if (!env.ok()) return env.status();
  spec.env = std::move(env).value();
  auto text = [&](const std::optional<workflow::Text>& t, std::string& out) -> core::Status {
    if (!t) return core::Status::Ok();
    auto v = EvaluateString(*t, ctx, file);
    if (!v.ok()) return v.status();
    out = std::move(v).value();
    return core::Status::Ok();
  };
  GANTRY_RETURN_IF_ERROR(text(c.options, spec.options));
  GANTRY_RETURN_IF_ERROR(text(c.entrypoint, spec.entrypoint));
  GANTRY_RETURN_IF_ERROR(text(c.command, spec.command));
  for (const auto& [list, out] : {std::pair{&c.ports, &spec.ports}, {&c.volumes, &spec.volumes}}) {
    for (const workflow::Text& t : *list) {
      auto v = EvaluateString(t, ctx, file);
      if (!v.ok()) return v.status();
      out->push_back(std::move(v).value());
    }
  }
  if (c.credentials) {
    auto user = EvaluateString(c.credentials->first, ctx, file);
    if (!user.ok()) return user.status();
    auto password = EvaluateString(c.credentials->second, ctx, file);
    if (!password.ok()) return password.status();
    spec.credentials.emplace(std::move(user).value(), std::move(password).value());
  }
  return spec;
}

}  // namespace

core::Result<std::vector<ServiceSpec>> EvaluateServices(const workflow::Job& job,
                                                        const expr::EvalContext& ctx,
                                                        const std::string& file) {
  std::vector<ServiceSpec> out;
  if (job.services_expression) {
    auto all = EvaluateText(*job.services_expression, ctx, file);
    if (!all.ok()) return all.status();
    if (all->is_null()) return out;
    if (!all->is_object()) {
      return NotA(file, job.services_expression->pos, "a mapping for services", *all);
    }
    for (const auto& [id, v] : all->object_value().entries()) {
      ServiceSpec spec;
      spec.id = id;
      if (v.is_object()) {
        GANTRY_RETURN_IF_ERROR(
            FromObject(v.object_value(), spec, file, job.services_expression->pos));
      } else if (!v.is_null()) {
        spec.image = v.ToString();
      }
      if (!spec.image.empty()) out.push_back(std::move(spec));
    }
    return out;
  }
  for (const workflow::Container& c : job.services) {
    auto spec = Evaluate(c, ctx, file);
    if (!spec.ok()) return spec.status();
    if (!spec->image.empty()) out.push_back(std::move(spec).value());
  }
  return out;
}

core::Result<std::optional<ServiceSpec>> EvaluateJobContainer(const workflow::Job& job,
                                                              const expr::EvalContext& ctx,
                                                              const std::string& file) {
  if (!job.container) return std::optional<ServiceSpec>();
  auto spec = Evaluate(*job.container, ctx, file);
  if (!spec.ok()) return spec.status();
  if (core::TrimSpace(spec->image).empty()) return std::optional<ServiceSpec>();
  return std::optional<ServiceSpec>(std::move(spec).value());
}

Value ContainerContext(const StartedServices& started) {
  Object o;
  if (!started.container_id.empty()) {
    o.Set("id", Value(started.container_id));
    o.Set("network", Value(started.network_id));
  }
  return Value(std::move(o));
}

Value ServicesContext(const StartedServices& started) {
  Object services;
  for (const StartedService& s : started.services) {
    Object ports;
    for (const auto& [container, host] : s.ports) ports.Set(container, Value(host));
    Object o;
    o.Set("id", Value(s.container_id));
    o.Set("network", Value(started.network_id));
    o.Set("ports", Value(std::move(ports)));
    services.Set(s.id, Value(std::move(o)));
  }
  return Value(std::move(services));
}

}  // namespace gantry::engine
