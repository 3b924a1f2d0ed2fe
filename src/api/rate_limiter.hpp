#pragma once
// Token-bucket rate limiting per client: per API key when keys are configured (so one key cannot
// starve the others), else per remote address. Thread-safe.

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace creditscope::api {

class RateLimiter {
 public:
  /// per_second 0 disables the limiter.
  RateLimiter(double per_second, double burst) : rate_(per_second), burst_(burst) {}

  /// nullopt if the request may proceed, else the seconds until it may (for Retry-After, >= 1).
  std::optional<long> acquire(const std::string& client);
  bool enabled() const { return rate_ > 0; }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  const double rate_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;  // guarded by mutex_
};

}  // namespace creditscope::api
