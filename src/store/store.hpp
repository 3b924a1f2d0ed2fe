#pragma once
// The persistent index behind the indexer. One interface, an SQLite implementation now and room
// for PostgreSQL: callers speak in domain steps (register an account, commit a sync step, roll
// back above a fork), never in SQL.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/account.hpp"
#include "core/result.hpp"

namespace creditscope::store {

struct StoredAccount {
  Address account;
  std::uint64_t synced_through = 0;  // every transfer up to this block is stored
};

struct StoredBalance {
  Address account;
  Address token;
  U256 raw;
  std::uint64_t block_num = 0;  // block the balance was read at
};

/// One unit of progress, committed atomically: either all of it is visible after a crash or
/// none of it. Transfers are idempotent on (chain, txn_hash, log_index).
struct SyncStep {
  std::vector<Address> accounts;             // their synced_through becomes `synced_through`
  std::uint64_t synced_through = 0;
  std::vector<TokenTransfer> transfers;
  std::optional<std::uint64_t> chain_head;   // the follower's new synced head, if it moved
  std::vector<std::pair<std::uint64_t, Hash32>> block_hashes;  // recent canonical blocks
  std::uint64_t forget_hashes_below = 0;     // final blocks need no hash any more
  std::vector<std::pair<Address, TokenMetadata>> tokens;
  std::vector<StoredBalance> balances;
};

/// REQUIRES: implementations are thread-safe.
class Store {
 public:
  virtual ~Store() = default;

  /// The chain id recorded for chain; nullopt for a chain never seen.
  virtual Result<std::optional<std::uint64_t>> chain_id(const std::string& chain) = 0;
  /// Records the chain's identity (chain id and a tag of its genesis hash). If a different identity
  /// is recorded, all of chain's data is dropped first: the store was pointed at another network
  /// (or a fresh devnet). Returns true if data was dropped.
  virtual Result<bool> set_chain_identity(const std::string& chain, std::uint64_t id, std::uint64_t genesis_tag) = 0;

  /// Registers account with synced_through (no-op if already tracked).
  virtual Result<void> add_account(const std::string& chain, const Address& account, std::uint64_t synced_through) = 0;
  virtual Result<std::vector<StoredAccount>> accounts(const std::string& chain) = 0;
  virtual Result<std::optional<StoredAccount>> account(const std::string& chain, const Address& account) = 0;
  virtual Result<void> commit(const std::string& chain, const SyncStep& step) = 0;

  /// Transfers naming account, ascending (block_num, log_index).
  virtual Result<std::vector<TokenTransfer>> transfers(const std::string& chain, const Address& account) = 0;
  virtual Result<std::map<Address, TokenMetadata>> tokens(const std::string& chain) = 0;
  /// The stored balances of one account.
  virtual Result<std::vector<StoredBalance>> balances(const std::string& chain, const Address& account) = 0;
  virtual Result<std::optional<std::uint64_t>> chain_head(const std::string& chain) = 0;
  virtual Result<std::map<std::uint64_t, Hash32>> block_hashes(const std::string& chain) = 0;

  /// A number the indexer keeps about the chain (e.g. "factory_block:0x..."); dropped with the
  /// chain's data when its identity changes.
  virtual Result<std::optional<std::uint64_t>> chain_value(const std::string& chain, const std::string& key) = 0;
  virtual Result<void> set_chain_value(const std::string& chain, const std::string& key, std::uint64_t value) = 0;

  /// Undoes everything above fork_block: transfers, block hashes, balances read above it; accounts
  /// and the chain head synced past it come back to fork_block. One transaction.
  virtual Result<void> rollback_above(const std::string& chain, std::uint64_t fork_block) = 0;
};

/// Opens (creating and migrating as needed) an SQLite database in WAL mode.
/// kInvalidInput if the file cannot be opened or has a newer schema than this binary knows.
Result<std::unique_ptr<Store>> open_sqlite(const std::string& path);

}  // namespace creditscope::store
