#include "queue/redis_notifier.h"

#include <algorithm>
#include <iostream>
#include <random>
#include <utility>
#include <vector>

namespace gantry::queue {
namespace {

// Announcements waiting for the publisher, at most; past it they collapse into one "*".
constexpr size_t kMaxPending = 10000;
// The topic of an announcement that means "bump every topic" (after announcements were lost).
constexpr std::string_view kEverything = "*";

std::string RandomId() {
  std::random_device device;
  std::uniform_int_distribution<uint32_t> digit(0, 15);
  std::string id(16, '0');
  for (char& c : id) c = "0123456789abcdef"[digit(device)];
  return id;
}

}  // namespace

RedisNotifier::RedisNotifier(RedisUrl url, RedisNotifierOptions options)
    : url_(std::move(url)),
      options_(std::move(options)),
      instance_id_(RandomId()),
      versions_(options_.poll_interval) {
  // Polling until the subscriber is subscribed: nothing from other replicas arrives before.
  versions_.SetPolling(true);
  publisher_ = std::thread([this] { PublisherLoop(); });
  subscriber_ = std::thread([this] { SubscriberLoop(); });
}

RedisNotifier::~RedisNotifier() {
  Shutdown();
  publisher_.join();
  subscriber_.join();
}

void RedisNotifier::Publish(const std::string& topic) {
  versions_.Bump(topic);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    if (pending_.size() >= kMaxPending) {
      pending_.clear();
      resync_ = true;
    } else {
      pending_.insert(topic);
    }
  }
  cv_.notify_all();
}

uint64_t RedisNotifier::Version(const std::string& topic) { return versions_.Version(topic); }

uint64_t RedisNotifier::Wait(const std::string& topic, uint64_t seen,
                             std::chrono::milliseconds timeout) {
  return versions_.Wait(topic, seen, timeout);
}

void RedisNotifier::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    if (listening_ != nullptr) listening_->Interrupt();
  }
  cv_.notify_all();
  versions_.Shutdown();
}

bool RedisNotifier::shut_down() const { return versions_.shut_down(); }

bool RedisNotifier::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subscribed_ && publisher_ok_;
}

bool RedisNotifier::WaitConnected(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return stop_ || (subscribed_ && publisher_ok_); }) &&
         !stop_;
}

bool RedisNotifier::WaitFirstAttempt(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return stop_ || reported_ != Reported::kNothing; });
  return subscribed_ && publisher_ok_;
}

uint64_t RedisNotifier::received() const {
  std::lock_guard<std::mutex> lock(mu_);
  return received_;
}

bool RedisNotifier::SleepUnlessStopped(std::chrono::milliseconds delay) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_for(lock, delay, [&] { return stop_; });
}

void RedisNotifier::Log(const std::string& line) const {
  std::cerr << "gantry: " << line << std::endl;
}

void RedisNotifier::SetState(bool* flag, bool value, const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    *flag = value;
    const bool up = subscribed_ && publisher_ok_;
    // One line per change between working and polling, not one per failed reconnection.
    if (up && reported_ != Reported::kUp) {
      reported_ = Reported::kUp;
      Log("redis " + url_.Redacted() + ": connected; wake-ups between replicas go through Redis");
    } else if (!value && reported_ != Reported::kDown && !stop_) {
      reported_ = Reported::kDown;
      Log(why + "; polling the database every " + std::to_string(options_.poll_interval.count()) +
          " ms until Redis answers");
    }
  }
  cv_.notify_all();
}

