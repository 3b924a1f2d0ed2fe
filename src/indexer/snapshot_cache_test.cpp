#include "indexer/snapshot_cache.hpp"

#include <gtest/gtest.h>

#include "indexer/test_addresses.hpp"

namespace creditscope::indexer {
namespace {

using testing::addr;

std::shared_ptr<AccountSnapshot> snapshot_with(std::size_t transfers) {
  auto s = std::make_shared<AccountSnapshot>();
  TokenHolding h;
  h.transfers.resize(transfers);
  s->holdings.push_back(h);
  return s;
}

TEST(SnapshotCache, StaysWithinItsBudgetDroppingTheLeastRecentlyUsed) {
  const std::size_t one = SnapshotCache::estimate(*snapshot_with(10));
  SnapshotCache cache(3 * one);
  int owner = 0;
  for (std::uint8_t i = 0; i < 3; ++i) cache.put(&owner, addr(i), {snapshot_with(10), i}, cache.generation());
  ASSERT_EQ(cache.size(), 3u);
  ASSERT_TRUE(cache.get(&owner, addr(0)));  // 0 is now the most recent; 1 the least
  cache.put(&owner, addr(3), {snapshot_with(10), 3}, cache.generation());
  EXPECT_LE(cache.bytes(), 3 * one);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.get(&owner, addr(1)));
  EXPECT_TRUE(cache.get(&owner, addr(0)));
  EXPECT_EQ(cache.get(&owner, addr(3))->block_num, 3u);
}

TEST(SnapshotCache, AnEntryLargerThanTheBudgetIsNotKept) {
  SnapshotCache cache(SnapshotCache::estimate(*snapshot_with(1)));
  int owner = 0;
  cache.put(&owner, addr(1), {snapshot_with(100), 1}, cache.generation());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(SnapshotCache, AReadFromBeforeAnInvalidationIsNotCached) {
  SnapshotCache cache(1 << 20);
  int owner = 0;
  const auto generation = cache.generation();  // a reader starts reading the store ...
  cache.invalidate(&owner, {addr(9)});          // ... a commit changes some account meanwhile
  cache.put(&owner, addr(1), {snapshot_with(1), 1}, generation);
  EXPECT_FALSE(cache.get(&owner, addr(1)));
  cache.put(&owner, addr(1), {snapshot_with(1), 1}, cache.generation());
  EXPECT_TRUE(cache.get(&owner, addr(1)));
}

TEST(SnapshotCache, OwnersAreSeparate) {
  SnapshotCache cache(1 << 20);
  int a = 0, b = 0;
  cache.put(&a, addr(1), {snapshot_with(1), 1}, cache.generation());
  cache.put(&b, addr(1), {snapshot_with(1), 2}, cache.generation());
  cache.clear(&a);
  EXPECT_FALSE(cache.get(&a, addr(1)));
  EXPECT_EQ(cache.get(&b, addr(1))->block_num, 2u);
  cache.invalidate(&b, {addr(1)});
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

}  // namespace
}  // namespace creditscope::indexer
