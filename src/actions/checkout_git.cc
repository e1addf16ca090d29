#include "actions/checkout_git.h"

#include <cstdlib>

namespace gantry::actions {

CheckoutGit::CheckoutGit(const engine::BuiltinCall& call)
    : call_(call), backend_(backend::MakeHostBackend()) {
  env_ = call.env;
  // The step's environment may lack what git needs to find itself and its configuration.
  for (const char* name : {"PATH", "HOME"}) {
    const char* value = std::getenv(name);
    if (engine::FindEnv(env_, name) == nullptr && value != nullptr) {
      engine::SetEnv(env_, name, value);
    }
  }
  engine::SetEnv(env_, "GIT_TERMINAL_PROMPT", "0");
  if (call.cancel == nullptr) own_cancel_ = std::make_unique<backend::CancelToken>();
}

core::Status CheckoutGit::Run(const std::vector<std::string>& args, const std::string& cwd,
                              bool quiet) {
  backend::ProcessSpec spec;
  spec.argv = {"git"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  spec.cwd = cwd;
  spec.env = env_;
  std::string command = "git";
  for (const auto& a : args) command += " " + a;
  if (!quiet) Log("[command]" + command);
  output_.clear();
  const backend::CancelToken& cancel = call_.cancel != nullptr ? *call_.cancel : *own_cancel_;
  auto result = backend_->Run(
      spec, [&](std::string_view chunk) { output_.append(chunk); }, cancel);
  if (!quiet) {
    std::size_t start = 0;
    while (start < output_.size()) {
      std::size_t nl = output_.find('\n', start);
      if (nl == std::string::npos) nl = output_.size();
      if (nl > start) Log(std::string_view(output_).substr(start, nl - start));
      start = nl + 1;
    }
  }
  if (!result.ok())
    return core::Status::Unavailable("cannot run git: " + result.status().message());
  if (result->cancelled) return core::Status::Cancelled("the checkout was cancelled");
  if (!result->ok()) return core::Status::Internal(command + " failed: " + LastLine());
  return core::Status::Ok();
}

std::string CheckoutGit::Output() const {
  std::string out = output_;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

std::string CheckoutGit::LastLine() const {
  std::string out = Output();
  std::size_t nl = out.rfind('\n');
  return nl == std::string::npos ? out : out.substr(nl + 1);
}

void CheckoutGit::Log(std::string_view line) const {
  if (call_.log) call_.log(line);
}

core::Status CheckoutGit::FetchFromOrigin(const std::string& dest, int depth,
                                          const std::string& refspec) {
  if (depth == 0) {
    GANTRY_RETURN_IF_ERROR(Run({"fetch", "--prune", "--no-recurse-submodules", "origin",
                                "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"},
                               dest));
  }
  std::vector<std::string> fetch = {"fetch", "--no-tags", "--no-recurse-submodules"};
  if (depth > 0) fetch.push_back("--depth=" + std::to_string(depth));
  fetch.insert(fetch.end(), {"origin", refspec});
  return Run(fetch, dest);
}

}  // namespace gantry::actions
