#include "chain/credit_account.hpp"

#include "chain/abi.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"

namespace creditscope::chain {

Bytes safe_setup_initializer(const Address& owner, const Address& fallback_handler) {
  static const auto kSetup = selector("setup(address[],uint256,address,bytes,address,address,uint256,address)");
  // Head: 8 words; owners[] at 0x100 (length + one address), data at 0x140 (length 0).
  return abi::call_data(kSetup, {abi::uint_word(0x100), abi::uint_word(1), abi::address_word({}),
                                 abi::uint_word(0x140), abi::address_word(fallback_handler),
                                 abi::address_word({}), abi::uint_word(0), abi::address_word({}),
                                 abi::uint_word(1), abi::address_word(owner), abi::uint_word(0)});
}

Address create2_address(const Address& deployer, const Hash32& salt, const Hash32& init_code_hash) {
  Bytes preimage;
  preimage.reserve(85);
  preimage.push_back(0xff);
  preimage.insert(preimage.end(), deployer.bytes.begin(), deployer.bytes.end());
  preimage.insert(preimage.end(), salt.bytes.begin(), salt.bytes.end());
  preimage.insert(preimage.end(), init_code_hash.bytes.begin(), init_code_hash.bytes.end());
  Hash32 h = keccak256(view(preimage));
  Address out;
  std::copy(h.bytes.begin() + 12, h.bytes.end(), out.bytes.begin());
  return out;
}

Address derive_credit_account(const CreditAccountParams& params, ByteView proxy_creation_code,
                              const Address& owner) {
  Bytes initializer = safe_setup_initializer(owner, params.fallback_handler);
  Bytes salt_preimage;
  abi::put(salt_preimage, keccak256(view(initializer)).bytes);
  abi::put(salt_preimage, abi::uint_word(params.salt_nonce));
  Hash32 salt = keccak256(view(salt_preimage));
  Bytes init_code(proxy_creation_code.begin(), proxy_creation_code.end());
  abi::put(init_code, abi::address_word(params.singleton));
  return create2_address(params.proxy_factory, salt, keccak256(view(init_code)));
}

Result<Address> CreditAccountDeriver::derive(const Address& owner) {
  std::unique_lock lock(mutex_);
  if (!creation_code_) {
    lock.unlock();  // do not hold the lock across a network call
    static const auto kProxyCreationCode = selector("proxyCreationCode()");
    Bytes data(kProxyCreationCode.begin(), kProxyCreationCode.end());
    auto res = rpc_.call("eth_call", json::array{json::object{{"to", hex::encode(view(params_.proxy_factory))},
                                                              {"data", hex::encode(view(data))}},
                                                 "latest"});
    if (!res) return make_error(Errc::kUpstream, "cannot read proxyCreationCode(): " + res.error().message);
    std::optional<Bytes> raw = res->is_string() ? hex::decode(res->as_string()) : std::nullopt;
    auto code = raw ? abi::decode_dynamic(view(*raw), 0, 0) : std::nullopt;
    if (!code || code->empty())
      return make_error(Errc::kUpstream, "proxy_factory " + hex::encode(view(params_.proxy_factory)) +
                                             " returned no proxyCreationCode (not deployed on this chain?)");
    lock.lock();
    creation_code_ = Bytes(code->begin(), code->end());
  }
  return derive_credit_account(params_, view(*creation_code_), owner);
}

}  // namespace creditscope::chain
