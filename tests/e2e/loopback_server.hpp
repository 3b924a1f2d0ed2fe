#pragma once
// Accepts TCP connections on 127.0.0.1 (a free port) and runs `session` for each on its own thread,
// for the test servers that speak other services' wire formats. The session owns its socket; at
// destruction idle sessions are woken (shutdown) and every thread is joined.

#include <boost/asio.hpp>
#include <sys/socket.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace creditscope::e2e {

class LoopbackServer {
 public:
  using tcp = boost::asio::ip::tcp;

  explicit LoopbackServer(std::function<void(tcp::socket)> session)
      : session_(std::move(session)), acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    acceptor_thread_ = std::thread([this] { accept_loop(); });
  }
  ~LoopbackServer() {
    stopping_ = true;
    boost::system::error_code ec;
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // wakes the blocking accept()
    acceptor_.close(ec);
    ioc_.stop();
    if (acceptor_thread_.joinable()) acceptor_thread_.join();
    std::vector<std::thread> sessions;
    {
      // Wake sessions blocked reading an idle keep-alive connection.
      std::lock_guard lock(mutex_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
      sessions.swap(sessions_);
    }
    for (auto& t : sessions)
      if (t.joinable()) t.join();
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  void accept_loop() {
    while (!stopping_) {
      boost::system::error_code ec;
      tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      std::lock_guard lock(mutex_);
      const int fd = socket.native_handle();
      open_fds_.insert(fd);
      sessions_.emplace_back([this, fd, s = std::move(socket)]() mutable {
        try {
          session_(std::move(s));
        } catch (const std::exception& e) {
          std::cerr << "test server session failed: " << e.what() << "\n";
        }
        std::lock_guard l(mutex_);
        open_fds_.erase(fd);
      });
    }
  }

  const std::function<void(tcp::socket)> session_;
  boost::asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread acceptor_thread_;
  std::mutex mutex_;
  std::vector<std::thread> sessions_;  // guarded by mutex_
  std::set<int> open_fds_;             // guarded by mutex_
  std::atomic<bool> stopping_{false};
};

}  // namespace creditscope::e2e
