#include "chain/state_reads.hpp"

#include "chain/abi.hpp"
#include "chain/contract_calls.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"

namespace creditscope::chain {
namespace {
// A JSON-RPC quantity ("0x1bc16d674ec80000") as a U256; nullopt when malformed or wider.
std::optional<U256> u256_from_quantity(std::string_view q) {
  if (!q.starts_with("0x") || q.size() < 3 || q.size() > 66) return std::nullopt;
  std::string digits(64 - (q.size() - 2), '0');
  digits += q.substr(2);
  auto bytes = hex::decode("0x" + digits);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  return u256_from_word(view(*bytes));
}
}  // namespace

Result<StateAt> read_state_at(RpcClient& rpc, const ChainSettings& settings, const Address& account,
                              const std::set<Address>& tokens, std::uint64_t block_num, bool native) {
  static const auto kBalanceOf = selector("balanceOf(address)");
  StateAt out;
  if (native) {
    auto r = rpc.call("eth_getBalance", json::array{hex::encode(view(account)), hex::encode_quantity(block_num)});
    auto value = r && r->is_string() ? u256_from_quantity(r->as_string()) : std::nullopt;
    if (!value) return make_error(Errc::kUpstream, "eth_getBalance at block " + std::to_string(block_num) + " failed" +
                                                       (r ? std::string(": malformed") : ": " + r.error().message));
    out.native = *value;
  }
  if (tokens.empty()) return out;
  std::vector<ContractCall> calls;
  calls.reserve(tokens.size());
  for (const auto& t : tokens) calls.push_back({t, abi::call_data(kBalanceOf, {abi::address_word(account)})});
  auto results = call_contracts(rpc, calls, block_num, CallOptions{settings.multicall3, settings.eth_call_gas_cap, 300});
  if (!results) return results.error();
  std::size_t i = 0;
  for (const auto& t : tokens) {
    const auto& data = (*results)[i++];
    out.balances[t] = data && data->size() == 32 ? std::optional<U256>(u256_from_word(view(*data))) : std::nullopt;
  }
  return out;
}

bool state_unavailable(RpcClient& rpc, const Address& account) {
  auto r = rpc.call("eth_getBalance", json::array{hex::encode(view(account)), "latest"});
  return r && r->is_string();
}

Result<std::optional<std::uint64_t>> fetch_tagged_block(RpcClient& rpc, std::string_view tag) {
  auto r = rpc.batch({RpcRequest{"eth_getBlockByNumber", json::array{json::string(tag), false}}});
  if (!r) return r.error();
  const auto& one = r->at(0);
  if (!one || !one->is_object()) return std::optional<std::uint64_t>();
  const auto* number = one->as_object().if_contains("number");
  auto n = number && number->is_string() ? hex::decode_quantity(number->as_string()) : std::nullopt;
  if (!n) return std::optional<std::uint64_t>();
  return n;
}

}  // namespace creditscope::chain
