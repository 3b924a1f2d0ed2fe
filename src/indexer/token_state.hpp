#pragma once
// What a commit needs to know about tokens: the follow stage and the backfill both read it at the
// block they commit, the same way.

#include <cstdint>
#include <set>
#include <utility>

#include "chain/chain_settings.hpp"
#include "chain/rpc_client.hpp"
#include "store/store.hpp"

namespace creditscope::indexer {

/// Reads, at block_num and in one batch (chain::read_tokens), the metadata of every token of
/// `pairs` not in known_tokens and the balance of every (account, token) pair, and appends them to
/// step.tokens and step.balances. On failure step is unchanged.
Result<void> read_token_state(chain::RpcClient& rpc, const chain::ChainSettings& settings,
                              const std::set<Address>& known_tokens,
                              const std::set<std::pair<Address, Address>>& pairs, std::uint64_t block_num,
                              store::SyncStep& step);

}  // namespace creditscope::indexer
