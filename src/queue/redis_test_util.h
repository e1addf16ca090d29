#pragma once

// Tests only: a real redis-server on a free loopback port in a temporary directory, started
// and stopped by the test (no persistence: --save '' --appendonly no), as services.md shows.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "core/subprocess.h"
#include "queue/redis_client.h"

namespace gantry::queue::testing {

/// True when redis-server is on PATH (tests skip otherwise).
inline bool RedisServerInstalled() {
  return core::RunProgram({"sh", "-c", "command -v redis-server"}, "").ok();
}

/// A free TCP port on 127.0.0.1 (bound and released: good enough for a test).
inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// One redis-server; Stop() and Start() again keep the port. Stopped by the destructor.
class TestRedis {
 public:
  TestRedis() : port_(FreePort()) {
    char dir[] = "/tmp/gantry-redis-XXXXXX";
    dir_ = ::mkdtemp(dir) != nullptr ? dir : "";
  }
  ~TestRedis() {
    Stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TestRedis(const TestRedis&) = delete;
  TestRedis& operator=(const TestRedis&) = delete;

  /// Starts redis-server and waits until it answers PING (5 s at most).
  core::Status Start() {
    auto started =
        core::RunProgram({"redis-server", "--bind", "127.0.0.1", "--port", std::to_string(port_),
                          "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile",
                          dir_ + "/redis.pid", "--logfile", dir_ + "/redis.log", "--dir", dir_},
                         "");
    if (!started.ok()) return started.status();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      auto conn = RedisConnection::Connect(url(), {});
      if (conn.ok()) {
        auto pong = conn.value()->Command({"PING"});
        if (pong.ok() && pong->str == "PONG") return core::Status::Ok();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return core::Status::Unavailable("redis-server on port " + std::to_string(port_) +
                                     " does not answer; see " + dir_ + "/redis.log");
  }

  /// Kills redis-server (SIGKILL: like a crash) and waits until its port refuses connections.
  void Stop() {
    std::ifstream in(dir_ + "/redis.pid");
    pid_t pid = 0;
    if (!(in >> pid) || pid <= 0) return;
    in.close();
    std::filesystem::remove(dir_ + "/redis.pid");
    ::kill(pid, SIGKILL);
    for (int i = 0; i < 500 && RedisConnection::Connect(url(), {}).ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  int port() const { return port_; }
  RedisUrl url() const {
    RedisUrl url;
    url.host = "127.0.0.1";
    url.port = port_;
    return url;
  }

 private:
  int port_;
  std::string dir_;
};

}  // namespace gantry::queue::testing
