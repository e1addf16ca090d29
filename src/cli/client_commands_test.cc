#include "cli/client_commands.h"

#include <gtest/gtest.h>

namespace gantry::cli {
namespace {

TEST(ClientCommandsTest, PathEscapeKeepsUnreservedCharacters) {
  EXPECT_EQ(PathEscape("ci.yml"), "ci.yml");
  EXPECT_EQ(PathEscape("a b/c?d"), "a%20b%2Fc%3Fd");
  EXPECT_EQ(PathEscape("my-name_1~"), "my-name_1~");
  EXPECT_EQ(ProjectPath("acme/web"), "/api/v1/projects/acme/web");
}

TEST(ClientCommandsTest, BashCompletionFollowsTheCommandTree) {
  CLI::App app{"test"};
  CLI::App* auth = app.add_subcommand("auth", "log in");
  auth->add_subcommand("login", "log in")->add_option("--url,-U", "the server");
  auth->add_subcommand("secret-thing", "hidden")->group("");
  std::string flag;
  auth->add_option("--hidden", flag, "not shown")->group("");
  std::string script = CompletionScript(app, "bash");
  EXPECT_NE(script.find("\"gantry auth\"|\"gantry auth login\") path=\"$path $w\""),
            std::string::npos)
      << script;
  EXPECT_NE(script.find("\"gantry\") words='auth --help -h'"), std::string::npos) << script;
  EXPECT_NE(script.find("\"gantry auth login\") words='--help -h --url -U'"), std::string::npos)
      << script;
  EXPECT_EQ(script.find("secret-thing"), std::string::npos);
  EXPECT_EQ(script.find("--hidden"), std::string::npos);
  EXPECT_NE(script.find("complete -o default -F _gantry gantry\n"), std::string::npos);
}

TEST(ClientCommandsTest, ZshCompletionHasDescriptions) {
  CLI::App app{"test"};
  app.add_subcommand("pattern", "Ready-made workflows: list them");
  std::string script = CompletionScript(app, "zsh");
  EXPECT_EQ(script.rfind("#compdef gantry\n", 0), 0u);
  EXPECT_NE(script.find("'pattern:Ready-made workflows: list them'"), std::string::npos) << script;
  EXPECT_NE(script.find("compdef _gantry gantry"), std::string::npos);
}

TEST(ClientCommandsTest, JsonOptionIsSharedBySiblings) {
  CLI::App app{"test"};
  JsonOption json;
  CLI::App* list = app.add_subcommand("list");
  CLI::App* view = app.add_subcommand("view");
  AddJsonOption(*list, json);
  AddJsonOption(*view, json);
  app.parse(std::vector<std::string>{"id,name", "--json", "view"});  // reversed argv
  EXPECT_TRUE(json.enabled());
  EXPECT_EQ(json.fields, "id,name");
  CLI::App bare{"test"};
  JsonOption none;
  AddJsonOption(*bare.add_subcommand("list"), none);
  bare.parse(std::vector<std::string>{"--json", "list"});
  EXPECT_TRUE(none.enabled());
  EXPECT_EQ(none.fields, "");
}

}  // namespace
}  // namespace gantry::cli
