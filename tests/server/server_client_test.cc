// The client commands (`gantry auth|project|secret|variable|workflow|pattern|completion`): the
// real `gantry` binary against the shared test server, with its own HOME and hosts.yml in a
// temp directory. Every check reads what the command printed and its exit code.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Cli {
  int code = -1;
  std::string out, err;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const char* kDispatchWorkflow = R"(name: Greet
on:
  workflow_dispatch:
    inputs:
      greeting:
        description: what to say
        default: hi
jobs:
  say:
    runs-on: ubuntu-latest
    steps:
      - run: echo "greeting=${{ inputs.greeting }}"
)";

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = TempDir("client");
    fs::create_directories(home_ + "/cwd");
  }
  void TearDown() override {
    std::error_code ec;
    if (!HasFailure()) fs::remove_all(home_, ec);
  }

  /// Runs `gantry ARGS` in HOME_/cwd (or `dir`) with a clean environment: HOME and
  /// GANTRY_CONFIG_DIR in the temp dir, GANTRY_URL of the shared server, `env` added
  /// ("NAME=value ..."), `input` on stdin.
  Cli Gantry(const std::string& args, const std::string& input = "", const std::string& env = "",
             const std::string& dir = "") {
    std::string in = home_ + "/stdin", out = home_ + "/stdout", err = home_ + "/stderr";
    std::ofstream(in) << input;
    std::string command = "cd " + Quote(dir.empty() ? home_ + "/cwd" : dir) +
                          " && env -i PATH=\"$PATH\" HOME=" + Quote(home_) +
                          " GANTRY_CONFIG_DIR=" + Quote(home_ + "/conf") +
                          " GANTRY_URL=" + Quote(Url()) + " " + env + " " + GANTRY_BINARY + " " +
                          args + " <" + Quote(in) + " >" + Quote(out) + " 2>" + Quote(err);
    int status = std::system(command.c_str());
    Cli r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = ReadAll(out);
    r.err = ReadAll(err);
    return r;
  }

  /// Signs a new user up through `gantry auth signup` (password on stdin); their name.
  std::string SignUpCli(const std::string& base) {
    std::string name = Unique(base);
    Cli r = Gantry("auth signup -u " + name + " --email " + name + "@x.org", "correct horse\n");
    EXPECT_EQ(r.code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "✓ Signed up and logged in to " + Url() + " as " + name + "\n");
    return name;
  }

  std::string HostsYml() { return ReadAll(home_ + "/conf/hosts.yml"); }

  /// The token stored in hosts.yml for the shared server.
  std::string StoredToken() {
    std::string yml = HostsYml();
    size_t at = yml.find("token: ");
    if (at == std::string::npos) return "";
    return yml.substr(at + 7, yml.find('\n', at) - at - 7);
  }

  std::string home_;
};

