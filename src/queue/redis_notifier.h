#pragma once

// Wake-ups shared by several server replicas through Redis pub/sub. Each replica keeps its own
// topic versions (TopicVersions); a Publish bumps the local version at once and is announced
// on one channel as "<instance-id> <topic>"; every other replica's subscriber bumps its local
// version of that topic. Redis carries nothing else: when it is unreachable the replicas poll
// the database (Wait capped at the poll interval) and catch up when it returns.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#include "queue/notifier.h"
#include "queue/redis_client.h"
#include "queue/topic_versions.h"

namespace gantry::queue {

struct RedisNotifierOptions {
  /// The channel every replica publishes on and subscribes to.
  std::string channel = "gantry:wake";
  /// How long a Wait sleeps at most while Redis is unreachable.
  std::chrono::milliseconds poll_interval{1000};
  /// Reconnect delays: the first retry after `min_backoff`, doubling up to `max_backoff`.
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  /// A subscriber that heard nothing for this long sends a PING; no answer within the
  /// command timeout means the connection is dead.
  std::chrono::milliseconds health_interval{10000};
  RedisConnection::Options connection;
};

/// A Notifier over Redis pub/sub with a polling fallback. Publish never blocks on the network:
/// a publisher thread sends the announcements. A subscriber thread receives the other
/// replicas' announcements (its own are recognised by the instance id and ignored). After any
/// reconnection every known topic is bumped once, since announcements may have been missed,
/// and the publisher announces "*" (bump everything) to the others for the same reason.
/// Thread-safe.
class RedisNotifier : public Notifier {
 public:
  /// Starts both threads. Never fails: an unreachable Redis means polling until it answers
  /// (one line on stderr at each change between connected and polling).
  explicit RedisNotifier(RedisUrl url, RedisNotifierOptions options = {});
  /// Shutdown() and joins the threads.
  ~RedisNotifier() override;
  RedisNotifier(const RedisNotifier&) = delete;
  RedisNotifier& operator=(const RedisNotifier&) = delete;

  void Publish(const std::string& topic) override;
  uint64_t Version(const std::string& topic) override;
  uint64_t Wait(const std::string& topic, uint64_t seen,
                std::chrono::milliseconds timeout) override;
  void Shutdown() override;
  bool shut_down() const override;
  /// True while the subscriber is subscribed and the publisher's last attempt succeeded.
  bool connected() const override;

  /// Blocks until connected() or `timeout` passes; returns connected().
  bool WaitConnected(std::chrono::milliseconds timeout);
  /// Blocks until the first connections succeeded or one of them failed, or `timeout`
  /// passes; returns connected(). For start-up: a server without Redis must not wait long.
  bool WaitFirstAttempt(std::chrono::milliseconds timeout);
  /// Announcements from other replicas received so far (tests, metrics).
  uint64_t received() const;
  /// This replica's random id in the announcements.
  const std::string& instance_id() const { return instance_id_; }

 private:
  void PublisherLoop();
  void SubscriberLoop();
  /// Reads announcements until the connection fails or Shutdown(); returns why it ended.
  core::Status Listen(RedisConnection& conn);
  void Handle(const RedisReply& message);
  /// Sleeps `delay` unless Shutdown() comes first; false once shut down.
  bool SleepUnlessStopped(std::chrono::milliseconds delay);
  /// Sets a connection's state (`why` it failed when false), logs changes between working
  /// and polling, and wakes WaitConnected().
  void SetState(bool* flag, bool value, const std::string& why);
  void Log(const std::string& line) const;

  const RedisUrl url_;
  const RedisNotifierOptions options_;
  const std::string instance_id_;
  TopicVersions versions_;

  mutable std::mutex mu_;
  std::condition_variable cv_;               // publisher work, state changes, shutdown
  bool stop_ = false;                        // GUARDED_BY(mu_)
  std::unordered_set<std::string> pending_;  // GUARDED_BY(mu_): topics to announce
  bool resync_ = false;                      // GUARDED_BY(mu_): announce "*" next
  bool subscribed_ = false;                  // GUARDED_BY(mu_)
  bool publisher_ok_ = false;                // GUARDED_BY(mu_)
  enum class Reported { kNothing, kUp, kDown };
  Reported reported_ = Reported::kNothing;  // GUARDED_BY(mu_): the state logged last
  uint64_t received_ = 0;                   // GUARDED_BY(mu_)
  RedisConnection* listening_ = nullptr;    // GUARDED_BY(mu_): for Interrupt() at Shutdown
  std::thread publisher_;
  std::thread subscriber_;
};

}  // namespace gantry::queue
