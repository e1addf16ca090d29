// How the client commands meet a shell and a terminal: completion scripts, one-line errors
// with their exit codes, colors only on a terminal, prompts without echo, examples in --help.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "client_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

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
  EXPECT_EQ(out, "complete -o default -F _gantry gantry\nlogin logout\n--body\nproject protect\n");
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
  std::string name = LogInShared();
  PtySession colored(CommandLine("auth status", "TERM=xterm"));
  EXPECT_EQ(colored.Finish(), 0) << colored.output();
  EXPECT_THAT(colored.output(),
              HasSubstr("\033[32m✓\033[0m Logged in as \033[1m" + name + "\033[0m"));
  PtySession no_color(CommandLine("auth status", "TERM=xterm NO_COLOR=1"));
  EXPECT_EQ(no_color.Finish(), 0) << no_color.output();
  EXPECT_THAT(no_color.output(), HasSubstr("✓ Logged in as " + name));
  EXPECT_THAT(no_color.output(), Not(HasSubstr("\033[")));
  PtySession dumb(CommandLine("auth status", "TERM=dumb"));
  EXPECT_EQ(dumb.Finish(), 0) << dumb.output();
  EXPECT_THAT(dumb.output(), Not(HasSubstr("\033[")));
  Cli piped = Gantry("auth status", "", "TERM=xterm");
  EXPECT_THAT(piped.out, HasSubstr("✓ Logged in as " + name));
  EXPECT_THAT(piped.out, Not(HasSubstr("\033[")));
  // A table on a terminal: aligned, with a header; in a pipe: tab-separated, no header.
  GitRepo repo(home_ + "/repo");
  repo.Commit("initial");
  std::string project = name + "/" + Unique("tbl");
  ASSERT_EQ(Gantry("project add " + project + " --repo " + Quote(repo.remote())).code, 0);
  PtySession table(CommandLine("project list", "TERM=xterm NO_COLOR=1"), 200);
  EXPECT_EQ(table.Finish(), 0) << table.output();
  EXPECT_THAT(table.output(), ContainsRegex("^NAME +REPOSITORY +BRANCH +CREATED\r\n"));
  EXPECT_THAT(table.output(), ContainsRegex("\r\n" + project + " +" + repo.remote() + " +main +"));
  EXPECT_THAT(table.output(), Not(HasSubstr("\t")));
  EXPECT_THAT(table.output(), Not(HasSubstr("…")));  // 200 columns: nothing cut
}

TEST_F(ClientTest, PasswordAndSecretPromptsDoNotEchoOnATerminal) {
  std::string name = SharedUser().name;  // its password is "correct horse"
  PtySession login(CommandLine("auth login"));
  ASSERT_TRUE(login.Expect("Username: ")) << login.output();
  login.Send(name + "\n");
  ASSERT_TRUE(login.Expect("Password: ")) << login.output();
  login.Send("correct horse\n");
  EXPECT_EQ(login.Finish(), 0) << login.output();
  EXPECT_THAT(login.output(), HasSubstr(name + "\r\n"));  // the username is echoed
  EXPECT_THAT(login.output(), Not(HasSubstr("correct horse")));
  EXPECT_THAT(login.output(), HasSubstr("Logged in to " + Url() + " as "));

  GitRepo repo(home_ + "/repo");
  repo.Commit("initial");
  std::string project = name + "/" + Unique("prompt");
  ASSERT_EQ(Gantry("project add " + project + " --repo " + Quote(repo.remote())).code, 0);
  PtySession secret(CommandLine("secret set TOKEN -p " + project));
  ASSERT_TRUE(secret.Expect("? Paste your secret: ")) << secret.output();
  secret.Send("tty-typed-value\n");
  EXPECT_EQ(secret.Finish(), 0) << secret.output();
  EXPECT_THAT(secret.output(), Not(HasSubstr("tty-typed-value")));
  EXPECT_THAT(secret.output(), HasSubstr("Set secret TOKEN for " + project));
  Cli list = Gantry("secret list -p " + project);
  EXPECT_THAT(list.out, StartsWith("TOKEN\t"));
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