TEST_F(ClientTest, SignupStoresAPrivatePatAndStatusShowsTheUser) {
  std::string name = SignUpCli("cli");
  struct stat st {};
  ASSERT_EQ(::stat((home_ + "/conf/hosts.yml").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string yml = HostsYml();
  EXPECT_THAT(yml, HasSubstr("default: " + Url() + "\n"));
  EXPECT_THAT(yml, HasSubstr("user: " + name + "\n"));
  std::string token = StoredToken();
  EXPECT_THAT(token, StartsWith("gnt_"));  // a personal access token, not the login session
  HttpReply tokens =
      Http("GET", Url() + "/api/v1/user/tokens", "", {"Authorization: Bearer " + token});
  ASSERT_EQ(tokens.status, 200) << tokens.body;
  ASSERT_EQ(tokens.Json()["tokens"].size(), 1u);
  EXPECT_THAT(tokens.Json()["tokens"][0].value("name", ""), StartsWith("gantry CLI on "));

  Cli status = Gantry("auth status");
  EXPECT_EQ(status.code, 0) << status.err;
  EXPECT_EQ(status.out, Url() + " (default)\n  ✓ Logged in as " + name +
                            "\n  - Token: gnt_**** (from " + home_ + "/conf/hosts.yml)\n");
  EXPECT_THAT(status.out, Not(HasSubstr(token)));
}

TEST_F(ClientTest, LoginWithPasswordFromStdinThenLogoutRevokesTheToken) {
  std::string name = SignUpCli("login");
  Cli wrong = Gantry("auth login -u " + name, "wrong password\n");
  EXPECT_EQ(wrong.code, 1);
  EXPECT_EQ(wrong.err, "gantry: wrong username or password\n");
  EXPECT_EQ(wrong.out, "");

  Cli login = Gantry("auth login --url " + Url() + " -u " + name, "correct horse\n");
  EXPECT_EQ(login.code, 0) << login.err;
  EXPECT_EQ(login.out, "✓ Logged in to " + Url() + " as " + name + "\n");
  std::string token = StoredToken();
  ASSERT_THAT(token, StartsWith("gnt_"));
  // The signup's token was replaced and revoked: one CLI token is left.
  HttpReply tokens =
      Http("GET", Url() + "/api/v1/user/tokens", "", {"Authorization: Bearer " + token});
  EXPECT_EQ(tokens.Json()["tokens"].size(), 1u) << tokens.body;

  Cli logout = Gantry("auth logout");
  EXPECT_EQ(logout.code, 0) << logout.err;
  EXPECT_EQ(logout.out,
            "✓ Logged out of " + Url() + " (" + name + "); the CLI's token was revoked\n");
  EXPECT_EQ(Http("GET", Url() + "/api/v1/user", "", {"Authorization: Bearer " + token}).status,
            401);
  EXPECT_THAT(HostsYml(), Not(HasSubstr(token)));

  Cli status = Gantry("auth status");
  EXPECT_EQ(status.code, 1);
  EXPECT_EQ(status.err, "gantry: not logged in to " + Url() + ": run `gantry auth login --url " +
                            Url() + "`\n");
  Cli again = Gantry("auth logout");
  EXPECT_EQ(again.code, 1);
  EXPECT_THAT(again.err, StartsWith("gantry: not logged in to " + Url()));
}

TEST_F(ClientTest, LoginWithTokenAndGantryTokenOverride) {
  User user = SignUp(Url(), Unique("tok"));
  Cli bad = Gantry("auth login --with-token", "gnt_not_a_real_token\n");
  EXPECT_EQ(bad.code, 1);
  EXPECT_THAT(bad.err, StartsWith("gantry: the token was rejected by " + Url()));
  Cli login = Gantry("auth login --with-token", user.token + "\n");
  EXPECT_EQ(login.code, 0) << login.err;
  EXPECT_EQ(login.out, "✓ Logged in to " + Url() + " as " + user.name + "\n");
  EXPECT_THAT(HostsYml(), Not(HasSubstr("token_id")));  // not the CLI's: logout keeps it valid

  fs::remove(home_ + "/conf/hosts.yml");
  Cli env = Gantry("auth status", "", "GANTRY_TOKEN=" + user.token);
  EXPECT_EQ(env.code, 0) << env.err;
  EXPECT_THAT(env.out, HasSubstr("✓ Logged in as " + user.name + "\n"));
  EXPECT_THAT(env.out, HasSubstr("(from GANTRY_TOKEN)"));
  EXPECT_THAT(env.out, Not(HasSubstr(user.token)));
}

TEST_F(ClientTest, ProjectAddPrintsTheWebhookSecretOnceAndListViewJson) {
  std::string name = SignUpCli("proj");
  GitRepo repo(home_ + "/repo");
  repo.Write(".github/workflows/greet.yml", kDispatchWorkflow);
  repo.Commit("initial");
  std::string project = name + "/web";
  Cli add = Gantry("project add " + project + " --repo " + Quote(repo.remote()));
  ASSERT_EQ(add.code, 0) << add.err;
  EXPECT_THAT(add.out, StartsWith("✓ Added project " + project + " (" + repo.remote() +
                                  ", default branch main)\n"));
  EXPECT_THAT(add.out, HasSubstr("Webhook URL:    " + Url() + "/api/v1/hooks/" + project + "\n"));
  size_t at = add.out.find("Webhook secret: ");
  ASSERT_NE(at, std::string::npos) << add.out;
  std::string secret = add.out.substr(at + 16, 64);
  EXPECT_EQ(secret.find_first_not_of("0123456789abcdef"), std::string::npos) << secret;

  Cli view = Gantry("project view " + project);
  EXPECT_EQ(view.code, 0) << view.err;
  EXPECT_THAT(view.out, StartsWith(project + "\nRepository:      " + repo.remote() + "\n"));
  EXPECT_THAT(view.out, HasSubstr("Your role:       owner\n"));
  EXPECT_THAT(view.out, Not(HasSubstr(secret)));

  Cli list = Gantry("project list");
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, HasSubstr(project + "\t" + repo.remote() + "\tmain\t"));
  EXPECT_THAT(list.out, Not(HasSubstr(secret)));

  Cli json_all = Gantry("project list --json");
  json all = json::parse(json_all.out, nullptr, false);
  ASSERT_TRUE(all.is_array()) << json_all.out;
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["name"], project);
  EXPECT_EQ(all[0]["webhook_url"], Url() + "/api/v1/hooks/" + project);
  Cli json_some = Gantry("project view " + project + " --json name,default_branch");
  EXPECT_EQ(json::parse(json_some.out, nullptr, false),
            (json{{"name", project}, {"default_branch", "main"}}))
      << json_some.out;
  Cli json_bad = Gantry("project view " + project + " --json nope");
  EXPECT_EQ(json_bad.code, 1);
  EXPECT_THAT(json_bad.err, StartsWith("gantry: unknown JSON field 'nope'; available fields: "));

  Cli again = Gantry("project add " + project + " --repo " + Quote(repo.remote()));
  EXPECT_EQ(again.code, 1);
  EXPECT_EQ(again.err, "gantry: name: project '" + project + "' exists\n");
  Cli missing = Gantry("project view x/y");
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "gantry: project x/y not found on " + Url() + "\n");
  Cli usage = Gantry("project add " + project);
  EXPECT_EQ(usage.code, 2);
  EXPECT_THAT(usage.err, HasSubstr("--repo is required"));
}

