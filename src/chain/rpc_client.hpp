#pragma once
// JSON-RPC 2.0 over HTTP: single calls and batches, retries with jittered backoff, failover
// across a chain's URLs, and per-method metrics.

#include <boost/json.hpp>
#include <atomic>
#include <chrono>
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
};

class HttpRpcClient final : public RpcClient {
 public:
  /// Throws std::invalid_argument if a URL does not parse (a start-up error).
  explicit HttpRpcClient(RpcOptions options);
  Result<std::vector<Result<json::value>>> batch(const std::vector<RpcRequest>& requests) override;

 private:
  Result<std::vector<Result<json::value>>> send_chunk(const std::vector<RpcRequest>& requests,
                                                      std::size_t begin, std::size_t end);
  // Index of the URL to try next, starting after `after`: healthy first, then lagging, then with
  // an open breaker; never one on another chain (urls_.size() when that is all there is).
  std::size_t pick_url(std::size_t after);
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
};

}  // namespace creditscope::chain
