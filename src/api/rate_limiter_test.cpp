#include "api/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace creditscope::api {
namespace {

TEST(RateLimiter, AllowsTheBurstThenAsksToWait) {
  RateLimiter limiter(1, 3);  // 1 per second, bursts of 3
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.acquire("a")) << i;
  auto wait = limiter.acquire("a");
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 1);
  EXPECT_FALSE(limiter.acquire("b"));  // another client has its own bucket
}

TEST(RateLimiter, ZeroRateIsOff) {
  RateLimiter limiter(0, 0);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(limiter.acquire("a"));
}

}  // namespace
}  // namespace creditscope::api
