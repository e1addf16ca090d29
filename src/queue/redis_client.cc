#include "queue/redis_client.h"

#include <hiredis.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <utility>

namespace gantry::queue {
namespace {

constexpr std::string_view kScheme = "redis://";

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// The URL as given, with whatever sits between the last ':' of its user part and '@'
// replaced: an error about a URL must not print the password in it.
std::string RedactRaw(std::string_view url) {
  size_t at = url.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  size_t start = url.starts_with(kScheme) ? kScheme.size() : 0;
  size_t colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) {
    return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
  }
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

bool ParseNumber(std::string_view text, int64_t max, int64_t* out) {
  if (text.empty() || text.size() > 10) return false;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max) {
    return false;
  }
  *out = value;
  return true;
}

// %XX escapes of the user part (a password may hold '@', ':' or '/').
bool PercentDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    int value = 0;
    if (i + 2 >= in.size()) return false;
    auto [end, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, value, 16);
    if (ec != std::errc() || end != in.data() + i + 3) return false;
    out->push_back(static_cast<char>(value));
    i += 2;
  }
  return true;
}

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      out.kind = r->type == REDIS_REPLY_STRING   ? RedisReply::Kind::kString
                 : r->type == REDIS_REPLY_STATUS ? RedisReply::Kind::kStatus
                                                 : RedisReply::Kind::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.kind = RedisReply::Kind::kNil;
      break;
  }
  return out;
}

struct ReplyDeleter {
  void operator()(void* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<void, ReplyDeleter>;

}  // namespace

std::string RedisUrl::Redacted() const {
  std::string out(kScheme);
  if (!username.empty() || !password.empty()) out += username + (password.empty() ? "@" : ":***@");
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port) + "/" + std::to_string(db);
  return out;
}

core::Result<RedisUrl> ParseRedisUrl(std::string_view url) {
  const std::string shown = "'" + RedactRaw(url) + "'";
  auto bad = [&](const std::string& why) {
    return core::Status::InvalidArgument("redis URL " + shown + ": " + why +
                                         " (expected redis://[:PASSWORD@]HOST[:PORT][/DB])");
  };
  if (url.starts_with("rediss://")) return bad("TLS (rediss://) is not supported");
  if (!url.starts_with(kScheme)) return bad("the scheme must be redis://");
  std::string_view rest = url.substr(kScheme.size());
  RedisUrl out;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view user = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = user.find(':');
    if (colon == std::string_view::npos) {
      return bad("the user part needs a ':' before the password (redis://:PASSWORD@HOST)");
    }
    if (!PercentDecode(user.substr(0, colon), &out.username) ||
        !PercentDecode(user.substr(colon + 1), &out.password)) {
      return bad("a '%' in the user part must start a %XX escape");
    }
  }
  if (rest.find('?') != std::string_view::npos) return bad("query parameters are not supported");
  std::string_view path;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string_view port;
  if (rest.starts_with('[')) {  // [IPv6]:port
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("the host misses its closing ']'");
    out.host = std::string(rest.substr(1, close - 1));
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return bad("expected ':PORT' after the host");
      port = after.substr(1);
      if (port.empty()) return bad("the port is empty");
    }
  } else if (size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(rest.substr(0, colon));
    port = rest.substr(colon + 1);
    if (port.empty()) return bad("the port is empty");
  } else {
    out.host = std::string(rest);
  }
  if (out.host.empty()) return bad("the host is missing");
  int64_t number = 0;
  if (!port.empty()) {
    if (!ParseNumber(port, 65535, &number) || number == 0) {
      return bad("the port '" + std::string(port) + "' is not a number from 1 to 65535");
    }
    out.port = static_cast<int>(number);
  }
  if (!path.empty()) {
    if (!ParseNumber(path, 1 << 20, &number)) {
      return bad("the database '" + std::string(path) + "' is not a number (0, 1, ...)");
    }
    out.db = static_cast<int>(number);
  }
  return out;
}

RedisConnection::RedisConnection(Token /*token*/, redisContext* context, std::string name,
                                 Options options)
    : context_(context), name_(std::move(name)), options_(options) {}

RedisConnection::~RedisConnection() { redisFree(context_); }

