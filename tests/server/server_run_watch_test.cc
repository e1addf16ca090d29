// `gantry run watch`: live from the server's event stream, in a real terminal (tmux), as plain
// lines into a pipe, and when the server dies under it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "run_client_util.h"
#include "server_fixture.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// `gantry run watch ARGS` in a tmux pane; its exit code goes to DIR/exit.
std::string WatchCommand(const User& u, const std::string& args, const std::string& dir,
                         const std::string& url = "") {
  return "env -u NO_COLOR TERM=xterm-256color " + ClientEnv(u, url.empty() ? Url() : url) + " " +
         GANTRY_BINARY + " run watch " + args + "; echo $? > " + Quote(dir + "/exit") +
         "; sleep 60";
}

TEST(RunWatchTest, RedrawsInPlaceWhileARunGoesGreenAndPrintsPlainLinesIntoAPipe) {
  User u = SignUp(Url(), Unique("watcher"));
  Project p = MakeProject(u, Unique("watch"), {{".github/workflows/live.yml", kLive}});
  int64_t id = Dispatch(u, p, "live.yml");
  ScratchDir scratch("runcli-watch");
  const std::string& dir = scratch.path();
  Tmux tmux(WatchCommand(u, std::to_string(id), dir));
  // The running step, with its last log lines under it.
  std::string live;
  ASSERT_TRUE(Eventually(
      [&] {
        live = tmux.Capture();
        return live.find("  * Count") != std::string::npos &&
               live.find("      tick ") != std::string::npos;
      },
      30))
      << live;
  EXPECT_THAT(live, HasSubstr("* count in "));
  EXPECT_THAT(live, StartsWith("* main · Live #"));
  // Meanwhile, into a pipe: one plain line per change, no escape codes.
  CliResult plain = Gantry(u, "run watch " + std::to_string(id));
  EXPECT_EQ(plain.code, 0) << plain.err;
  EXPECT_THAT(plain.out, StartsWith("run " + std::to_string(id) + ": in_progress\n"));
  EXPECT_THAT(plain.out, HasSubstr("step count / Done: success ("));
  EXPECT_THAT(plain.out, HasSubstr("job count: success ("));
  EXPECT_THAT(plain.out, HasSubstr("run " + std::to_string(id) + ": completed with success\n"));
  EXPECT_THAT(plain.out,
              HasSubstr("\n✓ Run Live (" + std::to_string(id) + ") completed with 'success'\n"));
  EXPECT_THAT(plain.out, Not(HasSubstr("\x1b")));
  // The terminal ends with the final state, drawn once (redrawn in place, not scrolled).
  std::string done;
  ASSERT_TRUE(Eventually([&] { return ReadFile(dir + "/exit") == "0\n"; }, 60)) << tmux.Capture();
  // tmux may draw the watcher's last frame after the watcher has exited (a loaded machine).
  EXPECT_TRUE(Eventually(
      [&] {
        done = tmux.Capture();
        return done.find("✓ Run Live (") != std::string::npos;
      },
      30))
      << done;
  EXPECT_THAT(done, HasSubstr("✓ count in "));
  EXPECT_THAT(done, HasSubstr("  ✓ Done"));
  EXPECT_THAT(done, HasSubstr("✓ Run Live (" + std::to_string(id) + ") completed with 'success'"));
  EXPECT_EQ(Count(done, "Triggered via"), 1U) << done;
  EXPECT_THAT(done, Not(HasSubstr("tick")));
  // Watching a completed run prints its outcome at once.
  CliResult again = Gantry(u, "run watch --exit-status " + std::to_string(id));
  EXPECT_EQ(again.code, 0);
  EXPECT_THAT(again.out, HasSubstr("✓ Run Live (" + std::to_string(id) + ") completed with"));
}

TEST(RunWatchTest, ExitStatusOfAFailingRunInATerminal) {
  User u = SignUp(Url(), Unique("watcher"));
  Project p = MakeProject(u, Unique("watchfail"), {{".github/workflows/fail.yml", kFail}});
  int64_t id = Dispatch(u, p, "fail.yml");
  ScratchDir scratch("runcli-watchfail");
  const std::string& dir = scratch.path();
  // Without an ID: the project's run in progress.
  Tmux tmux(WatchCommand(u, "--exit-status --compact -p " + p.name, dir));
  ASSERT_TRUE(Eventually([&] { return !ReadFile(dir + "/exit").empty(); }, 30)) << tmux.Capture();
  EXPECT_EQ(ReadFile(dir + "/exit"), "1\n");
  std::string screen = tmux.Capture();
  EXPECT_THAT(screen, HasSubstr("X breaks in "));
  EXPECT_THAT(screen, HasSubstr("  X Break"));
  EXPECT_THAT(screen,
              HasSubstr("X Run Fail (" + std::to_string(id) + ") completed with 'failure'"));
  // Without --exit-status the failure is shown but the exit code is 0.
  CliResult plain = Gantry(u, "run watch " + std::to_string(id));
  EXPECT_EQ(plain.code, 0);
  CliResult status = Gantry(u, "run watch --exit-status " + std::to_string(id));
  EXPECT_EQ(status.code, 1);
  EXPECT_THAT(status.out, HasSubstr("completed with 'failure'"));
  // Nothing in progress any more: watch without an ID says so.
  CliResult idle = Gantry(u, "run watch -p " + p.name);
  EXPECT_EQ(idle.code, 1);
  EXPECT_EQ(idle.err, "gantry: no run in progress in " + p.name + ": pass a run ID\n");
}