void RedisNotifier::PublisherLoop() {
  std::unique_ptr<RedisConnection> conn;
  auto backoff = options_.min_backoff;
  auto announce = [&](const std::vector<std::string>& topics) -> core::Status {
    std::vector<std::vector<std::string>> commands;
    commands.reserve(topics.size());
    for (const std::string& topic : topics) {
      commands.push_back({"PUBLISH", options_.channel, instance_id_ + " " + topic});
    }
    auto replies = conn->Pipeline(commands);
    if (!replies.ok()) return replies.status();
    for (const RedisReply& reply : replies.value()) {
      if (reply.kind == RedisReply::Kind::kError) {
        return core::Status::Unavailable("PUBLISH: " + reply.str);
      }
    }
    return core::Status::Ok();
  };
  for (;;) {
    if (!conn) {
      auto connected = RedisConnection::Connect(url_, options_.connection);
      if (!connected.ok()) {
        {
          // Announcements are dropped while Redis is away (the others poll meanwhile); they
          // hear "*" once it is back.
          std::lock_guard<std::mutex> lock(mu_);
          if (!pending_.empty()) resync_ = true;
          pending_.clear();
        }
        SetState(&publisher_ok_, false, connected.status().message());
        if (!SleepUnlessStopped(backoff)) return;
        backoff = std::min(backoff * 2, options_.max_backoff);
        continue;
      }
      conn = std::move(connected).value();
      backoff = options_.min_backoff;
      SetState(&publisher_ok_, true, "");
    }
    std::vector<std::string> topics;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || resync_ || !pending_.empty(); });
      if (stop_) return;
      if (resync_) {
        topics.emplace_back(kEverything);  // covers every pending topic too
        resync_ = false;
      } else {
        topics.assign(pending_.begin(), pending_.end());
      }
      pending_.clear();
    }
    auto sent = announce(topics);
    if (!sent.ok()) {
      // The connection may have broken while idle (Redis restarted): one fresh try at once.
      conn.reset();
      auto again = RedisConnection::Connect(url_, options_.connection);
      if (again.ok()) {
        conn = std::move(again).value();
        sent = announce(topics);
      }
    }
    if (!sent.ok()) {
      conn.reset();
      {
        std::lock_guard<std::mutex> lock(mu_);
        resync_ = true;
      }
      SetState(&publisher_ok_, false, sent.message());
      if (!SleepUnlessStopped(backoff)) return;
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }
}

void RedisNotifier::SubscriberLoop() {
  auto backoff = options_.min_backoff;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    core::Status ended = core::Status::Ok();
    auto connected = RedisConnection::Connect(url_, options_.connection);
    if (connected.ok()) {
      std::unique_ptr<RedisConnection> conn = std::move(connected).value();
      auto reply = conn->Command({"SUBSCRIBE", options_.channel});
      if (!reply.ok()) {
        ended = reply.status();
      } else if (reply->kind != RedisReply::Kind::kArray || reply->elements.empty() ||
                 reply->elements[0].str != "subscribe") {
        ended = core::Status::Unavailable("SUBSCRIBE " + options_.channel + ": " +
                                          (reply->kind == RedisReply::Kind::kError
                                               ? reply->str
                                               : std::string("unexpected reply")));
      } else {
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (stop_) return;
          listening_ = conn.get();
        }
        // Announcements sent while this replica was not subscribed are lost: every waiter
        // re-reads the database once.
        versions_.SetPolling(false);
        versions_.BumpAll();
        SetState(&subscribed_, true, "");
        backoff = options_.min_backoff;
        ended = Listen(*conn);
        std::lock_guard<std::mutex> lock(mu_);
        listening_ = nullptr;
      }
    } else {
      ended = connected.status();
    }
    versions_.SetPolling(true);
    SetState(&subscribed_, false, ended.message());
    if (!SleepUnlessStopped(backoff)) return;
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

core::Status RedisNotifier::Listen(RedisConnection& conn) {
  bool ping_sent = false;
  for (;;) {
    auto message =
        conn.Read(ping_sent ? options_.connection.command_timeout : options_.health_interval);
    if (!message.ok()) {
      if (message.status().code() != core::StatusCode::kDeadlineExceeded || ping_sent) {
        return message.status();
      }
      // Quiet for a while: make sure the connection is still alive.
      if (auto s = conn.Send({"PING"}); !s.ok()) return s;
      ping_sent = true;
      continue;
    }
    ping_sent = false;
    Handle(message.value());
  }
}

void RedisNotifier::Handle(const RedisReply& message) {
  // ["message", channel, "<instance-id> <topic>"]; anything else (a PING's "pong") is ignored.
  if (message.kind != RedisReply::Kind::kArray || message.elements.size() != 3 ||
      message.elements[0].str != "message") {
    return;
  }
  const std::string& payload = message.elements[2].str;
  size_t space = payload.find(' ');
  if (space == std::string::npos) return;
  // Our own announcements were bumped locally by Publish already.
  if (std::string_view(payload).substr(0, space) == instance_id_) return;
  std::string topic = payload.substr(space + 1);
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++received_;
  }
  if (topic == kEverything) {
    versions_.BumpAll();
  } else {
    versions_.Bump(topic);
  }
}

}  // namespace gantry::queue
