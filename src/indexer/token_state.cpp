#include "indexer/token_state.hpp"

#include "chain/live_source.hpp"

namespace creditscope::indexer {

Result<void> read_token_state(chain::RpcClient& rpc, const chain::ChainSettings& settings,
                              const std::set<Address>& known_tokens,
                              const std::set<std::pair<Address, Address>>& pairs, std::uint64_t block_num,
                              store::SyncStep& step) {
  std::set<Address> unseen;
  for (const auto& [account, token] : pairs)
    if (!known_tokens.count(token)) unseen.insert(token);
  auto reads = chain::read_tokens(rpc, settings, unseen, pairs, block_num);
  if (!reads) return reads.error();
  for (const auto& [token, meta] : reads->metadata) step.tokens.emplace_back(token, meta);
  for (const auto& [pair, raw] : reads->balances) step.balances.push_back({pair.first, pair.second, raw, block_num});
  return {};
}

}  // namespace creditscope::indexer