core::Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const RedisUrl& url,
                                                                        const Options& options) {
  std::string name = url.Redacted();
  redisContext* c =
      redisConnectWithTimeout(url.host.c_str(), url.port, ToTimeval(options.connect_timeout));
  if (c == nullptr) return core::Status::Unavailable("redis " + name + ": out of memory");
  if (c->err != 0) {
    std::string why = c->errstr;
    redisFree(c);
    return core::Status::Unavailable("cannot connect to redis " + name + ": " + why);
  }
  auto conn = std::make_unique<RedisConnection>(Token(), c, name, options);
  if (redisSetTimeout(c, ToTimeval(options.command_timeout)) != REDIS_OK) {
    return core::Status::Unavailable("redis " + name + ": cannot set the timeout");
  }
  // A peer that vanished without closing the connection is noticed by the kernel too.
  (void)redisEnableKeepAlive(c);
  auto step = [&](const std::vector<std::string>& args, const char* what) -> core::Status {
    auto reply = conn->Command(args);
    if (!reply.ok()) return reply.status();
    if (reply->kind == RedisReply::Kind::kError) {
      return core::Status::PermissionDenied("redis " + name + ": " + what + ": " + reply->str);
    }
    return core::Status::Ok();
  };
  if (!url.password.empty()) {
    std::vector<std::string> auth = {"AUTH"};
    if (!url.username.empty()) auth.push_back(url.username);
    auth.push_back(url.password);
    if (auto s = step(auth, "AUTH"); !s.ok()) return s;
  }
  if (url.db != 0) {
    if (auto s = step({"SELECT", std::to_string(url.db)}, "SELECT"); !s.ok()) return s;
  }
  return conn;
}

core::Status RedisConnection::Fail(const char* what) {
  broken_ = true;
  const bool timed_out = context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
  if (timed_out) {
    return core::Status::DeadlineExceeded("redis " + name_ + ": no answer to " + what + " within " +
                                          std::to_string(options_.command_timeout.count()) + " ms");
  }
  std::string why = context_->err != 0 ? context_->errstr : "connection lost";
  return core::Status::Unavailable("redis " + name_ + ": " + what + ": " + why);
}

core::Result<RedisReply> RedisConnection::Command(const std::vector<std::string>& args) {
  if (auto s = Send(args); !s.ok()) return s;
  void* raw = nullptr;
  if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    return Fail(args.empty() ? "a command" : args[0].c_str());
  }
  ReplyPtr reply(raw);
  return Convert(static_cast<const redisReply*>(reply.get()));
}

core::Result<std::vector<RedisReply>> RedisConnection::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  for (const auto& args : commands) {
    if (auto s = Append(args); !s.ok()) return s;
  }
  if (auto s = Flush(); !s.ok()) return s;
  std::vector<RedisReply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    auto reply = Read(options_.command_timeout);
    if (!reply.ok()) {
      // A reply missing from the middle of a pipeline leaves the stream unusable.
      broken_ = true;
      return reply.status();
    }
    replies.push_back(std::move(reply).value());
  }
  return replies;
}

core::Status RedisConnection::Send(const std::vector<std::string>& args) {
  if (auto s = Append(args); !s.ok()) return s;
  return Flush();
}

core::Status RedisConnection::Append(const std::vector<std::string>& args) {
  if (broken_) return core::Status::Unavailable("redis " + name_ + ": the connection is broken");
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAppendCommandArgv(context_, static_cast<int>(args.size()), argv.data(),
                             lengths.data()) != REDIS_OK) {
    return Fail("sending a command");
  }
  return core::Status::Ok();
}

core::Status RedisConnection::Flush() {
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) return Fail("sending a command");
  }
  return core::Status::Ok();
}

core::Result<RedisReply> RedisConnection::Read(std::chrono::milliseconds timeout) {
  if (broken_) return core::Status::Unavailable("redis " + name_ + ": the connection is broken");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(context_, &raw) != REDIS_OK) return Fail("reading");
    if (raw != nullptr) {
      ReplyPtr reply(raw);
      return Convert(static_cast<const redisReply*>(reply.get()));
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::milliseconds(0);
    pollfd pfd{context_->fd, POLLIN, 0};
    int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Fail("waiting for a reply");
    if (n == 0) {
      return core::Status::DeadlineExceeded("redis " + name_ + ": nothing to read within " +
                                            std::to_string(timeout.count()) + " ms");
    }
    // Readable, hung up or failed: the read below reports which.
    if (redisBufferRead(context_) != REDIS_OK) return Fail("reading");
  }
}

void RedisConnection::Interrupt() { ::shutdown(context_->fd, SHUT_RDWR); }

}  // namespace gantry::queue
