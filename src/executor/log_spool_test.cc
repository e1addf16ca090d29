#include "executor/log_spool.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gantry::executor {
namespace {

namespace fs = std::filesystem;

class LogSpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gantry-spool-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path() const { return dir_ + "/log.spool"; }
  std::string FileText() const {
    std::ifstream in(Path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
};

LogItem Chunk(int64_t seq, int step, std::string data) {
  LogItem i;
  i.kind = LogItem::Kind::kChunk;
  i.chunk.seq = seq;
  i.chunk.step = step;
  i.chunk.data = std::move(data);
  return i;
}

std::vector<const LogItem*> Ptrs(const std::vector<LogItem>& items) {
  std::vector<const LogItem*> out;
  out.reserve(items.size());
  for (const LogItem& i : items) out.push_back(&i);
  return out;
}

TEST_F(LogSpoolTest, ItemsComeBackInOrderWithTheirSeqsAndBytes) {
  LogItem step;
  step.kind = LogItem::Kind::kStep;
  step.step.index = 2;
  step.step.stage = "post";
  step.step.name = "Post Build";
  step.step.completed = true;
  step.step.conclusion = engine::Conclusion::kSuccess;
  step.step.outcome = engine::Conclusion::kFailure;
  step.step.error = "exit code 1";
  step.step.started_at_ms = 1000;
  step.step.completed_at_ms = 2500;
  LogItem note;
  note.kind = LogItem::Kind::kAnnotation;
  note.annotation.step = 1;
  note.annotation.annotation.level = "warning";
  note.annotation.annotation.message = "careful";
  note.annotation.annotation.file = "a.cc";
  note.annotation.annotation.line = 7;
  // Any bytes: newlines, a NUL, invalid UTF-8, a line that looks like a record header.
  std::string odd = std::string("x\n\0y\xff\xfe\nc 3 9 9\nabc\n", 18);
  std::vector<LogItem> items = {Chunk(1, 0, "one\ntwo\n"), step, Chunk(2, -1, odd), note};
  LogSpool spool(Path());
  ASSERT_TRUE(spool.Append(Ptrs(items), nullptr).ok());
  EXPECT_FALSE(spool.empty());
  auto taken = spool.Take(1 << 20);
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  ASSERT_EQ(taken->size(), 4u);
  EXPECT_EQ((*taken)[0].chunk.seq, 1);
  EXPECT_EQ((*taken)[0].chunk.data, "one\ntwo\n");
  const StepUpdate& u = (*taken)[1].step;
  EXPECT_EQ((*taken)[1].kind, LogItem::Kind::kStep);
  EXPECT_EQ(u.index, 2);
  EXPECT_EQ(u.stage, "post");
  EXPECT_EQ(u.name, "Post Build");
  EXPECT_TRUE(u.completed);
  EXPECT_EQ(u.conclusion, engine::Conclusion::kSuccess);
  EXPECT_EQ(u.outcome, engine::Conclusion::kFailure);
  EXPECT_EQ(u.error, "exit code 1");
  EXPECT_EQ(u.started_at_ms, 1000);
  EXPECT_EQ(u.completed_at_ms, 2500);
  EXPECT_EQ((*taken)[2].chunk.seq, 2);
  EXPECT_EQ((*taken)[2].chunk.step, -1);
  EXPECT_EQ((*taken)[2].chunk.data, odd);
  EXPECT_EQ((*taken)[3].kind, LogItem::Kind::kAnnotation);
  EXPECT_EQ((*taken)[3].annotation.step, 1);
  EXPECT_EQ((*taken)[3].annotation.annotation.message, "careful");
  EXPECT_EQ((*taken)[3].annotation.annotation.file, "a.cc");
  EXPECT_EQ((*taken)[3].annotation.annotation.line, 7);
  // All taken: the file is emptied, its disk space given back.
  EXPECT_TRUE(spool.empty());
  EXPECT_EQ(fs::file_size(Path()), 0u);
  EXPECT_GT(spool.peak_bytes(), odd.size());
}

TEST_F(LogSpoolTest, TakeStopsAtTheBatchSizeButTakesAtLeastOne) {
  LogSpool spool(Path());
  std::vector<LogItem> items;
  for (int i = 1; i <= 5; ++i) items.push_back(Chunk(i, 0, std::string(100, 'a' + i)));
  ASSERT_TRUE(spool.Append(Ptrs(items), nullptr).ok());
  auto first = spool.Take(250);  // two chunks fit
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);
  EXPECT_EQ((*first)[1].chunk.seq, 2);
  auto one = spool.Take(10);  // more than the bound, but one always goes
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);
  EXPECT_EQ((*one)[0].chunk.seq, 3);
  // Appends after a partial take come after what is left.
  std::vector<LogItem> more = {Chunk(6, 1, "six\n")};
  ASSERT_TRUE(spool.Append(Ptrs(more), nullptr).ok());
  auto rest = spool.Take(1 << 20);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 3u);
  EXPECT_EQ((*rest)[0].chunk.seq, 4);
  EXPECT_EQ((*rest)[2].chunk.seq, 6);
  EXPECT_TRUE(spool.empty());
}

