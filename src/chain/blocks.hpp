#pragma once
// Block headers as the indexer needs them: number, hash, parent hash, timestamp.

#include <cstdint>
#include <map>
#include <vector>

#include "chain/rpc_client.hpp"
#include "core/bytes.hpp"

namespace creditscope::chain {

struct BlockHeader {
  std::uint64_t block_num = 0;
  Hash32 hash;
  Hash32 parent_hash;
  std::uint64_t timestamp = 0;
};

/// Headers of the given blocks in one batch. kUpstream if any is missing (a lagging node).
Result<std::map<std::uint64_t, BlockHeader>> fetch_headers(RpcClient& rpc, const std::vector<std::uint64_t>& blocks);

/// The head's header in one call (eth_getBlockByNumber "latest"): the follower's poll, which
/// learns the head's number and hash at once.
Result<BlockHeader> fetch_latest_header(RpcClient& rpc);

/// eth_blockNumber.
Result<std::uint64_t> fetch_head(RpcClient& rpc);

}  // namespace creditscope::chain
