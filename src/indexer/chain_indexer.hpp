#pragma once
// The persistent transfer index of one chain, as one replica sees it. Any number of replicas may
// share a store; per chain one of them holds the lease and is the leader:
//   - the leader runs the follow stage (follow_stage.hpp) and the backfill stage (a pool of
//     backfill_workers threads; accounts queued together share one sweep, one log scan with topic
//     OR-lists, committing every backfill_commit_blocks from the scan's in-order progress). Every
//     write carries the lease epoch, so a leader that lost the lease while paused writes nothing.
//   - every replica answers from the store through a bounded SnapshotCache, learns about commits
//     from the store's change counter, and registers unknown accounts for the leader to backfill.
// Nothing per tracked account is kept in memory except its address in the follower's set.

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
#include <string>
#include <thread>
#include <vector>

#include "chain/chain_settings.hpp"
#include "chain/rpc_client.hpp"
#include "chain/transfer_logs.hpp"
#include "core/account.hpp"
#include "indexer/follow_stage.hpp"
#include "indexer/snapshot_cache.hpp"
#include "store/store.hpp"

namespace creditscope::indexer {

/// Per-chain defaults for the configurable fields live in app/config_keys.cpp.
struct IndexerOptions {
  std::chrono::milliseconds poll_interval{2000};   // head polls; a new transfer shows within one
  std::uint64_t finality_depth = 64;               // blocks deeper than this are final
  std::chrono::seconds balance_refresh{60};        // every held balance is re-read this often (spread out)
  std::chrono::milliseconds request_deadline{25000};  // a cold request waits this long for its backfill
  std::size_t accounts_per_filter = 500;           // addresses per eth_getLogs topic list; above: match locally
  std::uint64_t backfill_commit_blocks = 200000;   // backfill progress is committed at least this often
  std::uint64_t max_follow_step = 20000;           // blocks per follower step when catching up
  std::size_t backfill_workers = 4;                // backfill sweeps running at once
  // New accounts arriving together share one sweep: a sweep starts once arrivals pause for
  // burst_quiet, or burst_max after the first of them.
  std::chrono::milliseconds burst_quiet{15};
  std::chrono::milliseconds burst_max{200};
  // Replicas: the lease a leader renews, this process's name in it, and how often the store's
  // change counter is read ([store] leader_lease_s; a fixed 200 ms).
  std::chrono::milliseconds lease_ttl{10000};
  std::string holder = "local";
  std::chrono::milliseconds change_poll{200};
  // [store] untrack_after_days: a followed account nobody asked for this long stops being followed
  // (0 = never). Requests are written to the store every touch_interval (by every replica); the
  // leader looks for idle accounts every untrack_interval.
  std::chrono::seconds untrack_after{0};
  std::chrono::milliseconds touch_interval{60000};
  std::chrono::milliseconds untrack_interval{3600000};
};

/// REQUIRES: the store and the cache outlive the indexer. Thread-safe.
class ChainIndexer final : public AccountSource {
 public:
  ChainIndexer(chain::ChainSettings settings, IndexerOptions options, std::shared_ptr<chain::RpcClient> rpc,
               store::Store& store, std::shared_ptr<SnapshotCache> cache);
  ~ChainIndexer() override;

  /// Starts the lease, change and follower threads and the backfill pool. On taking the lease the
  /// leader checks the node against the store's record of the chain (chain id and genesis hash; a
  /// mismatch drops the stored index), resumes interrupted backfills and follows the head.
  void start();
  /// Stops every thread and gives the lease up; idempotent.
  void stop();

  /// Warm: from the cache, else one store read. Cold: registers the account and waits up to
  /// request_deadline for its backfill (one per account across replicas); past it kBackfilling.
  /// kUpstream when the store cannot be read or the account awaits re-reads after a reorg.
  Result<AccountAnswer> snapshot(const Address& credit_account) override;
  /// The same; an account the store does not hold yet (and no backfill of it is queued or
  /// running) is admitted first; a refusal registers nothing.
  Result<AccountAnswer> snapshot(const Address& credit_account, const AdmitNewAccount& admit) override;
  /// From the cache only, while the change loop reads the store: never touches the store or the
  /// network.
  std::optional<AccountAnswer> peek(const Address& credit_account) override;
  BackfillStatus status(const Address& credit_account) override;
  std::optional<std::uint64_t> indexed_head() const override { return head_known_ ? head_.load() : 0; }
  std::optional<std::uint64_t> known_start_block() const override { return start_block_.load(); }

  /// The block the index is synced through, as last read from the store (0 before any).
  std::uint64_t head() const { return head_; }
  bool leader() const { return epoch_ != 0; }
  /// Answers can be given: this process leads and has loaded the index, or the store answers and
  /// another replica holds a live lease for this chain.
  bool followed() const {
    const std::uint64_t epoch = epoch_;
    return epoch ? loaded_epoch_ == epoch : followed_by_someone_.load();
  }

