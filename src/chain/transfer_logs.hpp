#pragma once
// ERC-20 Transfer logs naming a set of accounts, fetched with eth_getLogs over ranges that adapt
// to whatever limit the provider enforces.

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "chain/rpc_client.hpp"
#include "core/account.hpp"

namespace creditscope::chain {

/// keccak256("Transfer(address,address,uint256)").
const Hash32& transfer_topic();

/// Remembers, per chain, how many blocks one eth_getLogs may span. Shrinks on a provider's
/// range error (to the range the error suggests, if it names one), grows again after successes.
/// Thread-safe.
class LogRangeTuner {
 public:
  /// initial_span 0 means "try the whole range first".
  explicit LogRangeTuner(std::uint64_t initial_span = 0, std::uint64_t max_span = 0)
      : span_(initial_span ? initial_span : kUnlimited), max_span_(max_span ? max_span : kUnlimited) {}
  std::uint64_t span() const { return span_.load(); }
  void on_success(std::uint64_t used_span);
  void on_too_large(std::uint64_t failed_span, std::optional<std::uint64_t> suggested_span);

  static constexpr std::uint64_t kUnlimited = UINT64_MAX / 4;

 private:
  std::atomic<std::uint64_t> span_;
  const std::uint64_t max_span_;
  std::atomic<int> successes_{0};
  // Just below the smallest span that failed recently: growth stops there until a long streak
  // of successes suggests the provider's limit has moved.
  std::atomic<std::uint64_t> ceiling_{kUnlimited};
  std::atomic<int> since_failure_{0};
};

/// True if a JSON-RPC error text says the range or result set was too large (Infura, Alchemy,
/// QuickNode, reth, geth, public Base RPC wordings).
bool is_range_error(const std::string& message);
/// The end-exclusive span the error suggests ("... [0x1, 0x2710]"), if it names one.
std::optional<std::uint64_t> suggested_span(const std::string& message);

/// All Transfer logs with exactly three topics in [from_block, to_block] where `from` or `to`
/// is one of accounts, sorted by (block_num, log_index), each once. block_timestamp is 0 where
/// the node did not include blockTimestamp. Never partial: any unrecoverable failure is an error.
Result<std::vector<TokenTransfer>> fetch_transfer_logs(RpcClient& rpc, const std::vector<Address>& accounts,
                                                       std::uint64_t from_block, std::uint64_t to_block,
                                                       LogRangeTuner& tuner);

/// Fills block_timestamp where it is 0, with batched eth_getBlockByNumber.
Result<void> fill_block_timestamps(RpcClient& rpc, std::vector<TokenTransfer>& transfers);

}  // namespace creditscope::chain
