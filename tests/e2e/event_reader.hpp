#pragma once
// A client for server-sent event streams in end-to-end tests: a raw socket that decodes the
// chunked body and hands out one event at a time.

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include "harness.hpp"

namespace creditscope::e2e {

// Reads one server-sent event (or comment block) at a time from a raw socket.
class EventReader {
 public:
  EventReader(unsigned short port, const std::string& target, const std::string& extra_headers = "") {
    fd_ = connect_loopback(port, timeval{0, 200000});
    if (fd_ < 0) throw std::runtime_error("connect");
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n";
    ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  }
  ~EventReader() { ::close(fd_); }
  // The status line and headers.
  std::string head() {
    read_until([&] { return raw_.find("\r\n\r\n") != std::string::npos; }, std::chrono::seconds(10));
    auto end = raw_.find("\r\n\r\n");
    std::string h = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    return h;
  }
  // The stream's last chunk arrived within limit.
  bool ended(std::chrono::milliseconds limit) {
    read_until([&] {
      decode_chunks();
      return ended_;
    }, limit);
    return ended_;
  }
  // The next "event: balances" event's (id, data), within limit.
  std::optional<std::pair<std::string, std::string>> next_event(std::chrono::milliseconds limit) {
    std::optional<std::pair<std::string, std::string>> found;
    read_until([&] {
      decode_chunks();
      for (auto end = body_.find("\n\n"); end != std::string::npos; end = body_.find("\n\n")) {
        std::string block = body_.substr(0, end);
        body_.erase(0, end + 2);
        if (!block.starts_with("event: balances\n")) continue;
        auto id = block.find("id: "), data = block.find("\ndata: ");
        found = std::pair{block.substr(id + 4, block.find('\n', id) - id - 4), block.substr(data + 7)};
        return true;
      }
      return false;
    }, limit);
    return found;
  }

 private:
  template <class F>
  void read_until(F&& done, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < until) {
      char buf[65536];
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) raw_.append(buf, static_cast<std::size_t>(n));
    }
  }
  void decode_chunks() {
    for (;;) {
      auto eol = raw_.find("\r\n");
      if (eol == std::string::npos) return;
      std::size_t size = std::stoul(raw_.substr(0, eol), nullptr, 16);
      if (raw_.size() < eol + 2 + size + 2) return;
      if (size == 0) ended_ = true;
      body_ += raw_.substr(eol + 2, size);
      raw_.erase(0, eol + 2 + size + 2);
    }
  }
  int fd_;
  std::string raw_, body_;
  bool ended_ = false;
};

}  // namespace creditscope::e2e
