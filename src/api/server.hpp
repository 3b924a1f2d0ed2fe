#pragma once
// The HTTP/1.1 transport: accepts connections, enforces size and time limits, and hands each
// request to the Router. One coroutine per connection owns its stream; handlers that may block
// on the network run on a separate worker pool so the network threads stay responsive.

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "api/router.hpp"

namespace creditscope::api {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  unsigned io_threads = 2;
  unsigned worker_threads = 16;
  std::size_t max_connections = 1024;
  std::size_t max_target_bytes = 8 * 1024;        // longer request-target: 414
  std::size_t max_header_bytes = 16 * 1024;       // larger header section: 431
  std::size_t max_body_bytes = 64 * 1024;         // larger body: 413
  std::chrono::seconds read_timeout{15};          // to receive one whole request (slowloris)
  std::chrono::seconds idle_timeout{60};          // keep-alive connection with no request
};

class HttpServer {
 public:
  /// Binds immediately; throws std::runtime_error if the address cannot be bound.
  HttpServer(ServerOptions options, const Router& router);
  ~HttpServer();

  /// The bound port (useful with port 0).
  unsigned short port() const { return port_; }
  /// Starts the io threads and returns.
  void start();
  /// Graceful shutdown, first step: closes the listening socket, ends event streams and makes
  /// every keep-alive connection close after its current answer. Requests already read go on.
  /// Idempotent; thread-safe.
  void stop_accepting();
  /// Waits until no request is being handled (event streams do not count), or the deadline.
  /// Returns whether the server went idle. Thread-safe.
  bool wait_idle(std::chrono::steady_clock::time_point deadline) const;
  /// Requests being handled now (event streams excluded).
  std::size_t in_flight() const;
  /// Stops accepting, lets streams send their last event (up to 2 s), then closes every connection
  /// and joins the threads; requests still running are abandoned. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  unsigned short port_ = 0;
};

}  // namespace creditscope::api
