// `gantry auth login|logout|status|signup`.

#include <unistd.h>

#include <iostream>

#include "cli/api_client.h"
#include "cli/client_commands.h"
#include "cli/client_config.h"
#include "cli/client_output.h"

namespace gantry::cli {
namespace {

using core::Result;
using core::Status;

std::string Hostname() {
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "this machine";
  return name;
}

// A password login → a personal access token named for this machine; the session token of
// the login itself is logged out again, so only the PAT (revocable by name) stays.
Result<HostCredentials> LoginWithPassword(const std::string& url, const std::string& user,
                                          const std::string& password) {
  ApiClient anonymous(ClientTarget{url, "", ""});
  auto login = anonymous.Send("POST", "/api/v1/auth/login",
                              {{"username", user}, {"password", password}}, "");
  if (!login.ok()) return login.status();
  std::string session = login->value("token", "");
  if (session.empty()) return Status::Internal("the server at " + url + " returned no token");
  ApiClient as_session(ClientTarget{url, session, "login"});
  auto pat =
      as_session.Send("POST", "/api/v1/user/tokens", {{"name", "gantry CLI on " + Hostname()}}, "");
  if (!pat.ok()) return pat.status();
  (void)as_session.Send("POST", "/api/v1/auth/logout", nullptr, "");
  HostCredentials creds;
  creds.user = login->contains("user") ? (*login)["user"].value("username", user) : user;
  creds.token = pat->value("token", "");
  creds.token_id = pat->value("id", int64_t{0});
  if (creds.token.empty()) return Status::Internal("the server at " + url + " returned no token");
  return creds;
}

// Revokes the PAT `creds` holds when the CLI created it; a failure is returned, not fatal.
Status Revoke(const std::string& url, const HostCredentials& creds) {
  if (creds.token_id == 0) return Status::Ok();
  ApiClient api(ClientTarget{url, creds.token, ""});
  auto r = api.Send("DELETE", "/api/v1/user/tokens/" + std::to_string(creds.token_id), nullptr,
                    "token " + std::to_string(creds.token_id));
  return r.ok() ? Status::Ok() : r.status();
}

// Stores `creds` for `url` (the new default host), revoking the CLI's previous token there.
int Store(const std::string& url, const HostCredentials& creds, const std::string& verb) {
  std::string path = ClientConfigPath();
  auto config = LoadClientConfig(path);
  if (!config.ok()) return Fail(config.status());
  if (auto old = config->hosts.find(url);
      old != config->hosts.end() && old->second.token != creds.token) {
    (void)Revoke(url, old->second);
  }
  config->hosts[url] = creds;
  config->default_url = url;
  if (Status s = SaveClientConfig(path, *config); !s.ok()) return Fail(s);
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "green", "✓") << " " << verb << " " << url << " as "
            << Paint(style, "bold", creds.user) << "\n";
  return 0;
}

std::string MaskToken(const std::string& token) {
  size_t underscore = token.find('_');
  return (underscore == std::string::npos ? "" : token.substr(0, underscore + 1)) + "****";
}

}  // namespace

void AuthCommands::Register(CLI::App& app) {
  auth_ = app.add_subcommand("auth", "Log in to a Gantry server, log out, show who you are.");
  auth_->require_subcommand(1);
  SetExamples(*auth_, {"gantry auth login --url http://127.0.0.1:8080", "gantry auth status",
                       "gantry auth logout"});

  login_ = auth_->add_subcommand(
      "login",
      "Log in to a server: exchanges your password for a personal access token named "
      "\"gantry CLI on HOSTNAME\" and stores it in hosts.yml (mode 0600).");
  login_->add_option("--url", url_, "the server (default: GANTRY_URL, else the default host)");
  login_->add_option("-u,--user", user_, "your username (default: asked)");
  login_->add_flag("--with-token", with_token_,
                   "read a personal access token from stdin instead of asking for a password");
  SetExamples(*login_, {"gantry auth login --url http://127.0.0.1:8080 -u alice",
                        "echo \"$PASSWORD\" | gantry auth login -u alice",
                        "gantry auth login --with-token < token.txt"});

  logout_ = auth_->add_subcommand(
      "logout", "Forget the credentials of a server (and revoke the token `auth login` made).");
  logout_->add_option("--url", url_, "the server (default: GANTRY_URL, else the default host)");
  SetExamples(*logout_, {"gantry auth logout", "gantry auth logout --url https://ci.example"});

  status_ = auth_->add_subcommand(
      "status",
      "Show, per server, as whom you are logged in, where the token comes from and "
      "whether it still works. Exit 1 when not logged in.");
  status_->add_option("--url", url_, "only this server");
  SetExamples(*status_, {"gantry auth status", "gantry auth status --url http://127.0.0.1:8080"});

  signup_ = auth_->add_subcommand(
      "signup",
      "Create an account on a server (password from the terminal or stdin), then log "
      "in.");
  signup_->add_option("--url", url_, "the server (default: GANTRY_URL, else the default host)");
  signup_->add_option("-u,--user", user_, "the username to create")->required();
  signup_->add_option("--email", email_, "your e-mail address");
  SetExamples(*signup_,
              {"gantry auth signup --url http://127.0.0.1:8080 -u alice --email a@example.org",
               "printf '%s' \"$PASSWORD\" | gantry auth signup -u alice"});
}