TEST_F(ClientTest, SecretsNeverShowTheirValueAndVariablesDo) {
  std::string name = SignUpCli("sec");
  GitRepo repo(home_ + "/repo");
  repo.Commit("initial");
  std::string project = name + "/app";
  ASSERT_EQ(Gantry("project add " + project + " --repo " + Quote(repo.remote())).code, 0);
  std::string p = " -p " + project;

  Cli set = Gantry("secret set DEPLOY_KEY" + p, "hunter2-very-secret\n");
  EXPECT_EQ(set.code, 0) << set.err;
  EXPECT_EQ(set.out, "✓ Set secret DEPLOY_KEY for " + project + "\n");
  Cli list = Gantry("secret list" + p);
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, StartsWith("DEPLOY_KEY\tUpdated "));
  EXPECT_THAT(list.out, Not(HasSubstr("hunter2")));
  Cli json_list = Gantry("secret list --json" + p, "", "GANTRY_PROJECT=nobody/none");
  json secrets = json::parse(json_list.out, nullptr, false);
  ASSERT_TRUE(secrets.is_array()) << json_list.out << json_list.err;
  EXPECT_EQ(secrets[0]["name"], "DEPLOY_KEY");
  EXPECT_FALSE(secrets[0].contains("value"));
  Cli from_env = Gantry("secret list", "", "GANTRY_PROJECT=" + project);
  EXPECT_THAT(from_env.out, StartsWith("DEPLOY_KEY\t"));

  Cli empty = Gantry("secret set EMPTY" + p, "");
  EXPECT_EQ(empty.code, 2);
  EXPECT_EQ(empty.err, "gantry: the secret's value is empty\n");
  Cli del = Gantry("secret delete DEPLOY_KEY" + p);
  EXPECT_EQ(del.code, 0) << del.err;
  EXPECT_EQ(del.out, "✓ Deleted secret DEPLOY_KEY from " + project + "\n");
  Cli del_again = Gantry("secret delete DEPLOY_KEY" + p);
  EXPECT_EQ(del_again.code, 1);
  EXPECT_EQ(del_again.err,
            "gantry: secret DEPLOY_KEY in project " + project + " not found on " + Url() + "\n");
  Cli del_project = Gantry("secret delete DEPLOY_KEY -p " + name + "/nothing");
  EXPECT_EQ(del_project.code, 1);
  EXPECT_EQ(del_project.err, "gantry: project " + name + "/nothing not found on " + Url() + "\n");
  Cli no_project = Gantry("secret list");
  EXPECT_EQ(no_project.code, 2);
  EXPECT_EQ(no_project.err, "gantry: no project given: pass -p OWNER/NAME or set GANTRY_PROJECT\n");

  Cli var = Gantry("variable set REGION --body eu-west" + p);
  EXPECT_EQ(var.code, 0) << var.err;
  EXPECT_EQ(var.out, "✓ Set variable REGION for " + project + "\n");
  EXPECT_EQ(Gantry("variable set TIER" + p, "gold\n").code, 0);
  Cli vars = Gantry("variable list --json name,value" + p);
  EXPECT_EQ(json::parse(vars.out, nullptr, false), (json{{{"name", "REGION"}, {"value", "eu-west"}},
                                                         {{"name", "TIER"}, {"value", "gold"}}}))
      << vars.out;
  Cli vars_table = Gantry("variable list" + p);
  EXPECT_THAT(vars_table.out, StartsWith("REGION\teu-west\t"));
  EXPECT_EQ(Gantry("variable delete TIER" + p).out,
            "✓ Deleted variable TIER from " + project + "\n");
  Cli bad_name = Gantry("variable set 1X --body v" + p);
  EXPECT_EQ(bad_name.code, 1);
  EXPECT_THAT(bad_name.err, StartsWith("gantry: name '1X' must be letters"));
}

