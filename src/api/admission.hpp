#pragma once
// Admission of first requests: a request for an account nothing tracks yet starts a backfill,
// which costs RPC budget, memory and disk, so those are limited apart from ordinary requests.
// Per client (API key, or address when the API is open) a number per minute, and for the whole
// process a number of backfills running at once. Tracked accounts never pass through here.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "api/http_types.hpp"
#include "api/rate_limiter.hpp"

namespace creditscope::api {

class NewAccountGate {
 public:
  /// per_minute 0: no per-client limit. max_running >= 1.
  NewAccountGate(double per_minute, std::size_t max_running);

  /// A token to hold while the backfill runs (its destruction frees the slot), or the answer
  /// refusing it: 503 with Retry-After when max_running backfills run, else 429 with Retry-After
  /// when the client used its minute's budget. A refusal by the first limit costs the client
  /// nothing. Thread-safe; the token may be released on any thread.
  std::variant<std::shared_ptr<void>, ApiResponse> admit(const std::string& client);

  std::size_t running() const { return running_->load(); }

 private:
  const std::size_t max_running_;
  std::shared_ptr<std::atomic<std::size_t>> running_;  // shared with the tokens, which may outlive the gate
  RateLimiter per_client_;
};

}  // namespace creditscope::api
