#include "api/answer_cache.hpp"

namespace creditscope::api {

std::shared_ptr<const EncodedAnswer> AnswerCache::get(const std::string& key, const AccountSnapshot* snapshot,
                                                      std::uint64_t epoch) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return nullptr;
  const Slot& s = it->second;
  if (!s.any_snapshot && (s.snapshot.lock().get() != snapshot || s.epoch != epoch)) {
    erase(it);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, s.lru);
  return s.answer;
}

void AnswerCache::put(const std::string& key, const std::shared_ptr<const AccountSnapshot>& snapshot, std::uint64_t epoch,
                      std::shared_ptr<const EncodedAnswer> answer) {
  // The body and, once asked for, its gzip copy (a fraction of it).
  const std::size_t bytes = answer->body->size() + answer->body->size() / 4 + key.size() + 256;
  std::lock_guard lock(mutex_);
  if (auto it = slots_.find(key); it != slots_.end()) erase(it);
  if (bytes > max_bytes_) return;
  lru_.push_front(key);
  slots_.emplace(key, Slot{snapshot, snapshot == nullptr, epoch, std::move(answer), bytes, lru_.begin()});
  bytes_ += bytes;
  while (bytes_ > max_bytes_) erase(slots_.find(lru_.back()));
}

std::size_t AnswerCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

void AnswerCache::erase(std::unordered_map<std::string, Slot>::iterator it) {
  bytes_ -= it->second.bytes;
  lru_.erase(it->second.lru);
  slots_.erase(it);
}

}  // namespace creditscope::api