TEST_F(ClientTest, WorkflowRunDispatchesWithInputs) {
  std::string name = SignUpCli("wf");
  GitRepo repo(home_ + "/repo");
  repo.Write(".github/workflows/greet.yml", kDispatchWorkflow);
  repo.Commit("initial");
  std::string project = name + "/svc";
  ASSERT_EQ(Gantry("project add " + project + " --repo " + Quote(repo.remote())).code, 0);

  Cli bad = Gantry("workflow run greet.yml -f oops -p " + project);
  EXPECT_EQ(bad.code, 2);
  EXPECT_EQ(bad.err, "gantry: -f 'oops' is not KEY=VALUE\n");
  Cli run = Gantry("workflow run greet.yml --ref main -f greeting=bonjour -p " + project);
  ASSERT_EQ(run.code, 0) << run.err;
  EXPECT_THAT(run.out, StartsWith("✓ Created workflow_dispatch event for greet.yml at main: run "));
  size_t at = run.out.find(": run ");
  int64_t id = std::atoll(run.out.c_str() + at + 6);
  ASSERT_GT(id, 0) << run.out;
  User as{name, StoredToken()};
  json done = WaitRun(as, id);
  EXPECT_EQ(done.value("event", ""), "workflow_dispatch");
  EXPECT_EQ(done["inputs"], (json{{"greeting", "bonjour"}}));
  EXPECT_EQ(done.value("conclusion", ""), "success") << done.dump(2);
  if (const json* job = JobNamed(done, "say")) {
    EXPECT_THAT(JobLog(as, *job), HasSubstr("greeting=bonjour"));
  } else {
    ADD_FAILURE() << done.dump(2);
  }
  Cli missing = Gantry("workflow run nope.yml -p " + project);
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, StartsWith("gantry: "));
  EXPECT_THAT(missing.err, HasSubstr("not found"));
}

// Needs GET /api/v1/projects/{o}/{n}/workflows[/{file}] (the GitHub-compatible API work).
TEST_F(ClientTest, WorkflowListAndView) {
  std::string name = SignUpCli("wfl");
  GitRepo repo(home_ + "/repo");
  repo.Write(".github/workflows/greet.yml", kDispatchWorkflow);
  repo.Commit("initial");
  std::string project = name + "/lst";
  ASSERT_EQ(Gantry("project add " + project + " --repo " + Quote(repo.remote())).code, 0);
  Cli list = Gantry("workflow list -p " + project);
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_THAT(list.out, StartsWith("Greet\tactive\t"));
  EXPECT_THAT(list.out, HasSubstr("\t.github/workflows/greet.yml\n"));
  Cli json_list = Gantry("workflow list --json name,path -p " + project);
  EXPECT_EQ(json::parse(json_list.out, nullptr, false),
            (json{{{"name", "Greet"}, {"path", ".github/workflows/greet.yml"}}}))
      << json_list.out;
  Cli view = Gantry("workflow view greet.yml -p " + project);
  EXPECT_EQ(view.code, 0) << view.err;
  EXPECT_THAT(view.out, StartsWith("Greet - greet.yml\nID: "));
  Cli yaml = Gantry("workflow view greet.yml --yaml -p " + project);
  EXPECT_EQ(yaml.out, kDispatchWorkflow);
  Cli by_name = Gantry("workflow run Greet -p " + project);
  EXPECT_EQ(by_name.code, 0) << by_name.err;
  EXPECT_THAT(by_name.out, HasSubstr("for greet.yml"));
  Cli missing = Gantry("workflow view nope.yml -p " + project);
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err,
            "gantry: workflow nope.yml in project " + project + " not found on " + Url() + "\n");
}

