#include "engine/actions.h"

#include <cctype>

#include "core/strings.h"
#include "workflow/steps.h"

namespace gantry::engine {
namespace {

core::Status BadFormat(std::string_view uses) {
  return core::Status::InvalidArgument("Expected format {org}/{repo}[/path]@ref. Actual '" +
                                       std::string(uses) + "'");
}

}  // namespace

std::string ActionReference::name() const {
  if (kind != Kind::kRemote) return "";
  std::string n = owner + "/" + repo;
  if (!path.empty()) n += "/" + path;
  return core::AsciiLower(std::move(n));
}

core::Result<ActionReference> ParseActionReference(std::string_view uses) {
  size_t b = uses.find_first_not_of(" \t\r\n");
  size_t e = uses.find_last_not_of(" \t\r\n");
  uses = b == std::string_view::npos ? std::string_view() : uses.substr(b, e - b + 1);
  ActionReference ref;
  ref.uses = std::string(uses);
  if (uses.substr(0, 9) == "docker://") {
    ref.kind = ActionReference::Kind::kDocker;
    ref.image = std::string(uses.substr(9));
    if (ref.image.empty()) return BadFormat(uses);
    return ref;
  }
  // "./path" (or ".\\path", "."), and GitHub's self-repository form "$/path": the running
  // repository at the running commit, exactly what "./path" names in the workspace.
  if (workflow::IsLocalReference(uses)) {
    ref.kind = ActionReference::Kind::kLocal;
    ref.local_path = "./" + std::string(workflow::LocalPath(uses));
    return ref;
  }
  size_t at = uses.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= uses.size()) return BadFormat(uses);
  ref.ref = std::string(uses.substr(at + 1));
  std::string_view path = uses.substr(0, at);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos || slash == 0) return BadFormat(uses);
  ref.owner = std::string(path.substr(0, slash));
  std::string_view rest = path.substr(slash + 1);
  size_t slash2 = rest.find('/');
  ref.repo = std::string(rest.substr(0, slash2));
  if (slash2 != std::string_view::npos) {
    std::string_view p = rest.substr(slash2 + 1);
    while (!p.empty() && p.back() == '/') p.remove_suffix(1);
    ref.path = std::string(p);
  }
  if (ref.repo.empty()) return BadFormat(uses);
  for (const std::string* part : {&ref.owner, &ref.repo}) {
    if (*part == "." || *part == "..") return BadFormat(uses);
  }
  if (ref.path.find("..") != std::string::npos) {
    for (size_t i = 0; i < ref.path.size();) {
      size_t s = ref.path.find('/', i);
      std::string_view seg = std::string_view(ref.path).substr(i, s - i);
      if (seg == "..") return BadFormat(uses);
      if (s == std::string::npos) break;
      i = s + 1;
    }
  }
  return ref;
}

}  // namespace gantry::engine
