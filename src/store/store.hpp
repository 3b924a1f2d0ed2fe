#pragma once
// The persistent index behind the indexer. One interface, two implementations (SQLite for one
// machine, PostgreSQL for replicas sharing one database): callers speak in domain steps (register
// an account, commit a sync step, roll back above a fork, hold the chain's lease), never in SQL.
// ChainStore binds the interface to one chain so callers do not repeat its name.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/account.hpp"
#include "core/result.hpp"

namespace creditscope::store {

struct StoredAccount {
  Address account;
  std::uint64_t synced_through = 0;  // backfill cursor: every transfer up to this block is stored
  bool followed = false;             // joined the follower: its transfers are stored up to the chain head
  bool idle = false;                 // was followed, then untracked (untrack_idle); a request resumes it
};

struct StoredBalance {
  Address account;
  Address token;
  U256 raw;
  std::uint64_t block_num = 0;  // block the balance was read at
};

/// Everything the API shows of one account, read in one transaction.
struct AccountRecord {
  StoredAccount account;
  std::uint64_t head = 0;                  // the chain head the read saw (0: none yet)
  std::vector<TokenTransfer> transfers;    // ascending (block_num, log_index), up to head
  std::vector<StoredBalance> balances;
  std::map<Address, TokenMetadata> tokens;  // of the tokens in transfers that have metadata
  bool stale = false;  // a balance was read above a fork and awaits a fresh read
};

/// Where a transfer list continues: after this (block_num, log_index).
using TransferCursor = std::pair<std::uint64_t, std::uint32_t>;

/// One unit of progress, committed atomically: either all of it is visible after a crash or
/// none of it. Transfers are idempotent on (chain, txn_hash, log_index).
struct SyncStep {
  /// Fencing: when set, the commit is refused (Errc::kFenced) unless the chain's lease still has
  /// this epoch, so a leader that lost its lease while paused cannot write.
  std::optional<std::uint64_t> lease_epoch;
  /// Continuity: when set, the commit is refused (Errc::kFenced) unless the stored chain head /
  /// every account's synced_through is this. A writer that extends what it committed before
  /// learns that the database lost those commits (a crash with asynchronous commit, a restore, a
  /// failover to a lagging standby) instead of writing past a gap.
  std::optional<std::uint64_t> expected_head;
  std::optional<std::uint64_t> expected_synced_through;
  std::vector<Address> accounts;             // backfill progress: their synced_through becomes `synced_through`
  std::uint64_t synced_through = 0;
  bool follow = false;                       // and they join the follower
  std::vector<TokenTransfer> transfers;
  std::optional<std::uint64_t> chain_head;   // the follower's new synced head, if it moved
  std::vector<std::pair<std::uint64_t, Hash32>> block_hashes;  // recent canonical blocks
  std::uint64_t forget_hashes_below = 0;     // final blocks need no hash any more
  std::vector<std::pair<Address, TokenMetadata>> tokens;
  std::vector<StoredBalance> balances;       // also clears a balance's stale mark
};

/// What changed since a reader last looked (replicas poll this instead of reading everything).
struct ChangeMark {
  std::uint64_t seq = 0;         // grows with every commit and rollback
  std::uint64_t unwind_seq = 0;  // the seq of the last rollback; a reader that saw an older one drops its cache
  std::optional<std::uint64_t> head;
  /// Changes when the database server restarted or another server answers (PostgreSQL: its start
  /// time; SQLite: always 0). The commits just before may be lost and seq reused after, so a
  /// reader that saw another incarnation drops its cache even if it never saw a failed call.
  std::uint64_t incarnation = 0;
};

struct LeaseHolder {
  std::string holder;
  std::uint64_t epoch = 0;
  bool live = false;  // its lease has not expired
};

/// REQUIRES: implementations are thread-safe. Every call is one transaction; an I/O or database
/// failure is an Errc::kUpstream error (the caller retries later), never a partial write.
class Store {
 public:
  virtual ~Store() = default;

  /// The chain id recorded for chain; nullopt for a chain never seen.
  virtual Result<std::optional<std::uint64_t>> chain_id(const std::string& chain) = 0;
  /// Records the chain's identity (chain id and a tag of its genesis hash). If a different identity
  /// is recorded, all of chain's data is dropped first: the store was pointed at another network
  /// (or a fresh devnet). Returns true if data was dropped.
  virtual Result<bool> set_chain_identity(const std::string& chain, std::uint64_t id, std::uint64_t genesis_tag) = 0;

