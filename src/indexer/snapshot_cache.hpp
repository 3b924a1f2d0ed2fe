#pragma once
// A bounded cache of account snapshots (and, through them, of their rendered bodies), least
// recently used out first. The byte budget counts an estimate of each snapshot with its rendering,
// so the index's memory stays within [server] cache_mb whatever the number of tracked accounts.
//
// Staleness: callers read generation() before reading the store and pass it to put(); any
// invalidation in between makes put() a no-op, so an answer read before a change can never be
// cached after the change was announced.

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/account.hpp"

namespace creditscope::indexer {

/// Thread-safe.
class SnapshotCache {
 public:
  struct Entry {
    std::shared_ptr<const AccountSnapshot> snapshot;
    std::uint64_t block_num = 0;  // the head the snapshot was read at
  };

  explicit SnapshotCache(std::size_t max_bytes);

  /// The entry for (owner, account), made most recently used; nullopt when absent.
  std::optional<Entry> get(const void* owner, const Address& account);
  /// Inserts unless an invalidation happened since `generation` was read; evicts the least
  /// recently used entries beyond the budget. An entry larger than the whole budget is not kept.
  void put(const void* owner, const Address& account, Entry entry, std::uint64_t generation);
  std::uint64_t generation() const;
  void invalidate(const void* owner, const std::vector<Address>& accounts);
  void clear(const void* owner);

  std::size_t bytes() const;
  std::size_t size() const;
  /// The estimate put() charges for a snapshot.
  static std::size_t estimate(const AccountSnapshot& snapshot);

 private:
  struct Key {
    const void* owner;
    Address account;
    bool operator==(const Key& o) const { return owner == o.owner && account == o.account; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<Address>()(k.account) ^ std::hash<const void*>()(k.owner);
    }
  };
  struct Slot {
    Entry entry;
    std::size_t bytes;
    std::list<Key>::iterator lru;
  };
  void erase(std::unordered_map<Key, Slot, KeyHash>::iterator it);  // REQUIRES: mutex_ held

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::unordered_map<Key, Slot, KeyHash> slots_;  // guarded by mutex_
  std::list<Key> lru_;                            // front: most recent; guarded by mutex_
  std::size_t bytes_ = 0;                         // guarded by mutex_
  std::uint64_t generation_ = 0;                  // guarded by mutex_
};

}  // namespace creditscope::indexer
