#include "indexer/snapshot_cache.hpp"

#include "core/metrics.hpp"

namespace creditscope::indexer {
namespace {
constexpr MetricFamily kCacheBytesMetric{"creditscope_cache_bytes", "Estimated bytes held by the answer cache"};
constexpr MetricFamily kCacheEntriesMetric{"creditscope_cache_entries", "Accounts held by the answer cache"};
constexpr MetricFamily kCacheEvictionsMetric{"creditscope_cache_evictions_total", "Answers evicted from the cache to stay within cache_mb"};
// Rendered JSON per transfer and per holding, measured on typical answers, rounded up.
constexpr std::size_t kRenderedPerTransfer = 420, kRenderedPerHolding = 320, kOverhead = 512;
}  // namespace

SnapshotCache::SnapshotCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

std::size_t SnapshotCache::estimate(const AccountSnapshot& s) {
  std::size_t bytes = sizeof(AccountSnapshot) + kOverhead;
  for (const auto& h : s.holdings)
    bytes += sizeof(TokenHolding) + h.metadata.symbol.size() + kRenderedPerHolding +
             h.transfers.size() * (sizeof(TokenTransfer) + kRenderedPerTransfer);
  return bytes;
}

std::optional<SnapshotCache::Entry> SnapshotCache::get(const void* owner, const Address& account) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(Key{owner, account});
  if (it == slots_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.entry;
}

void SnapshotCache::put(const void* owner, const Address& account, Entry entry, std::uint64_t generation) {
  const std::size_t bytes = estimate(*entry.snapshot);
  std::lock_guard lock(mutex_);
  if (generation != generation_ || bytes > max_bytes_) return;
  const Key key{owner, account};
  if (auto it = slots_.find(key); it != slots_.end()) erase(it);
  lru_.push_front(key);
  slots_.emplace(key, Slot{std::move(entry), bytes, lru_.begin()});
  bytes_ += bytes;
  std::size_t evicted = 0;
  while (bytes_ > max_bytes_) {
    erase(slots_.find(lru_.back()));
    ++evicted;
  }
  if (evicted) Metrics::global().inc(kCacheEvictionsMetric, {}, static_cast<double>(evicted));
  Metrics::global().set(kCacheBytesMetric, {}, static_cast<double>(bytes_));
  Metrics::global().set(kCacheEntriesMetric, {}, static_cast<double>(slots_.size()));
}

void SnapshotCache::erase(std::unordered_map<Key, Slot, KeyHash>::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  slots_.erase(it);
}

std::uint64_t SnapshotCache::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

void SnapshotCache::invalidate(const void* owner, const std::vector<Address>& accounts) {
  std::lock_guard lock(mutex_);
  ++generation_;
  for (const auto& a : accounts)
    if (auto it = slots_.find(Key{owner, a}); it != slots_.end()) erase(it);
}

void SnapshotCache::clear(const void* owner) {
  std::lock_guard lock(mutex_);
  ++generation_;
  for (auto it = slots_.begin(); it != slots_.end();) {
    auto next = std::next(it);
    if (it->first.owner == owner) erase(it);
    it = next;
  }
}

std::size_t SnapshotCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::size_t SnapshotCache::size() const {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

}  // namespace creditscope::indexer
