#include "chain/contract_calls.hpp"

#include <algorithm>
#include <cctype>

#include "chain/abi.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"

namespace creditscope::chain {
namespace {

const auto kAggregate3 = selector("aggregate3((address,bool,bytes)[])");

Bytes encode_aggregate3(const std::vector<ContractCall>& calls, std::size_t begin, std::size_t end) {
  Bytes out(kAggregate3.begin(), kAggregate3.end());
  abi::put(out, abi::uint_word(32));  // offset of the array argument
  const std::size_t n = end - begin;
  abi::put(out, abi::uint_word(n));
  // Each tuple is (target, allowFailure, offset 0x60, len, data padded).
  std::vector<Bytes> tuples;
  tuples.reserve(n);
  for (std::size_t i = begin; i < end; ++i) {
    Bytes t;
    abi::put(t, abi::address_word(calls[i].to));
    abi::put(t, abi::uint_word(1));
    abi::put(t, abi::uint_word(0x60));
    abi::put_bytes(t, view(calls[i].data));
    tuples.push_back(std::move(t));
  }
  std::size_t offset = 32 * n;
  for (const auto& t : tuples) {
    abi::put(out, abi::uint_word(offset));
    offset += t.size();
  }
  for (const auto& t : tuples) out.insert(out.end(), t.begin(), t.end());
  return out;
}

// (bool success, bytes returnData)[]; nullopt if malformed or not n entries.
std::optional<std::vector<std::optional<Bytes>>> decode_aggregate3(ByteView data, std::size_t n) {
  if (data.size() < 64) return std::nullopt;
  auto count = abi::decode_uint(data.subspan(32));
  auto offset = abi::decode_uint(data);
  if (!count || !offset || *offset != 32 || *count != n) return std::nullopt;
  const std::size_t base = 64;  // offsets inside the array are relative to after its length
  if (data.size() < base + 32 * n) return std::nullopt;
  std::vector<std::optional<Bytes>> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto tuple_offset = abi::decode_uint(data.subspan(base + 32 * i));
    if (!tuple_offset || *tuple_offset > data.size()) return std::nullopt;
    std::size_t tuple = base + static_cast<std::size_t>(*tuple_offset);
    if (tuple > data.size() || data.size() - tuple < 64) return std::nullopt;
    auto success = abi::decode_uint(data.subspan(tuple));
    auto ret = abi::decode_dynamic(data, tuple, tuple + 32);
    if (!success || !ret) return std::nullopt;
    if (*success == 1) {
      out.emplace_back(Bytes(ret->begin(), ret->end()));
    } else {
      out.emplace_back(std::nullopt);
    }
  }
  return out;
}

json::value call_object(const Address& to, ByteView data, std::optional<std::uint64_t> gas) {
  json::object o{{"to", hex::encode(view(to))}, {"data", hex::encode(data)}};
  if (gas) o["gas"] = hex::encode_quantity(*gas);
  return o;
}

std::optional<Bytes> decode_result_hex(const json::value& v) {
  if (!v.is_string()) return std::nullopt;
  return hex::decode(v.as_string());
}

}  // namespace

bool is_execution_failure(const std::string& message) {
  std::string m = message;
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* needle : {"revert", "out of gas", "gas required exceeds", "invalid opcode", "invalid jump",
                             "stack underflow", "stack overflow", "evm error", "execution error",
                             "write protection", "static call", "opcodenotfound", "outofgas", "invalidfejump",
                             "notactivated", "precompile"}) {
    if (m.find(needle) != std::string::npos) return true;
  }
  return false;
}

Result<std::vector<std::optional<Bytes>>> call_contracts(RpcClient& rpc, const std::vector<ContractCall>& calls,
                                                         std::uint64_t block_num, const CallOptions& options) {
  std::vector<std::optional<Bytes>> out(calls.size());
  std::vector<std::size_t> individually;  // indices to (re)try as plain eth_calls
  const std::string block = hex::encode_quantity(block_num);

  if (options.multicall3 && !calls.empty()) {
    std::vector<RpcRequest> requests;
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    for (std::size_t begin = 0; begin < calls.size(); begin += options.calls_per_multicall) {
      std::size_t end = std::min(calls.size(), begin + options.calls_per_multicall);
      Bytes data = encode_aggregate3(calls, begin, end);
      requests.push_back({"eth_call", json::array{call_object(*options.multicall3, view(data), std::nullopt), block}});
      ranges.emplace_back(begin, end);
    }
    auto results = rpc.batch(requests);
    if (!results) return results.error();
    for (std::size_t r = 0; r < ranges.size(); ++r) {
      auto [begin, end] = ranges[r];
      auto& res = (*results)[r];
      std::optional<std::vector<std::optional<Bytes>>> decoded;
      if (res) {
        if (auto bytes = decode_result_hex(*res)) decoded = decode_aggregate3(view(*bytes), end - begin);
      } else if (!is_execution_failure(res.error().message)) {
        return make_error(Errc::kUpstream, "eth_call (multicall) failed: " + res.error().message);
      }
      for (std::size_t i = begin; i < end; ++i) {
        if (decoded && (*decoded)[i - begin]) {
          out[i] = std::move((*decoded)[i - begin]);
        } else {
          individually.push_back(i);  // whole batch unusable, or this call failed: ask it alone
        }
      }
    }
  } else {
    for (std::size_t i = 0; i < calls.size(); ++i) individually.push_back(i);
  }

  if (individually.empty()) return out;
  std::vector<RpcRequest> requests;
  requests.reserve(individually.size());
  for (std::size_t i : individually)
    requests.push_back({"eth_call", json::array{call_object(calls[i].to, view(calls[i].data), options.gas_cap), block}});
  auto results = rpc.batch(requests);
  if (!results) return results.error();
  for (std::size_t k = 0; k < individually.size(); ++k) {
    auto& res = (*results)[k];
    if (res) {
      out[individually[k]] = decode_result_hex(*res);
    } else if (!is_execution_failure(res.error().message)) {
      return make_error(Errc::kUpstream, "eth_call failed: " + res.error().message);
    }
  }
  return out;
}

}  // namespace creditscope::chain