TEST_F(ClientTest, PatternListViewApplyRefusesToOverwrite) {
  SignUpCli("pat");
  Cli list = Gantry("pattern list");
  EXPECT_EQ(list.code, 0) << list.err;
  EXPECT_THAT("\n" + list.out, HasSubstr("\nnode\t"));
  Cli names = Gantry("pattern list --json name");
  json parsed = json::parse(names.out, nullptr, false);
  ASSERT_TRUE(parsed.is_array()) << names.out;
  EXPECT_THAT(parsed.dump(), HasSubstr(R"({"name":"node"})"));

  HttpReply node = Http("GET", Url() + "/api/v1/patterns/node", "", g_env->admin.Auth());
  std::string yaml = node.Json().value("workflow", "");
  ASSERT_FALSE(yaml.empty()) << node.body;
  Cli view = Gantry("pattern view node");
  EXPECT_EQ(view.code, 0) << view.err;
  EXPECT_THAT(view.out, StartsWith("node - "));
  EXPECT_THAT(view.out, HasSubstr(yaml));

  std::string repo = home_ + "/cwd/app";
  Sh("git init -q " + Quote(repo) + " && mkdir -p " + Quote(repo + "/src"));
  Cli apply = Gantry("pattern apply node", "", "", repo + "/src");
  EXPECT_EQ(apply.code, 0) << apply.err;
  std::string file = repo + "/.github/workflows/node.yml";
  EXPECT_THAT(apply.out, StartsWith("✓ Wrote " + file + "\n"));
  EXPECT_EQ(ReadAll(file), yaml + (yaml.back() == '\n' ? "" : "\n"));
  std::ofstream(file) << "# mine\n";
  Cli refused = Gantry("pattern apply node", "", "", repo);
  EXPECT_EQ(refused.code, 1);
  EXPECT_EQ(refused.err, "gantry: " + file + " exists: pass --force to overwrite it\n");
  EXPECT_EQ(ReadAll(file), "# mine\n");
  Cli forced = Gantry("pattern apply node --force", "", "", repo);
  EXPECT_EQ(forced.code, 0) << forced.err;
  EXPECT_THAT(ReadAll(file), HasSubstr(yaml.substr(0, 20)));
  Cli outside = Gantry("pattern apply node", "", "", home_);
  EXPECT_EQ(outside.code, 1);
  EXPECT_EQ(outside.err, "gantry: not in a git repository: run it inside one or pass --dir DIR\n");
  Cli unknown = Gantry("pattern view no-such-pattern");
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.err, "gantry: pattern no-such-pattern not found on " + Url() + "\n");
}

TEST_F(ClientTest, CompletionScriptsLoadAndComplete) {
  Cli bash = Gantry("completion bash");
  ASSERT_EQ(bash.code, 0) << bash.err;
  std::ofstream(home_ + "/completion.bash") << bash.out;
  std::string out = Sh("bash -c " + Quote("source " + home_ +
                                          "/completion.bash && complete -p gantry && "
                                          "COMP_WORDS=(gantry auth l); COMP_CWORD=2; _gantry && "
                                          "echo \"${COMPREPLY[*]}\" && "
                                          "COMP_WORDS=(gantry secret set --b); COMP_CWORD=3; "
                                          "_gantry && echo \"${COMPREPLY[*]}\" && "
                                          "COMP_WORDS=(gantry pro); COMP_CWORD=1; _gantry && "
                                          "echo \"${COMPREPLY[*]}\""));
  EXPECT_EQ(out, "complete -o default -F _gantry gantry\nlogin logout\n--body\nproject\n");
  std::string loaded = Sh("bash -c " + Quote("source <(" + std::string(GANTRY_BINARY) +
                                             " completion bash) && complete -p gantry"));
  EXPECT_EQ(loaded, "complete -o default -F _gantry gantry\n");
  Cli zsh = Gantry("completion zsh");
  EXPECT_EQ(zsh.code, 0);
  EXPECT_THAT(zsh.out, StartsWith("#compdef gantry\n"));
  EXPECT_THAT(zsh.out,
              HasSubstr("(\"gantry workflow\") c=( 'list:List the workflows of a project."));
  Cli fish = Gantry("completion fish");
  EXPECT_EQ(fish.code, 2);
  EXPECT_THAT(fish.err, HasSubstr("fish"));
}

