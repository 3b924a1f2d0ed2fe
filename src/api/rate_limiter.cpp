#include "api/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace creditscope::api {

std::optional<long> RateLimiter::acquire(const std::string& client) {
  if (!enabled()) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  if (buckets_.size() > 100000) {
    // Forget clients whose buckets have refilled: they behave as new ones would.
    std::erase_if(buckets_, [&](const auto& kv) {
      return std::chrono::duration<double>(now - kv.second.last).count() * rate_ >= burst_;
    });
  }
  auto [it, inserted] = buckets_.try_emplace(client, Bucket{burst_, now});
  Bucket& b = it->second;
  b.tokens = std::min(burst_, b.tokens + std::chrono::duration<double>(now - b.last).count() * rate_);
  b.last = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  return std::max<long>(1, static_cast<long>(std::ceil((1 - b.tokens) / rate_)));
}

}  // namespace creditscope::api
