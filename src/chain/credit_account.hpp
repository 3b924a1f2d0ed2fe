#pragma once
// Credit accounts are Safe v1.4.1 proxies deployed by SafeProxyFactory.createProxyWithNonce, so
// their address is known (CREATE2, EIP-1014) before they are deployed.

#include <mutex>
#include <optional>

#include "chain/rpc_client.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/u256.hpp"

namespace creditscope::chain {

struct CreditAccountParams {
  Address proxy_factory;
  Address singleton;
  Address fallback_handler;
  U256 salt_nonce = 0;
};

/// Safe.setup([owner], 1, 0x0, "", fallback_handler, 0x0, 0, 0x0), ABI-encoded with its selector.
Bytes safe_setup_initializer(const Address& owner, const Address& fallback_handler);

/// keccak256(0xff ++ deployer ++ salt ++ init_code_hash)[12:] (EIP-1014).
Address create2_address(const Address& deployer, const Hash32& salt, const Hash32& init_code_hash);

/// keccak256(proxyCreationCode ++ uint256(singleton)): constant per chain.
Hash32 proxy_init_code_hash(const CreditAccountParams& params, ByteView proxy_creation_code);

/// What SafeProxyFactory v1.4.1 computes: salt = keccak256(keccak256(initializer) ++ salt_nonce),
/// init code = proxyCreationCode ++ uint256(singleton).
Address derive_credit_account(const CreditAccountParams& params, const Hash32& init_code_hash, const Address& owner);
Address derive_credit_account(const CreditAccountParams& params, ByteView proxy_creation_code,
                              const Address& owner);

/// Derives credit accounts for one chain, reading proxyCreationCode() from the factory once.
/// Thread-safe.
class CreditAccountDeriver {
 public:
  CreditAccountDeriver(CreditAccountParams params, RpcClient& rpc) : params_(params), rpc_(rpc) {}
  /// kUpstream if the factory's creation code cannot be read (not deployed, node down).
  Result<Address> derive(const Address& owner);
  /// The address if the creation code is already known; never touches the network.
  std::optional<Address> derive_cached(const Address& owner) const;

 private:
  const CreditAccountParams params_;
  RpcClient& rpc_;
  mutable std::mutex mutex_;
  std::mutex fetch_mutex_;  // held by the one caller reading proxyCreationCode()
  std::optional<Hash32> init_code_hash_;  // guarded by mutex_
};

}  // namespace creditscope::chain
