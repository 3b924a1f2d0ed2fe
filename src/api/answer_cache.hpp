#pragma once
// Renderings that are not an account's default answer: the extras' variants of a latest answer
// (valid while that snapshot is the account's current one and prices did not change) and answers
// pinned at or below the finalized block (valid for good). Bounded by bytes, least recently used
// first out, so variants cannot grow the memory the snapshot cache's budget promises.

#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api/render.hpp"

namespace creditscope::api {

/// Thread-safe.
class AnswerCache {
 public:
  explicit AnswerCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  /// The answer under key if it was made from `snapshot` (null: from any, for immutable answers)
  /// under price epoch `epoch`; else nullptr.
  std::shared_ptr<const EncodedAnswer> get(const std::string& key, const AccountSnapshot* snapshot, std::uint64_t epoch);
  void put(const std::string& key, const std::shared_ptr<const AccountSnapshot>& snapshot, std::uint64_t epoch,
           std::shared_ptr<const EncodedAnswer> answer);
  std::size_t bytes() const;

 private:
  struct Slot {
    std::weak_ptr<const AccountSnapshot> snapshot;  // expired or replaced: the entry is stale
    bool any_snapshot = false;
    std::uint64_t epoch = 0;
    std::shared_ptr<const EncodedAnswer> answer;
    std::size_t bytes = 0;
    std::list<std::string>::iterator lru;
  };
  void erase(std::unordered_map<std::string, Slot>::iterator it);  // REQUIRES: mutex_ held

  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Slot> slots_;  // guarded by mutex_
  std::list<std::string> lru_;                   // most recent first; guarded by mutex_
  std::size_t bytes_ = 0;                        // guarded by mutex_
};

}  // namespace creditscope::api
