#pragma once
// Building blocks for local chains: the Safe v1.4.1 contracts from their npm artifacts,
// Multicall3 at its canonical address, test tokens, credit accounts deployed through the real
// factory, and the demo account `make run` serves.

#include "chain/credit_account.hpp"
#include "devnet/dev_chain.hpp"

namespace creditscope::devnet {

inline constexpr const char* kMulticall3Address = "0xca11bde05977b3631167028862be2a173976ca11";

/// Deploys SafeL2, SafeProxyFactory and CompatibilityFallbackHandler (in that order) from
/// dev_account(0). On a fresh anvil the addresses are therefore always the same.
Result<chain::CreditAccountParams> deploy_safe_infra(DevChain& chain, const Artifacts& artifacts);

/// Places the aggregate3-compatible contract at the canonical Multicall3 address.
Result<Address> install_multicall3(DevChain& chain, const Artifacts& artifacts);

/// TestToken(symbol, decimals) from dev_account(0).
Result<Address> deploy_token(DevChain& chain, const Artifacts& artifacts, std::string_view symbol, unsigned decimals);

/// Deploys owner's credit account through the factory (initializer encoded by Solidity) and
/// returns the address from the factory's ProxyCreation event.
Result<Address> deploy_credit_account(DevChain& chain, const Artifacts& artifacts,
                                      const chain::CreditAccountParams& params, const Address& owner);

/// Call data for ERC-20 calls.
Bytes mint_call(const Address& to, const U256& amount);
Bytes transfer_call(const Address& to, const U256& amount);

struct DemoAccount {
  chain::CreditAccountParams params;
  Address owner;
  Address credit_account;
  std::vector<std::pair<std::string, Address>> tokens;  // symbol -> token
  std::vector<std::pair<std::string, Address>> feeds;   // symbol -> its USD price feed
};

/// Deploys a TestAggregator (a Chainlink AggregatorV3-style feed) answering `answer` with
/// `decimals` places.
Result<Address> deploy_price_feed(DevChain& chain, const Artifacts& artifacts, unsigned decimals, std::int64_t answer);

/// The `make run` demo: Safe infra, Multicall3, a handful of tokens, transfers into the credit
/// account before and after it is deployed and out of it, price feeds for USDC and WETH.
/// Expects a fresh anvil: the addresses are then always the same (config/devnet.toml names them).
Result<DemoAccount> seed_demo(DevChain& chain, const Artifacts& artifacts);

}  // namespace creditscope::devnet
