#include "server/check_names.h"

namespace gantry::server {

std::string StatusContext(std::string_view workflow_name, std::string_view job_display_name,
                          std::string_view event) {
  std::string out;
  if (!workflow_name.empty()) {
    out.append(workflow_name);
    out.append(" / ");
  }
  out.append(job_display_name);
  out.append(" (");
  out.append(event);
  out.append(")");
  return out;
}

std::string WorkflowContext(std::string_view workflow_name, std::string_view event) {
  std::string out(workflow_name);
  out.append(" (");
  out.append(event);
  out.append(")");
  return out;
}

std::string ContextWithoutEvent(std::string_view context, std::string_view event) {
  std::string suffix = " (" + std::string(event) + ")";
  if (context.size() > suffix.size() && context.ends_with(suffix)) {
    return std::string(context.substr(0, context.size() - suffix.size()));
  }
  return std::string(context);
}

}  // namespace gantry::server
