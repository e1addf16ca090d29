#pragma once

// Receivers of outbound deliveries for the tests: an in-process HTTP server standing in for
// GitHub, Gitea and webhook endpoints (records requests, can answer 500 first), and SMTP relays
// (Debian's python3-aiosmtpd writing a maildir; tests/server/smtp_auth_server.py requiring
// STARTTLS and AUTH).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <sstream>

#include "server_fixture.h"

namespace gantry::testing {

struct Received {
  std::string method, path, body;
  std::map<std::string, std::string> headers;  // names lower-case
};

/// A tiny HTTP/1.1 server on 127.0.0.1: one request per connection, answered with the next
/// queued status for its path (201 and {"id":N} by default).
class Receiver {
 public:
  Receiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void FailFirst(const std::string& path, int times) {
    std::lock_guard<std::mutex> g(mu_);
    fail_[path] = times;
  }
  std::vector<Received> Requests(const std::string& path_prefix) {
    std::lock_guard<std::mutex> g(mu_);
    std::vector<Received> out;
    for (const Received& r : got_) {
      if (r.path.rfind(path_prefix, 0) == 0) out.push_back(r);
    }
    return out;
  }
  /// Waits until `n` requests to `path_prefix` arrived.
  std::vector<Received> Wait(const std::string& path_prefix, size_t n, int seconds = 30) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::vector<Received> got;
    while (std::chrono::steady_clock::now() < deadline) {
      got = Requests(path_prefix);
      if (got.size() >= n) return got;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "only " << got.size() << " of " << n << " requests to " << path_prefix;
    return got;
  }

 private:
  void Serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::string data;
      char buf[4096];
      size_t header_end = std::string::npos;
      size_t length = 0;
      for (;;) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        data.append(buf, static_cast<size_t>(n));
        if (header_end == std::string::npos) {
          header_end = data.find("\r\n\r\n");
          if (header_end != std::string::npos) {
            std::string lower = data.substr(0, header_end);
            for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
            size_t cl = lower.find("content-length:");
            if (cl != std::string::npos) length = std::stoul(lower.substr(cl + 15));
          }
        }
        if (header_end != std::string::npos && data.size() >= header_end + 4 + length) break;
      }
      Received r;
      std::istringstream head(data.substr(0, header_end));
      std::string line;
      std::getline(head, line);
      std::istringstream first(line);
      first >> r.method >> r.path;
      while (std::getline(head, line)) {
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (char& ch : name) ch = static_cast<char>(std::tolower(ch));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
        while (!value.empty() && (value.back() == '\r' || value.back() == ' ')) value.pop_back();
        r.headers[name] = value;
      }
      if (header_end != std::string::npos) r.body = data.substr(header_end + 4);
      int status = 201;
      {
        std::lock_guard<std::mutex> g(mu_);
        got_.push_back(r);
        auto it = fail_.find(r.path);
        if (it != fail_.end() && it->second > 0) {
          --it->second;
          status = 500;
        }
      }
      std::string body = status == 201 ? "{\"id\":" + std::to_string(++ids_) + "}" : "{}";
      std::string reply =
          "HTTP/1.1 " + std::to_string(status) + (status == 201 ? " Created" : " Oops") +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      ::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::vector<Received> got_;
  std::map<std::string, int> fail_;
  int ids_ = 1000;
};

inline int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

/// python3 -m aiosmtpd with the Mailbox handler: each message a file in DIR/new.
class SmtpServer : public ChildProcess {
 public:
  void Start(const std::string& maildir, int port) {
    maildir_ = maildir;
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string listen = "127.0.0.1:" + std::to_string(port);
      ::execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen.c_str(), "-c",
              "aiosmtpd.handlers.Mailbox", maildir.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  /// tests/server/smtp_auth_server.py: STARTTLS and AUTH required, certificate in DIR.
  void StartAuth(const std::string& dir, int port, const std::string& user,
                 const std::string& password) {
    maildir_ = dir + "/mail";
    pid_ = ::fork();
    if (pid_ == 0) {
      std::string script = std::string(GANTRY_SOURCE_DIR) + "/tests/server/smtp_auth_server.py";
      std::string p = std::to_string(port);
      std::string cert = dir + "/cert.pem";
      std::string key = dir + "/key.pem";
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      ::execl("/usr/bin/python3", "python3", script.c_str(), p.c_str(), cert.c_str(), key.c_str(),
              user.c_str(), password.c_str(), maildir_.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready once it accepts connections.
    for (int i = 0; i < 100; ++i) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<uint16_t>(port));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(fd);
      if (up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "the SMTP relay did not start";
  }
  std::vector<std::string> Messages() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(maildir_ + "/new", ec)) {
      std::ifstream in(e.path());
      out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return out;
  }
  std::vector<std::string> WaitMessages(size_t n, int seconds = 30) const {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::vector<std::string> got;
    while (std::chrono::steady_clock::now() < deadline) {
      got = Messages();
      if (got.size() >= n) return got;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "only " << got.size() << " of " << n << " e-mails arrived";
    return got;
  }

 private:
  std::string maildir_;
};

}  // namespace gantry::testing