  /// Registers account with synced_through, not followed (no-op if already tracked; an idle
  /// account becomes pending again, its cursor kept).
  virtual Result<void> add_account(const std::string& chain, const Address& account, std::uint64_t synced_through) = 0;
  /// add_account for each, then their rows, in one transaction (a backfill sweep's start).
  virtual Result<std::vector<StoredAccount>> register_accounts(const std::string& chain, const std::vector<Address>& accounts,
                                                               std::uint64_t synced_through) = 0;
  virtual Result<std::optional<StoredAccount>> account(const std::string& chain, const Address& account) = 0;
  /// Followed accounts in address order, after `after` (exclusive), at most limit.
  virtual Result<std::vector<Address>> followed_accounts(const std::string& chain, const Address& after,
                                                         std::size_t limit) = 0;
  /// Accounts registered but not followed yet (backfills to run; idle ones excluded), at most limit.
  virtual Result<std::vector<StoredAccount>> pending_accounts(const std::string& chain, std::size_t limit) = 0;
  virtual Result<std::uint64_t> account_count(const std::string& chain) = 0;

  /// Errc::kFenced when step.lease_epoch is set and the lease moved on; nothing is written then.
  virtual Result<void> commit(const std::string& chain, const SyncStep& step) = 0;

  /// Transfers naming account with block_num <= up_to_block, ascending (block_num, log_index),
  /// strictly after `after` when given, at most limit.
  virtual Result<std::vector<TokenTransfer>> transfers(const std::string& chain, const Address& account,
                                                       std::uint64_t up_to_block, std::optional<TransferCursor> after,
                                                       std::size_t limit) = 0;
  /// The account with its transfers up to the chain head, balances and token metadata, in one read;
  /// for an account not followed yet only `account` is filled.
  virtual Result<std::optional<AccountRecord>> account_record(const std::string& chain, const Address& account) = 0;
  virtual Result<std::map<Address, TokenMetadata>> tokens(const std::string& chain) = 0;
  /// The (account, token) pairs of the accounts' transfers up to up_to_block, in one read.
  virtual Result<std::set<std::pair<Address, Address>>> held_tokens(const std::string& chain,
                                                                    const std::vector<Address>& accounts,
                                                                    std::uint64_t up_to_block) = 0;
  /// The stored balances of one account.
  virtual Result<std::vector<StoredBalance>> balances(const std::string& chain, const Address& account) = 0;
  /// (account, token) pairs with a stored balance, in order, after `after` (exclusive), at most limit:
  /// the periodic refresh walks them a page at a time.
  virtual Result<std::vector<std::pair<Address, Address>>> balance_pairs(const std::string& chain,
                                                                         const std::pair<Address, Address>& after,
                                                                         std::size_t limit) = 0;
  virtual Result<std::uint64_t> balance_count(const std::string& chain) = 0;
  /// Pairs whose balance a rollback made stale, at most limit.
  virtual Result<std::vector<std::pair<Address, Address>>> stale_balances(const std::string& chain, std::size_t limit) = 0;
  virtual Result<std::optional<std::uint64_t>> chain_head(const std::string& chain) = 0;
  virtual Result<std::map<std::uint64_t, Hash32>> block_hashes(const std::string& chain) = 0;

  /// A number the indexer keeps about the chain (e.g. "factory_block:0x..."); dropped with the
  /// chain's data when its identity changes.
  virtual Result<std::optional<std::uint64_t>> chain_value(const std::string& chain, const std::string& key) = 0;
  virtual Result<void> set_chain_value(const std::string& chain, const std::string& key, std::uint64_t value) = 0;

  /// Undoes everything above fork_block: transfers and block hashes go, balances read above it
  /// become stale, backfill cursors and the chain head past it come back to fork_block. One
  /// transaction; fenced like commit.
  virtual Result<void> rollback_above(const std::string& chain, std::uint64_t fork_block,
                                      std::optional<std::uint64_t> lease_epoch) = 0;

  /// Records that the accounts were asked for at unix time `at` (a row keeps the latest).
  virtual Result<void> touch_accounts(const std::string& chain, const std::vector<Address>& accounts,
                                      std::int64_t at) = 0;
  /// Stops following every followed account last asked for before `cutoff` (unix seconds): it
  /// keeps its data, its cursor becomes the chain head (so a later backfill resumes there), and
  /// it counts as changed (replicas drop it from their caches). A row never touched counts as
  /// asked for at `now`. Returns the accounts. One transaction; fenced like commit.
  virtual Result<std::vector<Address>> untrack_idle(const std::string& chain, std::int64_t cutoff, std::int64_t now,
                                                    std::optional<std::uint64_t> lease_epoch) = 0;

  /// The change counter, read cheaply; and the accounts whose data changed after seq `since`.
  virtual Result<ChangeMark> change_mark(const std::string& chain) = 0;
  virtual Result<std::vector<Address>> changed_accounts(const std::string& chain, std::uint64_t since) = 0;

