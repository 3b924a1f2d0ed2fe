#include "api/answer_cache.hpp"

#include <gtest/gtest.h>

namespace creditscope::api {
namespace {

std::shared_ptr<const EncodedAnswer> body(std::size_t n, char c = 'x') {
  return std::make_shared<const EncodedAnswer>(std::string(n, c));
}

TEST(AnswerCache, AVariantIsStaleOnceItsSnapshotOrPricesChange) {
  AnswerCache cache(1 << 20);
  auto s1 = std::make_shared<const AccountSnapshot>();
  auto s2 = std::make_shared<const AccountSnapshot>();
  cache.put("k", s1, 7, body(10));
  EXPECT_TRUE(cache.get("k", s1.get(), 7));
  EXPECT_FALSE(cache.get("k", s1.get(), 8)) << "prices changed";
  cache.put("k", s1, 7, body(10));
  EXPECT_FALSE(cache.get("k", s2.get(), 7)) << "a newer snapshot";
  cache.put("k", s1, 7, body(10));
  const AccountSnapshot* gone = s1.get();
  s1.reset();
  EXPECT_FALSE(cache.get("k", gone, 7)) << "the snapshot it was made from is gone";
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(AnswerCache, FinalAnswersServeAnySnapshotAndTheBudgetEvictsTheLeastRecent) {
  AnswerCache cache(4000);  // two answers of 1,000 bytes fit, three do not
  cache.put("a", nullptr, 0, body(1000, 'a'));
  cache.put("b", nullptr, 0, body(1000, 'b'));
  EXPECT_TRUE(cache.get("a", nullptr, 5));  // a is now the most recent
  cache.put("c", nullptr, 0, body(1000, 'c'));
  EXPECT_TRUE(cache.get("a", nullptr, 0));
  EXPECT_FALSE(cache.get("b", nullptr, 0)) << "least recently used goes first";
  EXPECT_TRUE(cache.get("c", nullptr, 0));
  EXPECT_LE(cache.bytes(), 4000u);
  cache.put("huge", nullptr, 0, body(5000));
  EXPECT_FALSE(cache.get("huge", nullptr, 0)) << "larger than the whole budget: not kept";
}

}  // namespace
}  // namespace creditscope::api
