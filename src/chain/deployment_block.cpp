#include "chain/deployment_block.hpp"

#include "core/address.hpp"
#include "core/hex.hpp"

namespace creditscope::chain {

Result<std::uint64_t> find_deployment_block(RpcClient& rpc, const Address& contract, std::uint64_t head) {
  const std::string address = hex::encode(view(contract));
  auto has_code = [&](std::uint64_t block) -> Result<bool> {
    auto code = rpc.call("eth_getCode", json::array{json::string(address), json::string(hex::encode_quantity(block))});
    if (!code)
      return make_error(Errc::kUpstream, "cannot read the code of " + to_checksum(contract) + " at block " +
                                             std::to_string(block) + " (" + code.error().message +
                                             "); a node without old state cannot find the factory's block: set "
                                             "start_block to a number");
    if (!code->is_string()) return make_error(Errc::kUpstream, "eth_getCode returned a non-string");
    return code->as_string() != "0x" && !code->as_string().empty();
  };
  auto at_head = has_code(head);
  if (!at_head) return at_head.error();
  if (!*at_head)
    return make_error(Errc::kInvalidInput, "proxy_factory " + to_checksum(contract) + " has no code at block " +
                                               std::to_string(head) + ": wrong address or wrong chain");
  // Invariant: no code at lo - 1 (or lo == 0), code at hi.
  std::uint64_t lo = 0, hi = head;
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo) / 2;
    auto code = has_code(mid);
    if (!code) return code.error();
    if (*code) hi = mid;
    else lo = mid + 1;
  }
  return hi;
}

}  // namespace creditscope::chain
