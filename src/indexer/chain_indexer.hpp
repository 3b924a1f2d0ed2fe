#pragma once
// The persistent transfer index of one chain: backfills accounts on first request, follows the
// head, handles reorgs, and answers warm requests from memory without any RPC.
//
// Backfills run on a pool of backfill_workers threads. Accounts queued together share one sweep
// (one log scan with topic OR-lists); a sweep commits its progress every backfill_commit_blocks
// from the scan's in-order progress, so how it commits never changes which eth_getLogs it makes.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include "chain/chain_settings.hpp"
#include "chain/rpc_client.hpp"
#include "chain/transfer_logs.hpp"
#include "core/account.hpp"
#include "store/store.hpp"

namespace creditscope::indexer {

/// Per-chain defaults for the configurable fields live in app/config_keys.cpp.
struct IndexerOptions {
  std::chrono::milliseconds poll_interval{2000};   // head polls; a new transfer shows within one
  std::uint64_t finality_depth = 64;               // blocks deeper than this are final
  std::chrono::seconds balance_refresh{60};        // every held balance is re-read this often
  std::chrono::milliseconds request_deadline{25000};  // a cold request waits this long for its backfill
  std::size_t accounts_per_filter = 500;           // addresses per eth_getLogs topic list
  std::uint64_t backfill_commit_blocks = 200000;   // backfill progress is committed at least this often
  std::uint64_t max_follow_step = 20000;           // blocks per follower step when catching up
  std::size_t backfill_workers = 4;                // backfill sweeps running at once
  // New accounts arriving together share one sweep: a sweep starts once arrivals pause for
  // burst_quiet, or burst_max after the first of them.
  std::chrono::milliseconds burst_quiet{15};
  std::chrono::milliseconds burst_max{200};
};

/// REQUIRES: the store outlives the indexer. Thread-safe.
class ChainIndexer final : public AccountSource {
 public:
  ChainIndexer(chain::ChainSettings settings, IndexerOptions options, std::shared_ptr<chain::RpcClient> rpc,
               store::Store& store);
  ~ChainIndexer() override;

  /// Starts the follower thread. It first checks the node against the store's record of the
  /// chain (chain id and genesis hash; a mismatch drops the stored index), then loads the index,
  /// resumes interrupted backfills and follows the head. Requests before that answer kUpstream.
  void start();
  /// Stops the follower and backfills; idempotent.
  void stop();

  /// Warm: from memory. Cold: registers the account and waits up to request_deadline for its
  /// backfill (shared by concurrent callers); past it kBackfilling while the backfill goes on.
  Result<AccountAnswer> snapshot(const Address& credit_account) override;
  std::optional<AccountAnswer> peek(const Address& credit_account) override;
  BackfillStatus status(const Address& credit_account) override;

  /// The block the index is synced through (0 before the first follower step).
  std::uint64_t head() const;

 private:
  struct AccountState {
    std::vector<TokenTransfer> transfers;  // ascending (block_num, log_index)
    std::map<Address, U256> balances;      // token -> raw balance
    std::shared_ptr<const AccountSnapshot> snapshot;
  };

  void follower_loop();
  Result<void> load();  // identity check and loading from the store
  Result<bool> follow_once();  // true if more blocks are waiting
  // REQUIRES: sync_mutex_ held. Finds the fork point from the stored hashes and rolls back to it.
  Result<void> handle_reorg();
  // The synced_through of an account nothing is stored for yet: the block before start_block_.
  std::uint64_t before_start() const;
  void backfill_worker();
  // Registers the accounts, groups them by how far their history is stored and backfills each
  // group in one sweep; settles every account's promise.
  void sweep(const std::vector<Address>& accounts);
  // Backfills accounts whose stored history ends at the same block, in one sweep, and makes them
  // followed. Calls answerable(a) once a's snapshot can be served, before the last commit is on disk.
  Result<void> run_backfill(const std::vector<Address>& accounts, const std::function<void(const Address&)>& answerable);
  void settle(const Address& account, Result<void> result);  // REQUIRES: backfill_mutex_ not held
  void publish_backfill_gauges();                              // REQUIRES: backfill_mutex_ held
  Result<std::vector<TokenTransfer>> fetch_range(const std::vector<Address>& accounts, std::uint64_t from,
                                                 std::uint64_t to);
  // REQUIRES: sync_mutex_ held. Reads metadata of unseen tokens and the given balances at block.
  Result<void> read_tokens_and_balances(const std::set<std::pair<Address, Address>>& pairs, std::uint64_t block,
                                        store::SyncStep& step);
  Result<void> load_account(const Address& account);  // REQUIRES: sync_mutex_ held
  // Makes account followed with these transfers and balances. REQUIRES: sync_mutex_ held.
  void install_account(const Address& account, std::vector<TokenTransfer> transfers,
                       const std::vector<store::StoredBalance>& balances);
  std::shared_ptr<const AccountSnapshot> build_snapshot(const Address& account, const AccountState& state) const;
  std::shared_future<Result<void>> backfill_future(const Address& account);

  const chain::ChainSettings settings_;
  const IndexerOptions options_;
  const std::shared_ptr<chain::RpcClient> rpc_;
  store::Store& store_;
  chain::LogRangeTuner tuner_;
  // settings_.start_block, or the factory's deployment block once load() has found it.
  std::atomic<std::uint64_t> start_block_;

  mutable std::mutex state_mutex_;
  std::unordered_map<Address, AccountState> followed_;  // guarded by state_mutex_
  std::map<Address, TokenMetadata> tokens_;             // guarded by state_mutex_
  std::uint64_t head_ = 0;                              // guarded by state_mutex_
  bool head_known_ = false;                             // guarded by state_mutex_
  bool consistent_ = true;  // false between a rollback and the next good step; guarded by state_mutex_
  bool loaded_ = false;     // the store's index is in memory; guarded by state_mutex_
  bool load_failed_ = false;  // the last load attempt failed (node unreachable); guarded by state_mutex_
  std::condition_variable loaded_cv_;

  std::mutex sync_mutex_;  // serialises follower steps, backfill commits and rollbacks
  std::map<std::uint64_t, Hash32> hashes_;                  // guarded by sync_mutex_
  std::set<std::pair<Address, Address>> dirty_balances_;    // (account, token); guarded by sync_mutex_
  std::chrono::steady_clock::time_point last_full_refresh_;  // guarded by sync_mutex_
  std::uint64_t reorg_epoch_ = 0;                            // guarded by sync_mutex_

  struct Progress {
    std::uint64_t from = 0, to = 0, scanned = 0;
    std::chrono::steady_clock::time_point started{};
    bool running = false;
  };
  // Lock order: sync_mutex_, then state_mutex_; backfill_mutex_ is never held with either.
  std::mutex backfill_mutex_;
  std::condition_variable backfill_cv_;
  std::map<Address, std::shared_future<Result<void>>> backfills_;                  // guarded by backfill_mutex_
  std::map<Address, std::shared_ptr<std::promise<Result<void>>>> promises_;        // unsettled; guarded by backfill_mutex_
  std::deque<Address> queue_;                                                      // guarded by backfill_mutex_
  std::map<Address, Progress> progress_;                                           // guarded by backfill_mutex_
  bool gathering_ = false;  // a worker is gathering a burst from queue_; guarded by backfill_mutex_
  std::size_t running_ = 0;                                                        // guarded by backfill_mutex_
  std::chrono::steady_clock::time_point last_arrival_{};                           // guarded by backfill_mutex_
  std::vector<std::thread> workers_;  // started by start(), joined by stop()

  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::thread follower_;
};

}  // namespace creditscope::indexer