bool AuthCommands::Parsed() const { return auth_ != nullptr && auth_->parsed(); }

int AuthCommands::Run() {
  if (login_->parsed()) return RunLogin();
  if (logout_->parsed()) return RunLogout();
  if (status_->parsed()) return RunStatus();
  if (signup_->parsed()) return RunSignup();
  return 2;
}

int AuthCommands::RunLogin() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  const std::string& url = target->url;
  if (with_token_) {
    auto token = ReadSecret("Paste your token: ", "the token");
    if (!token.ok()) return Fail(token.status(), true);
    ApiClient api(ClientTarget{url, *token, "stdin"});
    auto user = api.Get("/api/v1/user", "");
    if (!user.ok()) {
      if (user.status().code() == core::StatusCode::kPermissionDenied) {
        return Fail(Status::PermissionDenied(
            "the token was rejected by " + url +
            ": create a personal access token there, or log in with a password"));
      }
      return Fail(user.status());
    }
    return Store(url, {user->value("username", ""), *token, 0}, "Logged in to");
  }
  std::string user = user_;
  if (user.empty()) {
    auto typed = ReadLine("Username: ", "the username");
    if (!typed.ok()) return Fail(Status::InvalidArgument("no username: pass -u USER"), true);
    user = *typed;
  }
  auto password = ReadSecret("Password: ", "the password");
  if (!password.ok()) return Fail(password.status(), true);
  auto creds = LoginWithPassword(url, user, *password);
  if (!creds.ok()) return Fail(creds.status());
  return Store(url, *creds, "Logged in to");
}

int AuthCommands::RunSignup() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  const std::string& url = target->url;
  auto password = ReadSecret("Choose a password (8 characters or more): ", "the password");
  if (!password.ok()) return Fail(password.status(), true);
  nlohmann::json body = {{"username", user_}, {"password", *password}};
  if (!email_.empty()) body["email"] = email_;
  ApiClient anonymous(ClientTarget{url, "", ""});
  auto created = anonymous.Send("POST", "/api/v1/auth/signup", body, "");
  if (!created.ok()) return Fail(created.status());
  auto creds = LoginWithPassword(url, user_, *password);
  if (!creds.ok()) return Fail(creds.status());
  return Store(url, *creds, "Signed up and logged in to");
}

int AuthCommands::RunLogout() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  const std::string& url = target->url;
  std::string path = ClientConfigPath();
  auto config = LoadClientConfig(path);
  if (!config.ok()) return Fail(config.status());
  auto it = config->hosts.find(url);
  if (it == config->hosts.end()) {
    return Fail(Status::NotFound("not logged in to " + url + " (nothing in " + path + ")"));
  }
  Status revoked = Revoke(url, it->second);
  bool had_id = it->second.token_id != 0;
  std::string user = it->second.user;
  config->hosts.erase(it);
  if (config->default_url == url) {
    config->default_url = config->hosts.empty() ? "" : config->hosts.begin()->first;
  }
  if (Status s = SaveClientConfig(path, *config); !s.ok()) return Fail(s);
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  std::cout << Paint(style, "green", "✓") << " Logged out of " << url << " (" << user << ")";
  if (had_id && revoked.ok()) std::cout << "; the CLI's token was revoked";
  std::cout << "\n";
  if (!revoked.ok()) {
    std::cerr << "gantry: warning: could not revoke the token on the server: " << revoked.message()
              << "\n";
  }
  return 0;
}

int AuthCommands::RunStatus() {
  auto target = ResolveTarget(url_);
  if (!target.ok()) return Fail(target.status(), true);
  std::string path = ClientConfigPath();
  auto config = LoadClientConfig(path);
  if (!config.ok()) return Fail(config.status());
  std::vector<ClientTarget> targets;
  bool env_token = target->source == "GANTRY_TOKEN";
  if (env_token) targets.push_back(*target);
  for (const auto& [url, creds] : config->hosts) {
    if (!url_.empty() && url != target->url) continue;
    if (env_token && url == target->url) continue;
    targets.push_back(ClientTarget{url, creds.token, path});
  }
  if (targets.empty()) {
    return Fail(Status::PermissionDenied("not logged in to " + target->url +
                                         ": run `gantry auth "
                                         "login --url " +
                                         target->url + "`"));
  }
  OutputStyle style = OutputStyle::Detect(STDOUT_FILENO);
  int exit_code = 0;
  for (const ClientTarget& t : targets) {
    bool is_default = t.url == (config->default_url.empty() ? target->url : config->default_url);
    std::cout << Paint(style, "bold", t.url) << (is_default ? " (default)" : "") << "\n";
    ApiClient api(t);
    auto user = api.Get("/api/v1/user", "");
    if (user.ok()) {
      std::cout << "  " << Paint(style, "green", "✓") << " Logged in as "
                << Paint(style, "bold", user->value("username", "")) << "\n"
                << "  - Token: " << MaskToken(t.token) << " (from " << t.source << ")\n";
    } else {
      std::cout << "  " << Paint(style, "red", "X") << " " << user.status().message() << "\n"
                << "  - Token: " << MaskToken(t.token) << " (from " << t.source << ")\n";
      exit_code = 1;
    }
  }
  return exit_code;
}

}  // namespace gantry::cli
