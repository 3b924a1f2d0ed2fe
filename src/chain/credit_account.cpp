#include "chain/credit_account.hpp"

#include "chain/abi.hpp"
#include "chain/blocks.hpp"
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

Hash32 proxy_init_code_hash(const CreditAccountParams& params, ByteView proxy_creation_code) {
  Bytes init_code(proxy_creation_code.begin(), proxy_creation_code.end());
  abi::put(init_code, abi::address_word(params.singleton));
  return keccak256(view(init_code));
}

Address derive_credit_account(const CreditAccountParams& params, const Hash32& init_code_hash, const Address& owner) {
  Bytes initializer = safe_setup_initializer(owner, params.fallback_handler);
  Bytes salt_preimage;
  abi::put(salt_preimage, keccak256(view(initializer)).bytes);
  abi::put(salt_preimage, abi::uint_word(params.salt_nonce));
  return create2_address(params.proxy_factory, keccak256(view(salt_preimage)), init_code_hash);
}

Address derive_credit_account(const CreditAccountParams& params, ByteView proxy_creation_code,
                              const Address& owner) {
  return derive_credit_account(params, proxy_init_code_hash(params, proxy_creation_code), owner);
}

std::optional<Address> CreditAccountDeriver::derive_cached(const Address& owner) const {
  std::lock_guard lock(mutex_);
  if (!init_code_hash_) return std::nullopt;
  return derive_credit_account(params_, *init_code_hash_, owner);
}

Result<Address> CreditAccountDeriver::derive(const Address& owner) {
  if (auto cached = derive_cached(owner)) return *cached;
  // One caller reads proxyCreationCode, the others wait for it (a burst of first requests must not
  // each spend a call, nor trickle in behind each other's). Not under mutex_: a network call must
  // not block derive_cached() on the fast path.
  std::lock_guard fetching(fetch_mutex_);
  if (auto cached = derive_cached(owner)) return *cached;
  {
    static const auto kProxyCreationCode = selector("proxyCreationCode()");
    Bytes data(kProxyCreationCode.begin(), kProxyCreationCode.end());
    // At a block number, not "latest": with verify = "quorum" only a read at a fixed block is
    // checked, and this one decides every account address the process derives.
    auto head = fetch_head(rpc_);
    if (!head) return make_error(Errc::kUpstream, "cannot read proxyCreationCode(): " + head.error().message);
    auto res = rpc_.call("eth_call", json::array{json::object{{"to", hex::encode(view(params_.proxy_factory))},
                                                              {"data", hex::encode(view(data))}},
                                                 hex::encode_quantity(*head)});
    if (!res) return make_error(Errc::kUpstream, "cannot read proxyCreationCode(): " + res.error().message);
    std::optional<Bytes> raw = res->is_string() ? hex::decode(res->as_string()) : std::nullopt;
    auto code = raw ? abi::decode_dynamic(view(*raw), 0, 0) : std::nullopt;
    if (!code || code->empty())
      return make_error(Errc::kUpstream, "proxy_factory " + hex::encode(view(params_.proxy_factory)) +
                                             " returned no proxyCreationCode (not deployed on this chain?)");
    std::lock_guard lock(mutex_);
    init_code_hash_ = proxy_init_code_hash(params_, *code);
  }
  return *derive_cached(owner);
}

}  // namespace creditscope::chain