 private:
  void lease_loop();
  void change_loop();
  void follower_loop();
  Result<void> become_leader();  // identity check, cursors and the tracked set from the store
  Result<bool> follow_once(std::uint64_t epoch);
  Result<void> pick_up_pending();  // accounts other replicas registered; the leader's change loop
  // Waits until answers may be given: this process leads and has loaded, or another live leader
  // (which checked the chain's identity when it took the lease) follows the chain.
  Result<void> wait_serving(std::chrono::steady_clock::time_point deadline);
  void announce_serving();  // wakes wait_serving()
  std::uint64_t before_start() const;  // the synced_through of an account nothing is stored for yet

  // Reads a followed account from the store into the cache; nullopt when it is not followed (yet).
  Result<std::optional<AccountAnswer>> read_account(const Address& account);

  void backfill_worker();
  // Registers the accounts, groups them by how far their history is stored and backfills each
  // group in one sweep; settles every account's promise.
  void sweep(const std::vector<Address>& accounts);
  // Backfills accounts whose stored history ends at the same block, in one sweep, and makes them
  // followed in the commit that holds their last range, token metadata and balances.
  Result<void> run_backfill(const std::vector<Address>& accounts);
  void settle(const Address& account, Result<void> result);  // REQUIRES: backfill_mutex_ not held
  void publish_backfill_gauges();                              // REQUIRES: backfill_mutex_ held
  // The account's backfill, queued now if none is queued or running (after `admit`, when set).
  Result<std::shared_future<Result<void>>> backfill_future(const Address& account, const AdmitNewAccount& admit);
  // Publishes a new tracked set with the accounts added (follow) or removed.
  void track(const std::vector<Address>& accounts, bool follow = true);
  void note_requested(const Address& account);
  // Writes the accounts asked for since the last call to the store and, on the leader, stops
  // following the idle ones; both on their intervals. The change loop calls it.
  void untrack_idle_accounts();

  const chain::ChainSettings settings_;
  const IndexerOptions options_;
  const std::shared_ptr<chain::RpcClient> rpc_;
  store::ChainStore store_;
  const std::shared_ptr<SnapshotCache> cache_;
  chain::LogRangeTuner tuner_;
  // settings_.start_block, or the factory's deployment block once known.
  std::atomic<std::uint64_t> start_block_;

  std::atomic<std::uint64_t> epoch_{0};       // the lease epoch while this process leads, else 0
  std::atomic<std::uint64_t> head_{0};        // published once the cache forgot what changed (change loop, or the leader's step)
  std::atomic<bool> head_known_{false};
  std::atomic<bool> followed_by_someone_{false};
  std::atomic<bool> load_failed_{false};      // the leader could not load (node unreachable)
  std::atomic<bool> store_ok_{true};           // the change loop's last read of the store succeeded
  std::atomic<std::int64_t> last_store_ok_{0};  // steady_clock ticks of the change loop's last good read

  // Lock order: sync_mutex_, then state_mutex_; backfill_mutex_ is never held with either, and
  // wake_mutex_ is a leaf (held only to sleep, wake or publish epoch_).
  std::mutex sync_mutex_;  // serialises follower steps, backfill joins and unwinds
  FollowStage follow_;                 // guarded by sync_mutex_
  std::set<Address> known_tokens_;     // tokens with stored metadata; guarded by sync_mutex_
  std::atomic<std::uint64_t> loaded_epoch_{0};  // the epoch become_leader() last succeeded for

  mutable std::mutex state_mutex_;
  std::shared_ptr<const TrackedSet> tracked_;  // copy on write; guarded by state_mutex_

  struct Progress {
    std::uint64_t from = 0, to = 0, scanned = 0;
    std::chrono::steady_clock::time_point started{};
    bool running = false;
  };
  std::mutex backfill_mutex_;
  std::condition_variable backfill_cv_;
  std::map<Address, std::shared_future<Result<void>>> backfills_;                  // in flight; guarded by backfill_mutex_
  std::map<Address, std::shared_ptr<std::promise<Result<void>>>> promises_;        // unsettled; guarded by backfill_mutex_
  std::map<Address, std::shared_ptr<void>> admissions_;  // admit() tokens, kept until settled; guarded by backfill_mutex_
  std::deque<Address> queue_;                                                      // guarded by backfill_mutex_
  std::map<Address, Progress> progress_;                                           // guarded by backfill_mutex_
  std::map<Address, std::chrono::steady_clock::time_point> recently_failed_;       // retry after; guarded by backfill_mutex_
  bool gathering_ = false;  // a worker is gathering a burst from queue_; guarded by backfill_mutex_
  std::size_t running_ = 0;                                                        // guarded by backfill_mutex_
  std::chrono::steady_clock::time_point last_arrival_{};                           // guarded by backfill_mutex_
  std::vector<std::thread> workers_;  // started by start(), joined by stop()

  std::mutex requested_mutex_;  // a leaf
  std::set<Address> requested_;  // asked for since the last touch; guarded by requested_mutex_
  std::chrono::steady_clock::time_point last_touch_{}, last_untrack_{};  // the change loop's own

  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;        // the loops' sleeps
  std::condition_variable serving_cv_;  // wait_serving(); with wake_mutex_
  std::thread follower_, lease_thread_, change_thread_;
};

}  // namespace creditscope::indexer