// A port nothing listens on: bound, then closed.
int ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(ClientTest, ErrorsAreOneLineNamingWhatToDo) {
  std::string down = "http://127.0.0.1:" + std::to_string(ClosedPort());
  Cli unreachable = Gantry("project list --url " + down);
  EXPECT_EQ(unreachable.code, 1);
  EXPECT_THAT(unreachable.err,
              StartsWith("gantry: cannot reach the Gantry server at " + down + ": "));
  EXPECT_EQ(std::count(unreachable.err.begin(), unreachable.err.end(), '\n'), 1) << unreachable.err;
  EXPECT_EQ(unreachable.out, "");

  Cli not_logged_in = Gantry("project list");
  EXPECT_EQ(not_logged_in.code, 1);
  EXPECT_EQ(not_logged_in.err, "gantry: not logged in to " + Url() +
                                   ": run `gantry auth login --url " + Url() + "`\n");

  SignUpCli("err");
  std::string token = StoredToken();
  // Revoke the stored token behind the CLI's back.
  json tokens =
      Http("GET", Url() + "/api/v1/user/tokens", "", {"Authorization: Bearer " + token}).Json();
  std::string id = std::to_string(tokens["tokens"][0]["id"].get<int64_t>());
  ASSERT_EQ(
      Http("DELETE", Url() + "/api/v1/user/tokens/" + id, "", {"Authorization: Bearer " + token})
          .status,
      204);
  Cli revoked = Gantry("project list");
  EXPECT_EQ(revoked.code, 1);
  EXPECT_EQ(revoked.err, "gantry: not logged in to " + Url() +
                             " (the token expired or was revoked): run `gantry auth login --url " +
                             Url() + "`\n");
  Cli status = Gantry("auth status");
  EXPECT_EQ(status.code, 1);
  EXPECT_THAT(status.out, HasSubstr("X not logged in to " + Url() + " (the token expired"));

  Cli plain = Gantry("project list --url http://ci.example:8080");
  EXPECT_EQ(plain.code, 1);
  EXPECT_EQ(plain.err,
            "gantry: use https:// for ci.example: plain HTTP is allowed only to this machine "
            "(loopback)\n");
  Cli bad_url = Gantry("project list --url ftp://x");
  EXPECT_EQ(bad_url.code, 2);
  EXPECT_EQ(bad_url.err, "gantry: 'ftp://x' is not an http:// or https:// URL\n");
  Cli usage = Gantry("secret");
  EXPECT_EQ(usage.code, 2);
  EXPECT_THAT(usage.err, HasSubstr("A subcommand is required"));
}

TEST_F(ClientTest, ColorsOnlyOnATerminalAndNeverWithNoColor) {
  std::string name = SignUpCli("tty");
  // Under a pseudo-terminal (script(1)), with and without NO_COLOR.
  auto pty = [&](const std::string& env) {
    std::string command = "cd " + Quote(home_) + " && env -i PATH=\"$PATH\" HOME=" + Quote(home_) +
                          " GANTRY_CONFIG_DIR=" + Quote(home_ + "/conf") +
                          " GANTRY_URL=" + Quote(Url()) + " TERM=xterm " + env +
                          " script -q -e -c " + Quote(std::string(GANTRY_BINARY) + " auth status") +
                          " /dev/null </dev/null";
    FILE* p = ::popen(command.c_str(), "r");
    std::string out;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ::pclose(p);
    return out;
  };
  std::string colored = pty("");
  EXPECT_THAT(colored, HasSubstr("\033[32m✓\033[0m Logged in as \033[1m" + name + "\033[0m"));
  std::string no_color = pty("NO_COLOR=1");
  EXPECT_THAT(no_color, HasSubstr("✓ Logged in as " + name));
  EXPECT_THAT(no_color, Not(HasSubstr("\033[")));
  Cli piped = Gantry("auth status", "", "TERM=xterm");
  EXPECT_THAT(piped.out, HasSubstr("✓ Logged in as " + name));
  EXPECT_THAT(piped.out, Not(HasSubstr("\033[")));
}

TEST_F(ClientTest, EveryClientCommandHasExamplesInHelp) {
  for (const char* command :
       {"auth",          "auth login",      "auth logout",   "auth status",   "auth signup",
        "project",       "project list",    "project add",   "project view",  "secret",
        "secret set",    "secret list",     "secret delete", "variable",      "variable set",
        "variable list", "variable delete", "workflow",      "workflow list", "workflow view",
        "workflow run",  "pattern",         "pattern list",  "pattern view",  "pattern apply",
        "completion"}) {
    Cli help = Gantry(std::string(command) + " --help");
    EXPECT_EQ(help.code, 0) << command;
    EXPECT_THAT(help.out, HasSubstr("\nExamples:\n  gantry ")) << command << "\n" << help.out;
  }
}

}  // namespace
}  // namespace gantry::testing