TEST(RunWatchTest, CtrlCStopsWatchingAndRestoresTheCursor) {
  User u = SignUp(Url(), Unique("watcher"));
  Project p = MakeProject(u, Unique("watchint"), {{".github/workflows/long.yml", kLong}});
  int64_t id = Dispatch(u, p, "long.yml");
  ScratchDir scratch("runcli-watchint");
  const std::string& dir = scratch.path();
  // The shell ignores the terminal's SIGINT so that it goes on to record the exit code.
  Tmux tmux("trap '' INT; " + WatchCommand(u, std::to_string(id), dir));
  ASSERT_TRUE(Eventually([&] { return tmux.Capture().find("  * Sleep") != std::string::npos; }, 30))
      << tmux.Capture();
  EXPECT_EQ(tmux.Display("#{cursor_flag}"), "0\n");  // hidden while drawing
  tmux.Keys("C-c");
  ASSERT_TRUE(Eventually([&] { return !ReadFile(dir + "/exit").empty(); }, 10)) << tmux.Capture();
  EXPECT_EQ(ReadFile(dir + "/exit"), "130\n");
  EXPECT_EQ(tmux.Display("#{cursor_flag}"), "1\n");
  EXPECT_THAT(tmux.Capture(), HasSubstr("gantry: interrupted; the run goes on (gantry run cancel " +
                                        std::to_string(id) + " stops it)"));
  EXPECT_EQ(Gantry(u, "run cancel " + std::to_string(id)).code, 0);
  EXPECT_EQ(WaitRun(u, id, 30).value("conclusion", ""), "cancelled");
}

// A private server running kLong's run, and `gantry run watch` (plain output) following it in
// the background once the job is in progress: its stdout, stderr and exit code go to DIR/out,
// DIR/err and DIR/exit.
struct WatchedServer {
  WatchedServer(const std::string& dir, const std::string& name) {
    server.Start(dir + "/data", "");
    user = SignUp(server.url(), "admin");
    Project p = MakeProject(user, name, {{".github/workflows/long.yml", kLong}}, server.url());
    id = Dispatch(user, p, "long.yml", "main", server.url());
    EXPECT_TRUE(Eventually(
        [&] {
          return Http("GET", server.url() + "/api/v1/runs/" + std::to_string(id), "", user.Auth())
                     .Json()
                     .value("status", "") == "in_progress";
        },
        30));
    std::string cmd = "timeout 60 env NO_COLOR=1 " + ClientEnv(user, server.url()) + " " +
                      GANTRY_BINARY + " run watch " + std::to_string(id) + " >" + dir + "/out 2>" +
                      dir + "/err; echo $? > " + dir + "/exit";
    watcher = std::make_unique<Background>(cmd);
    EXPECT_TRUE(Eventually(
        [&] { return ReadFile(dir + "/out").find("job wait") != std::string::npos; }, 30));
  }
  ServerProcess server;
  User user;
  int64_t id = 0;
  std::unique_ptr<Background> watcher;
};

TEST(RunWatchTest, AServerKilledMidWatchEndsItWithOneErrorLine) {
  ScratchDir scratch("runcli-killed");
  const std::string& dir = scratch.path();
  WatchedServer w(dir, "killed");
  ServerProcess& server = w.server;
  Background& watcher = *w.watcher;
  auto killed = std::chrono::steady_clock::now();
  server.Kill9();
  bool exited = Eventually([&] { return !ReadFile(dir + "/exit").empty(); }, 30);
  watcher.Join();
  ASSERT_TRUE(exited);
  EXPECT_LT(std::chrono::steady_clock::now() - killed, std::chrono::seconds(15));
  EXPECT_EQ(ReadFile(dir + "/exit"), "1\n");
  std::string err = ReadFile(dir + "/err");
  EXPECT_THAT(err, StartsWith("gantry: lost the connection to the Gantry server at " +
                              server.url() + ": "));
  EXPECT_EQ(Count(err, "\n"), 1U) << err;
  EXPECT_THAT(ReadFile(dir + "/out"), HasSubstr("job wait: in_progress"));
}

TEST(RunWatchTest, AServerRestartedMidWatchIsFollowedAgain) {
  ScratchDir scratch("runcli-restarted");
  const std::string& dir = scratch.path();
  WatchedServer w(dir, "restarted");
  ServerProcess& server = w.server;
  Background& watcher = *w.watcher;
  int64_t id = w.id;
  // Back within the reconnect window: the job that ran inside the killed server fails, and
  // watch, connected again, sees the run end.
  server.Kill9();
  server.Restart();
  bool exited = Eventually([&] { return !ReadFile(dir + "/exit").empty(); }, 30);
  watcher.Join();
  ASSERT_TRUE(exited);
  EXPECT_EQ(ReadFile(dir + "/exit"), "0\n") << ReadFile(dir + "/err");
  EXPECT_EQ(ReadFile(dir + "/err"), "");
  std::string out = ReadFile(dir + "/out");
  EXPECT_THAT(out, HasSubstr("job wait: failure"));
  EXPECT_THAT(out, HasSubstr("X Run Long (" + std::to_string(id) + ") completed with 'failure'"));
}

}  // namespace
}  // namespace gantry::testing
