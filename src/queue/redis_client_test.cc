#include "queue/redis_client.h"

#include <gtest/gtest.h>

#include "queue/redis_test_util.h"

namespace gantry::queue {
namespace {

TEST(RedisUrlTest, ParsesHostPortPasswordAndDatabase) {
  auto url = ParseRedisUrl("redis://:s3cr%40t@cache.internal:6380/2");
  ASSERT_TRUE(url.ok()) << url.status().message();
  EXPECT_EQ(url->host, "cache.internal");
  EXPECT_EQ(url->port, 6380);
  EXPECT_EQ(url->password, "s3cr@t");
  EXPECT_EQ(url->username, "");
  EXPECT_EQ(url->db, 2);
  EXPECT_EQ(url->Redacted(), "redis://:***@cache.internal:6380/2");
}

TEST(RedisUrlTest, DefaultsPortAndDatabase) {
  auto url = ParseRedisUrl("redis://localhost");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 6379);
  EXPECT_EQ(url->db, 0);
  EXPECT_EQ(url->password, "");
  auto v6 = ParseRedisUrl("redis://alice:pw@[::1]:7000/");
  ASSERT_TRUE(v6.ok()) << v6.status().message();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
  EXPECT_EQ(v6->username, "alice");
  EXPECT_EQ(v6->Redacted(), "redis://alice:***@[::1]:7000/0");
}

TEST(RedisUrlTest, ErrorsNameTheWrongPartAndHideThePassword) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c :
       {Case{"http://h:1", "scheme"}, Case{"rediss://h", "TLS"},
        Case{"redis://:pw@:6379", "host is missing"}, Case{"redis://h:99999", "port '99999'"},
        Case{"redis://h:", "port is empty"}, Case{"redis://h:12/x", "database 'x'"},
        Case{"redis://pw@h", "':' before the password"}, Case{"redis://h?timeout=1", "query"}}) {
    auto url = ParseRedisUrl(c.url);
    ASSERT_FALSE(url.ok()) << c.url;
    EXPECT_NE(url.status().message().find(c.says), std::string::npos)
        << c.url << ": " << url.status().message();
  }
  auto bad = ParseRedisUrl("redis://:topsecret@h:0");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("topsecret"), std::string::npos);
  EXPECT_NE(bad.status().message().find("redis://:***@h:0"), std::string::npos);
}

TEST(RedisConnectionTest, ConnectionRefusedIsUnavailableQuickly) {
  RedisUrl url;
  url.host = "127.0.0.1";
  url.port = testing::FreePort();
  auto start = std::chrono::steady_clock::now();
  auto conn = RedisConnection::Connect(url, {});
  EXPECT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), core::StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(600));
}

TEST(RedisConnectionTest, CommandsPipelinesAndTimedReads) {
  if (!testing::RedisServerInstalled()) GTEST_SKIP() << "redis-server is not installed";
  testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisUrl url = redis.url();
  url.db = 3;
  auto conn = RedisConnection::Connect(url, {});
  ASSERT_TRUE(conn.ok()) << conn.status().message();
  auto set = conn.value()->Command({"SET", "k", std::string("a\0b", 3)});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->str, "OK");
  auto replies = conn.value()->Pipeline({{"GET", "k"}, {"INCR", "n"}, {"LPUSH", "k", "x"}});
  ASSERT_TRUE(replies.ok());
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0].str, std::string("a\0b", 3));
  EXPECT_EQ((*replies)[1].integer, 1);
  EXPECT_EQ((*replies)[2].kind, RedisReply::Kind::kError);  // WRONGTYPE; still usable
  auto db = conn.value()->Command({"CLIENT", "INFO"});
  ASSERT_TRUE(db.ok());
  EXPECT_NE(db->str.find("db=3"), std::string::npos) << db->str;
  // Nothing to read: the wait is bounded and the connection stays usable.
  auto start = std::chrono::steady_clock::now();
  auto nothing = conn.value()->Read(std::chrono::milliseconds(100));
  EXPECT_EQ(nothing.status().code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(500));
  EXPECT_FALSE(conn.value()->broken());
  EXPECT_TRUE(conn.value()->Command({"PING"}).ok());
  redis.Stop();
  EXPECT_FALSE(conn.value()->Command({"PING"}).ok());
  EXPECT_TRUE(conn.value()->broken());
}

TEST(RedisConnectionTest, WrongPasswordIsPermissionDenied) {
  if (!testing::RedisServerInstalled()) GTEST_SKIP() << "redis-server is not installed";
  testing::TestRedis redis;
  ASSERT_TRUE(redis.Start().ok());
  RedisUrl url = redis.url();
  url.password = "wrong";
  auto conn = RedisConnection::Connect(url, {});
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), core::StatusCode::kPermissionDenied);
  EXPECT_EQ(conn.status().message().find("wrong"), std::string::npos);
}

}  // namespace
}  // namespace gantry::queue
