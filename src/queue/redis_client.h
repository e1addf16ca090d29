#pragma once

// A small blocking Redis connection over hiredis (0.14): the URL of `--redis`, connect and
// command timeouts, AUTH and SELECT. Redis only ever carries wake-ups and counters in Gantry,
// so every call is bounded by a short timeout and a failure is an ordinary Status.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

struct redisContext;

namespace gantry::queue {

/// `redis://[[user]:password@]host[:port][/db]`, e.g. `redis://:s3cret@10.0.0.5:6379/2`.
struct RedisUrl {
  std::string host;
  int port = 6379;
  std::string username;  // Redis 6 ACL user; empty = the default user
  std::string password;  // empty = no AUTH
  int db = 0;
  /// The URL with its password replaced by `***`, for logs and errors.
  std::string Redacted() const;
};

/// Parses a `--redis` URL. InvalidArgument naming the part that is wrong (scheme, host,
/// port, database number) and quoting the redacted URL.
core::Result<RedisUrl> ParseRedisUrl(std::string_view url);

/// One reply of Redis, copied out of hiredis's.
struct RedisReply {
  enum class Kind { kNil, kInteger, kString, kStatus, kArray, kError };
  Kind kind = Kind::kNil;
  int64_t integer = 0;
  std::string str;                   // kString, kStatus, kError
  std::vector<RedisReply> elements;  // kArray
};

/// One TCP connection to Redis. Not thread-safe except Interrupt(); the owner serialises.
/// Once a call fails with Unavailable or DeadlineExceeded the connection is broken() and
/// must be replaced: hiredis cannot resynchronise a stream after an I/O error.
class RedisConnection {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{500};
    /// Bounds each write and each read of a command's reply.
    std::chrono::milliseconds command_timeout{500};
  };

  /// Connects, authenticates and selects the database of `url`, each step within its
  /// timeout. Unavailable when Redis cannot be reached or refuses AUTH/SELECT (the message
  /// names the redacted URL).
  static core::Result<std::unique_ptr<RedisConnection>> Connect(const RedisUrl& url,
                                                                const Options& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Sends `args` as one command and reads its reply. An error reply of Redis is returned
  /// as a reply of Kind::kError (the connection stays usable); I/O errors and timeouts fail.
  core::Result<RedisReply> Command(const std::vector<std::string>& args);

  /// Sends every command of `commands` in one write, then reads their replies in order (each
  /// within the command timeout). Fails like Command().
  core::Result<std::vector<RedisReply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  /// Sends `args` without reading a reply (pipelining, or a PING in subscriber mode).
  core::Status Send(const std::vector<std::string>& args);

  /// Reads the next reply or pushed message, waiting at most `timeout`: DeadlineExceeded
  /// when nothing arrived (the connection stays usable), Unavailable when it broke or was
  /// interrupted.
  core::Result<RedisReply> Read(std::chrono::milliseconds timeout);

  /// Makes a Read() blocked in another thread return at once (shuts the socket down; the
  /// connection is broken afterwards). Thread-safe while the connection is alive.
  void Interrupt();

  bool broken() const { return broken_; }

 private:
  // Only Connect() can name it: the constructor is public for std::make_unique alone.
  struct Token {
    explicit Token() = default;
  };

 public:
  /// Takes ownership of `context`. Use Connect().
  RedisConnection(Token token, redisContext* context, std::string name, Options options);

 private:
  core::Status Fail(const char* what);
  core::Status Append(const std::vector<std::string>& args);
  core::Status Flush();

  redisContext* context_;  // owned; freed by the destructor
  std::string name_;       // the redacted URL, for messages
  Options options_;
  bool broken_ = false;
};

}  // namespace gantry::queue
