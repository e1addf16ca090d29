// The SQL driver (database.h) on both dialects: parameters, types, errors, transactions.

#include "store/database.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "store/store_test_util.h"

namespace gantry::store {
namespace {

core::Status Script(Database& db, const std::string& sql) {
  return db.Transact(TxMode::kWrite, [&](Connection& conn) { return conn.ExecScript(sql); });
}

TEST_P(StoreTest, DriverBindsParametersByNumberAndKeepsTypes) {
  std::unique_ptr<Database> db = OpenDb();
  ASSERT_TRUE(Script(*db, "CREATE TABLE kv (k TEXT PRIMARY KEY, n BIGINT, b " +
                              std::string(GetParam() == "postgres" ? "BYTEA" : "BLOB") + ")")
                  .ok());
  std::string bytes("\0\1\xff", 3);
  core::Status st = db->Transact(TxMode::kWrite, [&](Connection& conn) {
    // $2 before $1: SQLite numbers named parameters by first appearance, not by name.
    core::Result<int64_t> n = conn.Exec("INSERT INTO kv (n, k, b) VALUES ($2, $1, $3)",
                                        {"a", int64_t{1} << 40, Bytes{bytes}});
    if (!n.ok()) return n.status();
    EXPECT_EQ(*n, 1);
    return conn.Exec("INSERT INTO kv (k, n, b) VALUES ($1, $2, $3)", {"b", nullptr, nullptr})
        .status();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  st = db->Transact(TxMode::kRead, [&](Connection& conn) {
    core::Result<Rows> rows = conn.Query("SELECT k, n, b FROM kv ORDER BY k", {});
    if (!rows.ok()) return rows.status();
    EXPECT_EQ(rows->size(), 2u);
    EXPECT_EQ(rows->at(0).Text(0), "a");
    EXPECT_EQ(rows->at(0).Int(1), int64_t{1} << 40);
    EXPECT_EQ(rows->at(0).Text(2), bytes);
    EXPECT_TRUE(rows->at(1).IsNull(1));
    EXPECT_TRUE(rows->at(1).IsNull(2));
    EXPECT_EQ(rows->at(1).Int(1), 0);
    EXPECT_EQ(rows->at(1).Text(2), "");
    return core::Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
}

TEST_P(StoreTest, DriverMapsErrorsAndRollsBack) {
  std::unique_ptr<Database> db = OpenDb();
  ASSERT_TRUE(Script(*db, "CREATE TABLE u (k TEXT PRIMARY KEY)").ok());
  core::Status st = db->Transact(TxMode::kWrite, [](Connection& conn) {
    GANTRY_RETURN_IF_ERROR(conn.Exec("INSERT INTO u (k) VALUES ($1)", {"x"}).status());
    return conn.Exec("INSERT INTO u (k) VALUES ($1)", {"x"}).status();
  });
  EXPECT_EQ(st.code(), core::StatusCode::kAlreadyExists) << st.ToString();
  st = db->Transact(TxMode::kWrite, [](Connection& conn) {
    return conn.Exec("INSERT INTO nowhere (k) VALUES ($1)", {"x"}).status();
  });
  EXPECT_EQ(st.code(), core::StatusCode::kInternal);
  EXPECT_NE(st.message().find("nowhere"), std::string::npos) << st.message();
  // A body's error rolls its transaction back.
  st = db->Transact(TxMode::kWrite, [](Connection& conn) {
    GANTRY_RETURN_IF_ERROR(conn.Exec("INSERT INTO u (k) VALUES ($1)", {"y"}).status());
    return core::Status::Cancelled("changed my mind");
  });
  EXPECT_EQ(st.code(), core::StatusCode::kCancelled);
  int64_t count = -1;
  ASSERT_TRUE(db->Transact(TxMode::kRead, [&](Connection& conn) {
                  core::Result<Rows> rows = conn.Query("SELECT COUNT(*) FROM u", {});
                  if (!rows.ok()) return rows.status();
                  count = rows->front().Int(0);
                  return core::Status::Ok();
                }).ok());
  EXPECT_EQ(count, 0);
}

TEST_P(StoreTest, DriverReadsWhileWriting) {
  std::unique_ptr<Database> db = OpenDb();
  ASSERT_TRUE(Script(*db, "CREATE TABLE c (id BIGINT PRIMARY KEY)").ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  threads.reserve(6);
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        core::Status st = t % 2 == 0 ? db->Transact(TxMode::kWrite,
                                                    [&](Connection& conn) {
                                                      return conn
                                                          .Exec("INSERT INTO c (id) VALUES ($1)",
                                                                {int64_t{t} * 1000 + i})
                                                          .status();
                                                    })
                                     : db->Transact(TxMode::kRead, [](Connection& conn) {
                                         return conn.Query("SELECT COUNT(*) FROM c", {}).status();
                                       });
        if (!st.ok()) {
          ADD_FAILURE() << st.ToString();
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace gantry::store