TEST_F(LogSpoolTest, NothingSecretReachesTheDisk) {
  core::Masker masker;
  masker.Add("hunter2");
  LogItem step;
  step.kind = LogItem::Kind::kStep;
  step.step.name = "deploy with hunter2";
  step.step.error = "hunter2 was rejected";
  LogItem note;
  note.kind = LogItem::Kind::kAnnotation;
  note.annotation.annotation.message = "leaked hunter2";
  note.annotation.annotation.title = "hunter2";
  std::vector<LogItem> items = {Chunk(1, 0, "the password is hunter2\n"), step, note};
  LogSpool spool(Path());
  ASSERT_TRUE(spool.Append(Ptrs(items), &masker).ok());
  std::string text = FileText();
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_NE(text.find("the password is ***\n"), std::string::npos) << text;
  EXPECT_EQ(fs::status(Path()).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto taken = spool.Take(1 << 20);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ((*taken)[1].step.name, "deploy with ***");
  EXPECT_EQ((*taken)[2].annotation.annotation.title, "***");
}

TEST_F(LogSpoolTest, AFailedAppendLeavesTheSpoolAsItWas) {
  LogSpool full("/dev/full");  // every write fails with ENOSPC
  std::vector<LogItem> items = {Chunk(1, 0, "line\n")};
  core::Status st = full.Append(Ptrs(items), nullptr);
  EXPECT_EQ(st.code(), core::StatusCode::kInternal);
  EXPECT_NE(st.message().find("/dev/full"), std::string::npos) << st.message();
  EXPECT_TRUE(full.empty());

  LogSpool nowhere(dir_ + "/missing/dir/log.spool");
  EXPECT_EQ(nowhere.Append(Ptrs(items), nullptr).code(), core::StatusCode::kInternal);
}

TEST_F(LogSpoolTest, ADamagedRecordIsReportedAndEmptiesTheSpool) {
  LogSpool spool(Path());
  std::vector<LogItem> items = {Chunk(1, 0, "good\n"), Chunk(2, 0, "also good\n")};
  ASSERT_TRUE(spool.Append(Ptrs(items), nullptr).ok());
  {
    std::fstream f(Path(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f << "z";  // an unknown record kind
  }
  auto taken = spool.Take(1 << 20);
  EXPECT_EQ(taken.status().code(), core::StatusCode::kInternal);
  EXPECT_NE(taken.status().message().find("damaged record at byte 0"), std::string::npos);
  EXPECT_TRUE(spool.empty());
}

TEST_F(LogSpoolTest, RemoveDeletesTheFile) {
  LogSpool spool(Path());
  std::vector<LogItem> items = {Chunk(1, 0, "line\n")};
  ASSERT_TRUE(spool.Append(Ptrs(items), nullptr).ok());
  EXPECT_TRUE(fs::exists(Path()));
  spool.Remove();
  EXPECT_FALSE(fs::exists(Path()));
  EXPECT_TRUE(spool.empty());
}

}  // namespace
}  // namespace gantry::executor
