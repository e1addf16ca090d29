// `gantry auth`, `project`, `secret` and `variable`: the real binary against the shared test
// server (tests/server/client_fixture.h). Every check reads what the command printed and its
// exit code.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "client_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

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

}  // namespace
}  // namespace gantry::testing
