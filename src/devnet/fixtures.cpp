#include "devnet/fixtures.hpp"

#include "chain/abi.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"

namespace creditscope::devnet {
namespace abi = chain::abi;

Result<chain::CreditAccountParams> deploy_safe_infra(DevChain& chain, const Artifacts& artifacts) {
  chain::CreditAccountParams p;
  auto singleton = chain.deploy(artifacts.bytecode("SafeL2"));
  if (!singleton) return singleton.error();
  auto factory = chain.deploy(artifacts.bytecode("SafeProxyFactory"));
  if (!factory) return factory.error();
  auto handler = chain.deploy(artifacts.bytecode("CompatibilityFallbackHandler"));
  if (!handler) return handler.error();
  p.singleton = *singleton;
  p.proxy_factory = *factory;
  p.fallback_handler = *handler;
  p.salt_nonce = 0;
  return p;
}

Result<Address> install_multicall3(DevChain& chain, const Artifacts& artifacts) {
  Address at = *hex::decode_address(kMulticall3Address);
  if (auto r = chain.set_code(at, artifacts.deployed_bytecode("Multicall3Compatible")); !r) return r.error();
  return at;
}

Result<Address> deploy_token(DevChain& chain, const Artifacts& artifacts, std::string_view symbol, unsigned decimals) {
  return chain.deploy(with_string_and_uint8(artifacts.bytecode("TestToken"), symbol, decimals));
}

Result<Address> deploy_credit_account(DevChain& chain, const Artifacts& artifacts,
                                      const chain::CreditAccountParams& params, const Address& owner) {
  auto deployer = chain.deploy(artifacts.bytecode("CreditAccountDeployer"));
  if (!deployer) return deployer.error();
  Bytes data = encode_call("deploy(address,address,address,address,uint256)",
                           {abi::address_word(params.proxy_factory), abi::address_word(params.singleton),
                            abi::address_word(owner), abi::address_word(params.fallback_handler),
                            abi::uint_word(params.salt_nonce)});
  auto receipt = chain.send(dev_account(), *deployer, data);
  if (!receipt) return receipt.error();
  static const Hash32 kProxyCreation = keccak256(view(std::string_view("ProxyCreation(address,address)")));
  for (const auto& log : receipt->logs) {
    if (log.address == params.proxy_factory && log.topics.size() == 2 && log.topics[0] == kProxyCreation) {
      Address proxy;
      std::copy(log.topics[1].bytes.begin() + 12, log.topics[1].bytes.end(), proxy.bytes.begin());
      return proxy;
    }
  }
  return make_error(Errc::kUpstream, "factory emitted no ProxyCreation event");
}

Result<Address> deploy_price_feed(DevChain& chain, const Artifacts& artifacts, unsigned decimals, std::int64_t answer) {
  Bytes code = artifacts.bytecode("TestAggregator");
  abi::put(code, abi::uint_word(decimals));
  U256 word = answer >= 0 ? U256(answer) : ~U256(-(answer + 1));  // int256 two's complement
  abi::put(code, abi::uint_word(word));
  return chain.deploy(code);
}

Bytes mint_call(const Address& to, const U256& amount) {
  return encode_call("mint(address,uint256)", {abi::address_word(to), abi::uint_word(amount)});
}

Bytes transfer_call(const Address& to, const U256& amount) {
  return encode_call("transfer(address,uint256)", {abi::address_word(to), abi::uint_word(amount)});
}

Result<DemoAccount> seed_demo(DevChain& chain, const Artifacts& artifacts) {
  auto params = deploy_safe_infra(chain, artifacts);
  if (!params) return params.error();
  if (auto mc = install_multicall3(chain, artifacts); !mc) return mc.error();
  DemoAccount demo;
  demo.params = *params;
  demo.owner = dev_account(1);
  const Address funder = dev_account(0);
  const Address merchant = dev_account(2);

  auto usdc = deploy_token(chain, artifacts, "USDC", 6);
  auto weth = deploy_token(chain, artifacts, "WETH", 18);
  auto dai = deploy_token(chain, artifacts, "DAI", 18);
  if (!usdc || !weth || !dai) return make_error(Errc::kUpstream, "demo token deployment failed");
  for (const auto& t : {*usdc, *weth, *dai})
    if (auto r = chain.send(funder, t, mint_call(funder, U256("1000000000000000000000000"))); !r) return r.error();

  // The account can receive before it exists: send first, deploy later.
  chain::CreditAccountDeriver deriver(*params, chain.rpc());
  auto predicted = deriver.derive(demo.owner);
  if (!predicted) return predicted.error();
  if (auto r = chain.send(funder, *usdc, transfer_call(*predicted, 70710737)); !r) return r.error();
  if (auto r = chain.send(funder, *weth, transfer_call(*predicted, U256("876484654169830"))); !r) return r.error();
  auto deployed = deploy_credit_account(chain, artifacts, *params, demo.owner);
  if (!deployed) return deployed.error();
  if (*deployed != *predicted) return make_error(Errc::kInternal, "derived credit account differs from the deployed one");
  demo.credit_account = *deployed;
  if (auto r = chain.send(funder, *dai, transfer_call(demo.credit_account, U256("25000000000000000000"))); !r) return r.error();
  if (auto r = chain.impersonate(demo.credit_account); !r) return r.error();
  if (auto r = chain.send(demo.credit_account, *dai, transfer_call(merchant, U256("5500000000000000000"))); !r) return r.error();
  if (auto r = chain.send(demo.credit_account, *usdc, transfer_call(merchant, 10000000)); !r) return r.error();
  auto usdc_feed = deploy_price_feed(chain, artifacts, 8, 100080000);  // $1.0008
  auto weth_feed = deploy_price_feed(chain, artifacts, 8, 205337000000);  // $2053.37
  if (!usdc_feed || !weth_feed) return make_error(Errc::kUpstream, "demo price feed deployment failed");
  demo.tokens = {{"USDC", *usdc}, {"WETH", *weth}, {"DAI", *dai}};
  demo.feeds = {{"USDC", *usdc_feed}, {"WETH", *weth_feed}};
  return demo;
}

}  // namespace creditscope::devnet
