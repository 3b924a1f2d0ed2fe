#pragma once
// Reads of an account's state at one block, for answers pinned to a block and the extras an
// answer can ask for (native balance, whether balanceOf answers at all).

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "chain/chain_settings.hpp"
#include "chain/rpc_client.hpp"
#include "core/u256.hpp"

namespace creditscope::chain {

struct StateAt {
  /// balanceOf(account) per token; nullopt when the call reverted or did not return exactly one
  /// 32-byte word (a token that is not an ERC-20).
  std::map<Address, std::optional<U256>> balances;
  std::optional<U256> native;  // eth_getBalance, when asked for
};

/// One batch (Multicall3 where configured) of balanceOf calls, plus eth_getBalance when native.
/// kUpstream when the node fails or cannot serve the block's state; see state_unavailable().
Result<StateAt> read_state_at(RpcClient& rpc, const ChainSettings& settings, const Address& account,
                              const std::set<Address>& tokens, std::uint64_t block_num, bool native);

/// After a read at block_num failed: true when the node still answers state reads at its head,
/// so the failure is that block's state (a pruned, non-archive node), not the node itself.
bool state_unavailable(RpcClient& rpc, const Address& account);

/// The number of the block the node tags `tag` ("safe", "finalized"). nullopt when the node has
/// no such tag (a JSON-RPC error or a null block); kUpstream when the node cannot be reached.
Result<std::optional<std::uint64_t>> fetch_tagged_block(RpcClient& rpc, std::string_view tag);

}  // namespace creditscope::chain
