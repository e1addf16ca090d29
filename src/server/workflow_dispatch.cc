#include "server/workflow_dispatch.h"

#include "workflow/loader.h"

namespace gantry::server {
namespace {

nlohmann::json TypedDefault(const workflow::TriggerInput& in) {
  if (!in.default_value) return nullptr;
  const std::string& text = *in.default_value;
  if (in.type == "boolean" && (text == "true" || text == "false")) return text == "true";
  if (in.type == "number") {
    nlohmann::json n = nlohmann::json::parse(text, nullptr, false);
    if (n.is_number()) return n;
  }
  return text;
}

}  // namespace

nlohmann::json DispatchJson(const std::string& yaml, const std::string& path) {
  workflow::LoadResult loaded = workflow::LoadWorkflow(yaml, path);
  if (!loaded.ok()) return nullptr;
  const workflow::EventTrigger* trigger = loaded.workflow->on.Find("workflow_dispatch");
  if (trigger == nullptr) return nullptr;
  nlohmann::json inputs = nlohmann::json::object();
  for (const workflow::TriggerInput& in : trigger->inputs) {
    inputs[in.name] = {{"description", in.description},
                       {"required", in.required},
                       {"default", TypedDefault(in)},
                       {"type", in.type},
                       {"options", in.options}};
  }
  return {{"inputs", inputs}};
}

}  // namespace gantry::server
