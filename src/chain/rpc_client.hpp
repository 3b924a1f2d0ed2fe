#pragma once
// JSON-RPC 2.0 over HTTP: single calls and batches, retries with jittered backoff, failover
// across a chain's URLs, and per-method metrics.

#include <boost/json.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "chain/http_client.hpp"
#include "core/result.hpp"

namespace creditscope::chain {

namespace json = boost::json;

struct RpcRequest {
  std::string method;
  json::array params;
};

/// Bounds every RPC call made on this thread while it lives: attempts, timeouts and backoff all
/// end by the deadline, so a request cannot hang on a stalling node. Nests (the earlier wins).
class ScopedDeadline {
 public:
  explicit ScopedDeadline(std::chrono::steady_clock::time_point deadline);
  ~ScopedDeadline();
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;
  /// The deadline in force on this thread, if any.
  static std::optional<std::chrono::steady_clock::time_point> current();

 private:
  std::optional<std::chrono::steady_clock::time_point> previous_;
};

/// Transport to one chain. Implementations are thread-safe.
class RpcClient {
 public:
  virtual ~RpcClient() = default;

  /// Sends all requests (in as few HTTP round trips as the batch limit allows) and returns one
  /// result per request, in request order. The outer error means the batch as a whole could not
  /// be completed after retries; an inner error is that call's JSON-RPC error object
  /// (Errc::kUpstream with "code: message", kept verbatim so callers can classify it).
  virtual Result<std::vector<Result<json::value>>> batch(const std::vector<RpcRequest>& requests) = 0;

  /// One call; a JSON-RPC error comes back as the outer error.
  Result<json::value> call(std::string method, json::array params);

  /// How many batch() calls may usefully run at once (the sum of the URLs' in-flight budgets).
  virtual std::size_t parallelism() const { return 1; }
  /// JSON-RPC calls one HTTP request carries; batch() splits larger batches.
  virtual std::size_t max_batch() const { return 100; }
};

struct RpcOptions {
  std::string chain;                          // metrics label
  std::vector<std::string> urls;              // tried in order, failing over on errors
  std::chrono::milliseconds timeout{10000};   // per HTTP exchange
  int max_attempts = 4;                       // per batch chunk, across all URLs
  std::chrono::milliseconds backoff{100};     // first retry delay; doubles, with jitter
  std::size_t max_batch = 100;                // JSON-RPC calls per HTTP request
  std::uint64_t expected_chain_id = 0;        // nonzero: a URL answering another eth_chainId is not used
  std::uint64_t max_lag_blocks = 0;           // nonzero: a URL this far behind the best one is not used
  std::chrono::milliseconds health_interval{10000};  // how often chain ids and heads are re-checked
  int breaker_failures = 3;                   // consecutive failures that open a URL's breaker
  std::chrono::milliseconds breaker_open{5000};  // how long an open breaker skips its URL
  std::size_t max_in_flight = 4;              // HTTP requests in flight per URL
  double max_rps = 0;                         // calls (batch elements) per second per URL; 0: unknown, learned from 429s
};

/// Per URL it keeps at most max_in_flight requests open and, with max_rps, stays at 98% of that
/// rate over any 1.02 s (a request carries at most half of that). Without max_rps it sends
/// freely until a URL answers 429, then halves the rate that URL saw in the last second (at least
/// 5 calls/s) and adds 5% of that back each second (AIMD); Retry-After pauses the URL. A request
/// goes to the first preferred URL that can take it now, so URLs share the load in proportion to
/// their budgets. A 429 is not a failure for the circuit breaker.
class HttpRpcClient final : public RpcClient {
 public:
  /// Throws std::invalid_argument if a URL does not parse (a start-up error).
  explicit HttpRpcClient(RpcOptions options);
  Result<std::vector<Result<json::value>>> batch(const std::vector<RpcRequest>& requests) override;
  std::size_t parallelism() const override { return urls_.size() * options_.max_in_flight; }
  std::size_t max_batch() const override;

 private:
  // resplit: set when a 429 showed the chunk is larger than the URL's rate allows; nothing was
  // taken from it, and the caller sends it again in smaller chunks.
  Result<std::vector<Result<json::value>>> send_chunk(const std::vector<RpcRequest>& requests,
                                                      std::size_t begin, std::size_t end, bool& resplit);
  // The URLs worth trying now: the healthy ones, else lagging ones with a closed breaker, else any
  // on the right chain; never one on another chain (empty when that is all there is).
  std::vector<std::size_t> preferred_urls();
  void record(std::size_t url, bool ok);

  const RpcOptions options_;  // constant after construction
  std::vector<Url> urls_;  // constant after construction

  // Re-checks chain ids and heads of all URLs when health_interval has passed.
  void check_health();

  struct Breaker {
    int failures = 0;
    std::chrono::steady_clock::time_point open_until{};
    bool wrong_chain = false;  // answered another chain id
    bool lagging = false;      // more than max_lag_blocks behind the best URL
  };
  std::chrono::steady_clock::time_point next_health_check_{};  // guarded by breaker_mutex_
  std::mutex first_check_mutex_;           // held while the first health check runs
  std::atomic<bool> checked_once_{false};
  std::mutex breaker_mutex_;
  std::vector<Breaker> breakers_;  // one per URL; guarded by breaker_mutex_

  // Waits until one of preferred_urls() can take `calls` now (avoid only when no other can),
  // claims a slot there and returns its index; urls_.size() when no URL serves the chain,
  // nullopt when the thread's deadline passes first.
  // only: that URL and no other (health checks).
  std::optional<std::size_t> acquire(std::optional<std::size_t> avoid, std::size_t calls,
                                     std::optional<std::size_t> only = std::nullopt);
  void release(std::size_t url, bool rate_limited, std::optional<std::chrono::seconds> retry_after);

  struct Budget {
    std::size_t in_flight = 0;
    std::vector<std::pair<std::chrono::steady_clock::time_point, std::size_t>> sent;  // the last second's requests
    double rate = 0;       // learned calls/s after a 429; 0: none learned
    double raise = 0;      // added back per second
    std::chrono::steady_clock::time_point paused_until{}, last_raise{}, last_cut{};
  };
  std::size_t chunk_size_;  // constant after construction
  mutable std::mutex budget_mutex_;
  std::condition_variable budget_cv_;
  std::vector<Budget> budgets_;  // one per URL; guarded by budget_mutex_
  std::size_t rotation_ = 0;     // where the next search starts, so equal URLs alternate; guarded by budget_mutex_
};

}  // namespace creditscope::chain
