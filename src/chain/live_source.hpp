#pragma once
// Reads a credit account's complete state from the chain on every call: no store, no cache.
// Also the reference the indexed source is compared with.

#include <chrono>
#include <map>
#include <mutex>
#include <atomic>
#include <memory>
#include <set>

#include "chain/chain_settings.hpp"
#include "chain/rpc_client.hpp"
#include "chain/transfer_logs.hpp"
#include "core/account.hpp"

namespace creditscope::chain {

struct TokenReads {
  std::map<Address, TokenMetadata> metadata;
  std::map<std::pair<Address, Address>, U256> balances;  // (account, token) -> balanceOf
};

/// symbol() and decimals() of `tokens` and balanceOf for each (account, token) pair, at
/// block_num, in one batch (Multicall3 where configured), decoded by the token_metadata rules.
Result<TokenReads> read_tokens(RpcClient& rpc, const ChainSettings& settings, const std::set<Address>& tokens,
                               const std::set<std::pair<Address, Address>>& pairs, std::uint64_t block_num);

/// Reads metadata and balanceOf for each token at block_num and builds the holdings.
/// transfers must be sorted; the result is in token address order.
Result<std::vector<TokenHolding>> build_holdings(RpcClient& rpc, const ChainSettings& settings,
                                                 const Address& account, std::vector<TokenTransfer> transfers,
                                                 std::uint64_t block_num);

class LiveAccountSource final : public AccountSource {
 public:
  LiveAccountSource(const ChainSettings& settings, std::shared_ptr<RpcClient> rpc);
  /// eth_blockNumber fixes the snapshot block; then logs, timestamps and one batch of contract
  /// reads at that block. Thread-safe.
  Result<AccountAnswer> snapshot(const Address& credit_account) override;
  /// kBackfilling with the log scan's progress while a snapshot() of the account runs, else kReady.
  BackfillStatus status(const Address& credit_account) override;
  std::optional<std::uint64_t> known_start_block() const override {
    if (!settings_.start_block_factory) return settings_.start_block;
    if (auto known = factory_block_.load(); known >= 0) return static_cast<std::uint64_t>(known);
    return std::nullopt;
  }

 private:
  // settings_.start_block, or with start_block = "factory" the factory's deployment block, found
  // on first use. Racing first requests may each look for it once; no lock is held over RPC.
  Result<std::uint64_t> start_block(std::uint64_t head);

  const ChainSettings settings_;
  std::shared_ptr<RpcClient> rpc_;
  LogRangeTuner tuner_;
  std::atomic<std::int64_t> factory_block_{-1};  // -1: not found yet

  struct Scan {
    std::uint64_t from = 0, to = 0, scanned = 0;
    std::chrono::steady_clock::time_point started;
  };
  std::mutex mutex_;
  std::map<Address, Scan> scans_;  // snapshots in progress; guarded by mutex_
};

}  // namespace creditscope::chain
