#pragma once
// ERC-20 Transfer logs naming a set of accounts, fetched with eth_getLogs over ranges that adapt
// to whatever limit the provider enforces (chain/log_limits), several requests in flight at once,
// each carrying as many ranges as a JSON-RPC batch allows.

#include <functional>
#include <cstdint>
#include <optional>
#include <vector>

#include "chain/log_limits.hpp"
#include "chain/rpc_client.hpp"
#include "core/account.hpp"

namespace creditscope::chain {

/// keccak256("Transfer(address,address,uint256)").
const Hash32& transfer_topic();

struct ScanOptions {
  /// HTTP requests in flight at once; 0: rpc.parallelism(). Helper threads start only when more
  /// ranges are waiting than one request carries, so a short scan stays on the calling thread.
  std::size_t max_in_flight = 0;
  /// When set, called on the calling thread in block order each time a prefix of the range is
  /// complete: through is the last block covered, transfers those of the blocks since the previous
  /// call (moved out). An error stops the scan and is returned. The scan then returns no transfers.
  std::function<Result<void>(std::uint64_t through, std::vector<TokenTransfer>& transfers)> on_progress;
  /// When set, every Transfer log of the range is fetched (topic 0 only: one eth_getLogs per range
  /// instead of an in and an out list) and kept when match_any(from) or match_any(to); accounts is
  /// ignored. For a tracked set too large for topic lists: the cost no longer grows with it.
  std::function<bool(const Address&)> match_any;
};

/// All Transfer logs with exactly three topics in [from_block, to_block] where `from` or `to`
/// is one of accounts, sorted by (block_num, log_index), each once. block_timestamp is 0 where
/// the node did not include blockTimestamp. Never partial: any unrecoverable failure is an error
/// (a range refused down to one block, any other JSON-RPC error, a node that keeps answering for
/// blocks it does not have). Each request also asks for its highest block; an answer from a node
/// without it is asked again. Helper threads inherit the caller's ScopedDeadline.
Result<std::vector<TokenTransfer>> fetch_transfer_logs(RpcClient& rpc, const std::vector<Address>& accounts,
                                                       std::uint64_t from_block, std::uint64_t to_block,
                                                       LogRangeTuner& tuner, const ScanOptions& options = {});

/// The Transfer logs of one block, asked for by its hash (EIP-234), so the answer is that block's
/// or an error, never a replaced block's: accounts' in and out lists (two eth_getLogs), or every
/// Transfer matched by match_any (one). Sorted by log_index, each once.
Result<std::vector<TokenTransfer>> fetch_block_transfer_logs(RpcClient& rpc, const Hash32& block_hash,
                                                             std::uint64_t block_num, const std::vector<Address>& accounts,
                                                             const std::function<bool(const Address&)>& match_any);

/// Fills block_timestamp where it is 0, with batched eth_getBlockByNumber.
Result<void> fill_block_timestamps(RpcClient& rpc, std::vector<TokenTransfer>& transfers);

}  // namespace creditscope::chain