  /// Takes or renews the chain's lease for holder for ttl_ms. Returns the epoch while holder holds
  /// it (a new, larger epoch on every takeover), nullopt while another holder's lease is live.
  /// The clock is the database's, so replicas on different machines agree.
  virtual Result<std::optional<std::uint64_t>> acquire_lease(const std::string& chain, const std::string& holder,
                                                             std::uint64_t ttl_ms) = 0;
  /// Gives the lease up at once (clean shutdown) if holder holds it.
  virtual Result<void> release_lease(const std::string& chain, const std::string& holder) = 0;
  virtual Result<std::optional<LeaseHolder>> lease_holder(const std::string& chain) = 0;
};

/// Store bound to one chain. Cheap to copy; REQUIRES: the store outlives it.
class ChainStore {
 public:
  ChainStore(Store& store, std::string chain) : store_(&store), chain_(std::move(chain)) {}
  const std::string& chain() const { return chain_; }
  Store& store() const { return *store_; }

  auto set_identity(std::uint64_t id, std::uint64_t tag) { return store_->set_chain_identity(chain_, id, tag); }
  auto add_account(const Address& a, std::uint64_t synced_through) { return store_->add_account(chain_, a, synced_through); }
  auto account(const Address& a) { return store_->account(chain_, a); }
  auto register_accounts(const std::vector<Address>& a, std::uint64_t synced_through) {
    return store_->register_accounts(chain_, a, synced_through);
  }
  auto held_tokens(const std::vector<Address>& a, std::uint64_t up_to) { return store_->held_tokens(chain_, a, up_to); }
  auto followed_accounts(const Address& after, std::size_t limit) { return store_->followed_accounts(chain_, after, limit); }
  auto pending_accounts(std::size_t limit) { return store_->pending_accounts(chain_, limit); }
  auto account_count() { return store_->account_count(chain_); }
  auto commit(const SyncStep& step) { return store_->commit(chain_, step); }
  auto transfers(const Address& a, std::uint64_t up_to, std::optional<TransferCursor> after, std::size_t limit) {
    return store_->transfers(chain_, a, up_to, after, limit);
  }
  auto account_record(const Address& a) { return store_->account_record(chain_, a); }
  auto tokens() { return store_->tokens(chain_); }
  auto balances(const Address& a) { return store_->balances(chain_, a); }
  auto balance_pairs(const std::pair<Address, Address>& after, std::size_t limit) {
    return store_->balance_pairs(chain_, after, limit);
  }
  auto balance_count() { return store_->balance_count(chain_); }
  auto stale_balances(std::size_t limit) { return store_->stale_balances(chain_, limit); }
  auto chain_head() { return store_->chain_head(chain_); }
  auto block_hashes() { return store_->block_hashes(chain_); }
  auto value(const std::string& key) { return store_->chain_value(chain_, key); }
  auto set_value(const std::string& key, std::uint64_t v) { return store_->set_chain_value(chain_, key, v); }
  auto rollback_above(std::uint64_t fork, std::optional<std::uint64_t> epoch) {
    return store_->rollback_above(chain_, fork, epoch);
  }
  auto touch_accounts(const std::vector<Address>& a, std::int64_t at) { return store_->touch_accounts(chain_, a, at); }
  auto untrack_idle(std::int64_t cutoff, std::int64_t now, std::optional<std::uint64_t> epoch) {
    return store_->untrack_idle(chain_, cutoff, now, epoch);
  }
  auto change_mark() { return store_->change_mark(chain_); }
  auto changed_accounts(std::uint64_t since) { return store_->changed_accounts(chain_, since); }
  auto acquire_lease(const std::string& holder, std::uint64_t ttl_ms) { return store_->acquire_lease(chain_, holder, ttl_ms); }
  auto release_lease(const std::string& holder) { return store_->release_lease(chain_, holder); }
  auto lease_holder() { return store_->lease_holder(chain_); }

 private:
  Store* store_;
  std::string chain_;
};

/// Opens (creating and migrating as needed) an SQLite database in WAL mode.
/// kInvalidInput if the file cannot be opened or has a newer schema than this binary knows.
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path);

/// Connects to PostgreSQL (a libpq URL, e.g. postgresql://user:pass@host:5432/db) with a pool of
/// `connections` connections and migrates its schema under an advisory lock, so replicas starting
/// together migrate once. kInvalidInput for a malformed URL or a newer schema; kUpstream when the
/// server cannot be reached. Error messages never contain the password.
Result<std::unique_ptr<Store>> open_postgres(const std::string& url, std::size_t connections);

/// url with any password replaced by "***", for logs.
std::string redact_url(const std::string& url);

}  // namespace creditscope::store
