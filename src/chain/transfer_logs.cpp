#include "chain/transfer_logs.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <thread>

#include "core/hex.hpp"
#include "core/keccak.hpp"
#include "core/metrics.hpp"

namespace creditscope::chain {
namespace {
constexpr MetricFamily kRpcBehindMetric{"creditscope_rpc_behind_total", "eth_getLogs answers discarded because the node lacked the range's last block"};
}  // namespace

const Hash32& transfer_topic() {
  static const Hash32 topic = keccak256(view(std::string_view("Transfer(address,address,uint256)")));
  return topic;
}

void LogRangeTuner::on_success(std::uint64_t used_span) {
  // Grow only after a streak of full-size successes: a provider limit is usually a fixed number.
  if (++since_failure_ >= 50) ceiling_ = kUnlimited;
  if (used_span < span_.load()) return;
  if (++successes_ >= 3) {
    successes_ = 0;
    std::uint64_t cur = span_.load();
    std::uint64_t grown = cur >= kUnlimited / 2 ? kUnlimited : cur * 2;
    span_.store(std::max(cur, std::min({max_span_, ceiling_.load(), grown})));
  }
}

void LogRangeTuner::on_too_large(std::uint64_t failed_span, std::optional<std::uint64_t> suggested) {
  successes_ = 0;
  since_failure_ = 0;
  ceiling_ = std::min(ceiling_.load(), failed_span - 1);
  std::uint64_t next = suggested && *suggested < failed_span ? *suggested : std::max<std::uint64_t>(1, failed_span / 2);
  std::uint64_t cur = span_.load();
  while (next < cur && !span_.compare_exchange_weak(cur, next)) {
  }
}

namespace {
std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
}  // namespace

bool is_range_error(const std::string& message) {
  std::string m = lower(message);
  if (m.find("rate limit") != std::string::npos) return false;
  for (const char* needle : {"block range", "range too large", "range is too large", "too many", "more than",
                             "limit exceeded", "exceeds", "exceeded", "too large", "max results",
                             "response size", "range should work", "query timeout", "-32005", "10000 results",
                             "max block range", "range limit", "is limited to"}) {
    if (m.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::optional<std::uint64_t> suggested_span(const std::string& message) {
  auto open = message.find("[0x");
  if (open == std::string::npos) return std::nullopt;
  auto comma = message.find(',', open);
  auto close = message.find(']', open);
  if (comma == std::string::npos || close == std::string::npos || comma > close) return std::nullopt;
  std::string a = message.substr(open + 1, comma - open - 1);
  std::string b = message.substr(comma + 1, close - comma - 1);
  b.erase(0, b.find_first_not_of(' '));
  auto from = hex::decode_quantity(a), to = hex::decode_quantity(b);
  if (!from || !to || *to < *from) return std::nullopt;
  return *to - *from + 1;
}

namespace {

json::value topic_list(const std::vector<Address>& accounts) {
  json::array list;
  for (const auto& a : accounts) {
    Hash32 padded{};
    std::copy(a.bytes.begin(), a.bytes.end(), padded.bytes.begin() + 12);
    list.push_back(json::string(hex::encode(view(padded))));
  }
  if (list.size() == 1) return list[0];
  return list;
}

std::optional<std::string_view> str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string_view(v->as_string());
}

// Decodes one log; nullopt if it is not an ERC-20 Transfer touching one of the accounts.
// Malformed entries (a node bug) are reported as errors rather than skipped.
Result<std::optional<TokenTransfer>> decode_log(const json::value& v, const std::set<Address>& accounts,
                                                std::uint64_t from_block, std::uint64_t to_block) {
  auto bad = [](const char* what) { return make_error(Errc::kUpstream, std::string("malformed log from node: ") + what); };
  if (!v.is_object()) return bad("not an object");
  const auto& o = v.as_object();
  if (auto* removed = o.if_contains("removed"); removed && removed->is_bool() && removed->as_bool())
    return std::optional<TokenTransfer>{};
  auto* topics_v = o.if_contains("topics");
  if (!topics_v || !topics_v->is_array()) return bad("no topics");
  const auto& topics = topics_v->as_array();
  if (topics.size() != 3) return std::optional<TokenTransfer>{};  // ERC-721 Transfer has 4 topics
  std::array<Hash32, 3> t;
  for (std::size_t i = 0; i < 3; ++i) {
    if (!topics[i].is_string()) return bad("topic not a string");
    auto h = hex::decode_hash(topics[i].as_string());
    if (!h) return bad("topic not 32 bytes");
    t[i] = *h;
  }
  if (t[0] != transfer_topic()) return std::optional<TokenTransfer>{};
  auto to_address = [](const Hash32& h) -> std::optional<Address> {
    for (std::size_t i = 0; i < 12; ++i)
      if (h.bytes[i] != 0) return std::nullopt;
    Address a;
    std::copy(h.bytes.begin() + 12, h.bytes.end(), a.bytes.begin());
    return a;
  };
  auto from = to_address(t[1]), to = to_address(t[2]);
  if (!from || !to) return std::optional<TokenTransfer>{};
  if (!accounts.count(*from) && !accounts.count(*to)) return std::optional<TokenTransfer>{};

  auto address = str(o, "address"), data = str(o, "data"), block = str(o, "blockNumber"),
       index = str(o, "logIndex"), txn = str(o, "transactionHash");
  if (!address || !data || !block || !index || !txn) return bad("missing field");
  TokenTransfer out;
  auto token = hex::decode_address(*address);
  auto block_num = hex::decode_quantity(*block);
  auto log_index = hex::decode_quantity(*index);
  auto txn_hash = hex::decode_hash(*txn);
  if (!token || !block_num || !log_index || !txn_hash || *log_index > UINT32_MAX) return bad("bad field");
  if (*block_num < from_block || *block_num > to_block) return bad("log outside the requested range");
  auto amount = hex::decode(*data);
  if (!amount) return bad("data not hex");
  if (amount->size() != 32) return std::optional<TokenTransfer>{};  // not an ERC-20 amount
  out.token = *token;
  out.from = *from;
  out.to = *to;
  out.raw_amount = u256_from_word(view(*amount));
  out.block_num = *block_num;
  out.log_index = static_cast<std::uint32_t>(*log_index);
  out.txn_hash = *txn_hash;
  if (auto ts = str(o, "blockTimestamp")) {
    if (auto seconds = hex::decode_quantity(*ts)) out.block_timestamp = *seconds;
  }
  return std::optional<TokenTransfer>{out};
}

}  // namespace

Result<std::vector<TokenTransfer>> fetch_transfer_logs(RpcClient& rpc, const std::vector<Address>& accounts,
                                                       std::uint64_t from_block, std::uint64_t to_block,
                                                       LogRangeTuner& tuner) {
  std::vector<TokenTransfer> out;
  if (accounts.empty() || from_block > to_block) return out;
  const std::set<Address> account_set(accounts.begin(), accounts.end());
  const json::value who = topic_list(accounts);
  const std::string topic0 = hex::encode(view(transfer_topic()));
  std::map<std::pair<std::uint64_t, std::uint32_t>, TokenTransfer> unique;  // a self-transfer matches twice

  std::uint64_t cur = from_block;
  int behind = 0;  // consecutive answers from a node that had not seen the range's last block
  while (cur <= to_block) {
    const std::uint64_t span = tuner.span();
    const std::uint64_t end = (to_block - cur < span - 1) ? to_block : cur + span - 1;
    auto filter = [&](bool as_sender) {
      json::array topics{json::string(topic0)};
      if (as_sender) {
        topics.push_back(who);
      } else {
        topics.push_back(nullptr);
        topics.push_back(who);
      }
      return json::array{json::object{{"fromBlock", hex::encode_quantity(cur)},
                                      {"toBlock", hex::encode_quantity(end)},
                                      {"topics", std::move(topics)}}};
    };
    // Both directions in one round trip, plus the range's last block from the same node: a node
    // (or a load-balanced backend) that has not seen it yet answers an empty log list that is
    // simply wrong, so its answer is only taken when it knows the block.
    auto results = rpc.batch({{"eth_getLogs", filter(true)},
                              {"eth_getLogs", filter(false)},
                              {"eth_getBlockByNumber", json::array{hex::encode_quantity(end), false}}});
    std::optional<std::string> range_error;
    if (!results) {
      if (results.error().code != Errc::kRangeTooLarge) return results.error();
      range_error = results.error().message;
    } else {
      for (std::size_t i = 0; i < 2; ++i) {
        auto& r = (*results)[i];
        if (r) continue;
        if (!is_range_error(r.error().message))
          return make_error(Errc::kUpstream, "eth_getLogs failed: " + r.error().message);
        range_error = r.error().message;
      }
    }
    if (range_error) {
      if (end == cur)
        return make_error(Errc::kUpstream, "eth_getLogs refused even a single block: " + *range_error);
      tuner.on_too_large(end - cur + 1, suggested_span(*range_error));
      continue;
    }
    if (auto& block = (*results)[2]; !block || !block->is_object()) {
      if (++behind > 5) return make_error(Errc::kUpstream, "RPC node keeps answering for block " + std::to_string(end) + " without having it");
      Metrics::global().inc(kRpcBehindMetric, {});
      std::this_thread::sleep_for(std::chrono::milliseconds(100 * behind));
      continue;
    }
    behind = 0;
    for (std::size_t i = 0; i < 2; ++i) {
      auto& r = (*results)[i];
      if (!r->is_array()) return make_error(Errc::kUpstream, "eth_getLogs returned a non-array result");
      for (const auto& log : r->as_array()) {
        auto decoded = decode_log(log, account_set, cur, end);
        if (!decoded) return decoded.error();
        if (*decoded) unique.emplace(std::pair{(*decoded)->block_num, (*decoded)->log_index}, **decoded);
      }
    }
    tuner.on_success(end - cur + 1);
    if (end == to_block) break;
    cur = end + 1;
  }
  out.reserve(unique.size());
  for (auto& [key, t] : unique) out.push_back(std::move(t));
  return out;
}

Result<void> fill_block_timestamps(RpcClient& rpc, std::vector<TokenTransfer>& transfers) {
  std::vector<std::uint64_t> blocks;
  for (const auto& t : transfers)
    if (t.block_timestamp == 0) blocks.push_back(t.block_num);
  std::sort(blocks.begin(), blocks.end());
  blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
  if (blocks.empty()) return {};
  std::vector<RpcRequest> requests;
  for (auto b : blocks) requests.push_back({"eth_getBlockByNumber", json::array{hex::encode_quantity(b), false}});
  auto results = rpc.batch(requests);
  if (!results) return results.error();
  std::map<std::uint64_t, std::uint64_t> timestamps;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto& r = (*results)[i];
    if (!r) return make_error(Errc::kUpstream, "eth_getBlockByNumber failed: " + r.error().message);
    if (!r->is_object()) return make_error(Errc::kUpstream, "node does not know block " + std::to_string(blocks[i]));
    auto ts = str(r->as_object(), "timestamp");
    auto seconds = ts ? hex::decode_quantity(*ts) : std::nullopt;
    if (!seconds) return make_error(Errc::kUpstream, "block without timestamp");
    timestamps[blocks[i]] = *seconds;
  }
  for (auto& t : transfers)
    if (t.block_timestamp == 0) t.block_timestamp = timestamps[t.block_num];
  return {};
}

}  // namespace creditscope::chain
