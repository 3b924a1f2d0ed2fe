#include "chain/blocks.hpp"

#include "core/hex.hpp"

namespace creditscope::chain {
namespace {
// A header object; nullopt when a field is missing or (when expected is set) it is another block.
std::optional<BlockHeader> parse_header(const json::object& o, std::optional<std::uint64_t> expected) {
  auto field = [&](const char* k) -> std::string_view {
    auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view{};
  };
  auto hash = hex::decode_hash(field("hash"));
  auto parent = hex::decode_hash(field("parentHash"));
  auto ts = hex::decode_quantity(field("timestamp"));
  auto num = hex::decode_quantity(field("number"));
  if (!hash || !parent || !ts || !num || (expected && *num != *expected)) return std::nullopt;
  return BlockHeader{*num, *hash, *parent, *ts};
}
}  // namespace

Result<std::map<std::uint64_t, BlockHeader>> fetch_headers(RpcClient& rpc, const std::vector<std::uint64_t>& blocks) {
  std::map<std::uint64_t, BlockHeader> out;
  if (blocks.empty()) return out;
  std::vector<RpcRequest> requests;
  for (auto b : blocks) requests.push_back({"eth_getBlockByNumber", json::array{hex::encode_quantity(b), false}});
  auto results = rpc.batch(requests);
  if (!results) return results.error();
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto& r = (*results)[i];
    if (!r) return make_error(Errc::kUpstream, "eth_getBlockByNumber failed: " + r.error().message);
    if (!r->is_object()) return make_error(Errc::kUpstream, "node does not have block " + std::to_string(blocks[i]) + " yet");
    auto header = parse_header(r->as_object(), blocks[i]);
    if (!header) return make_error(Errc::kUpstream, "malformed header for block " + std::to_string(blocks[i]));
    out[blocks[i]] = *header;
  }
  return out;
}

Result<std::uint64_t> fetch_head(RpcClient& rpc) {
  auto head = rpc.call("eth_blockNumber", {});
  if (!head) return make_error(Errc::kUpstream, "eth_blockNumber failed: " + head.error().message);
  auto n = head->is_string() ? hex::decode_quantity(head->as_string()) : std::nullopt;
  if (!n) return make_error(Errc::kUpstream, "eth_blockNumber returned no number");
  return *n;
}

Result<BlockHeader> fetch_latest_header(RpcClient& rpc) {
  auto r = rpc.call("eth_getBlockByNumber", json::array{"latest", false});
  if (!r) return make_error(Errc::kUpstream, "eth_getBlockByNumber(latest) failed: " + r.error().message);
  auto header = r->is_object() ? parse_header(r->as_object(), std::nullopt) : std::nullopt;
  if (!header) return make_error(Errc::kUpstream, "malformed latest header");
  return *header;
}

}  // namespace creditscope::chain
