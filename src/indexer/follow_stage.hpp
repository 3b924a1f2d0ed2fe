#pragma once
// The follow stage: moves the index of one chain from its synced head towards the node's head, one
// committed step at a time, and unwinds it to the fork point when the node's chain no longer
// extends the stored one. It keeps only cursors (the head, recent block hashes, the balance
// refresh position); everything else is in the store.
//
// Cost per poll does not grow with the tracked set: one eth_getBlockByNumber("latest"); for one new
// block every Transfer of it by its hash (EIP-234: no recheck needed), matched locally: 2 calls;
// for k > 1 new blocks k-1 headers, the logs of the range (topic lists, an in and an out list, up
// to accounts_per_filter accounts; above that every Transfer, matched locally) and one recheck of
// the target: k + 3 calls at most. So at most 3 calls per new block, plus the balance reads: the
// (account, token) pairs new transfers touched, stale pairs after an unwind, and a bounded page of
// the periodic refresh. Polls that find no new block cost the one header call.

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <unordered_set>
#include <vector>

#include "chain/chain_settings.hpp"
#include "chain/log_limits.hpp"
#include "chain/rpc_client.hpp"
#include "core/account.hpp"
#include "store/store.hpp"

namespace creditscope::indexer {

using TrackedSet = std::unordered_set<Address>;

struct FollowOptions {
  std::uint64_t finality_depth = 64;
  std::uint64_t max_follow_step = 20000;
  std::size_t accounts_per_filter = 500;
  std::chrono::milliseconds poll_interval{2000};
  std::chrono::seconds balance_refresh{60};
};

struct FollowOutcome {
  bool more = false;      // the node has more blocks: step again without waiting
  bool unwound = false;   // a reorg was rolled back
  std::uint64_t head = 0;  // the synced head after the step
  std::vector<Address> changed;  // tracked accounts whose transfers or balances the step changed
};

/// Not thread-safe: the owner serialises calls (and holds its commit lock around them).
class FollowStage {
 public:
  FollowStage(const chain::ChainSettings& settings, FollowOptions options, chain::RpcClient& rpc, store::ChainStore store,
              chain::LogRangeTuner& tuner);

  /// Reads the cursors from the store (after a restart or a takeover).
  Result<void> load();
  bool head_known() const { return head_known_; }
  std::uint64_t head() const { return head_; }
  /// Bumped by every unwind: a backfill that scanned across one must scan again.
  std::uint64_t unwinds() const { return unwinds_; }

  /// One step; every write carries lease_epoch. known_tokens: tokens whose metadata is stored.
  Result<FollowOutcome> step(std::uint64_t lease_epoch, const TrackedSet& tracked, std::set<Address>& known_tokens);

 private:
  Result<void> unwind(std::uint64_t lease_epoch);
  Result<std::vector<std::pair<Address, Address>>> refresh_page();
  // Pairs per step so that `pairs` pairs are read once per balance_refresh, one page per poll.
  std::size_t refresh_page_for(std::uint64_t pairs) const;

  const chain::ChainSettings& settings_;
  const FollowOptions options_;
  chain::RpcClient& rpc_;
  store::ChainStore store_;
  chain::LogRangeTuner& tuner_;

  std::uint64_t head_ = 0;
  bool head_known_ = false;
  std::map<std::uint64_t, Hash32> hashes_;  // recent canonical blocks, at most finality_depth
  std::uint64_t unwinds_ = 0;
  std::pair<Address, Address> refresh_after_{};  // the periodic refresh's position
  std::size_t refresh_seen_ = 0;                 // pairs seen in the current refresh round
  std::size_t refresh_page_ = 1;                 // pairs per step, from the stored count or the last round's
};

}  // namespace creditscope::indexer
