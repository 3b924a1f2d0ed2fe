#pragma once
// The explicit route table: path -> handler. Unknown paths give 404, other methods 405 with
// Allow. GET routes also answer HEAD. No transport knowledge here.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/api_keys.hpp"
#include "api/http_types.hpp"
#include "api/rate_limiter.hpp"

namespace creditscope::api {

struct Route {
  std::string path;  // exact match ("/healthz"), or a prefix when it ends in "*"
  std::function<ApiResponse(const ApiRequest&)> handler;
  bool blocking = false;     // may wait on the network: run on the worker pool
  bool needs_api_key = false;
  // For blocking routes: answers on the network thread when it can do so without waiting.
  std::function<std::optional<ApiResponse>(const ApiRequest&)> fast = {};
};

class Router {
 public:
  /// rate_per_s 0: no rate limit. The limit applies to routes that need an API key, per key (per
  /// client address when the API is open).
  Router(std::vector<Route> routes, ApiKeys keys, double rate_per_s = 0, double burst = 0)
      : routes_(std::move(routes)), keys_(std::move(keys)), limiter_(rate_per_s, burst) {}

  /// The route for path, or nullptr.
  const Route* find(std::string_view path) const;

  /// A response for requests that never reach a handler: 404, 405, 401, 429. nullopt means the
  /// request may proceed to route->handler.
  std::optional<ApiResponse> precheck(const ApiRequest& request, const Route* route) const;
  /// Who per-client limits count against: "key:<key>" with API keys on, else "ip:<address>".
  std::string limit_key(const ApiRequest& request) const;

  const ApiKeys& keys() const { return keys_; }

 private:
  const std::vector<Route> routes_;
  const ApiKeys keys_;
  mutable RateLimiter limiter_;
};

}  // namespace creditscope::api
