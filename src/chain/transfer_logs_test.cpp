#include "chain/transfer_logs.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"

namespace creditscope::chain {
namespace {

// A node that refuses ranges wider than max_span and serves a fixed set of logs.
class FakeLogNode : public RpcClient {
 public:
  std::uint64_t max_span = 10;
  json::array logs;
  int calls = 0;
  bool garbage_once = false;  // the next eth_getLogs answer is not a list
  Result<std::vector<Result<json::value>>> batch(const std::vector<RpcRequest>& requests) override {
    std::vector<Result<json::value>> out;
    for (const auto& r : requests) {
      if (r.method == "eth_getBlockByNumber") {
        out.push_back(json::value(json::object{{"number", r.params[0]}}));
        continue;
      }
      ++calls;
      const auto& f = r.params[0].as_object();
      auto from = *hex::decode_quantity(f.at("fromBlock").as_string());
      auto to = *hex::decode_quantity(f.at("toBlock").as_string());
      if (to - from + 1 > max_span) {
        out.push_back(make_error(Errc::kUpstream, "-32005: block range too large"));
        continue;
      }
      if (garbage_once) {
        garbage_once = false;
        out.push_back(json::value("not a list"));
        continue;
      }
      bool sender = !f.at("topics").as_array()[1].is_null();
      json::array match;
      for (const auto& l : logs) {
        auto b = *hex::decode_quantity(l.at("blockNumber").as_string());
        const auto& topics = l.at("topics").as_array();
        std::size_t pos = sender ? 1 : 2;
        if (b >= from && b <= to && topics.size() > pos && topics[pos] == f.at("topics").as_array()[pos]) match.push_back(l);
      }
      out.push_back(json::value(match));
    }
    return out;
  }
};

std::string padded(const std::string& addr) { return "0x000000000000000000000000" + addr.substr(2); }

json::value make_log(std::string token, std::string from, std::string to, std::uint64_t block, unsigned index,
                     bool nft = false) {
  json::array topics{hex::encode(view(transfer_topic())), padded(from), padded(to)};
  if (nft) topics.push_back("0x0000000000000000000000000000000000000000000000000000000000000001");
  return json::object{{"address", token},
                      {"topics", topics},
                      {"data", nft ? "0x" : "0x00000000000000000000000000000000000000000000000000000000000003e8"},
                      {"blockNumber", hex::encode_quantity(block)},
                      {"logIndex", hex::encode_quantity(index)},
                      {"blockTimestamp", "0x10"},
                      {"transactionHash", "0x" + std::string(64, 'a')}};
}

TEST(FetchTransferLogs, SplitsRangesDedupesSelfTransfersAndSkipsNfts) {
  const std::string me = "0x1111111111111111111111111111111111111111";
  const std::string other = "0x2222222222222222222222222222222222222222";
  const std::string token = "0x3333333333333333333333333333333333333333";
  FakeLogNode node;
  node.logs.push_back(make_log(token, other, me, 5, 0));
  node.logs.push_back(make_log(token, me, other, 37, 2));
  node.logs.push_back(make_log(token, me, me, 37, 1));        // self transfer: matches both filters
  node.logs.push_back(make_log(token, other, me, 90, 0, true));  // ERC-721: four topics
  LogRangeTuner tuner;  // starts unlimited, must learn the node's limit
  auto got = fetch_transfer_logs(node, {*hex::decode_address(me)}, 0, 99, tuner);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].block_num, 5u);
  EXPECT_EQ((*got)[1].log_index, 1u);  // (37,1) before (37,2)
  EXPECT_EQ((*got)[2].log_index, 2u);
  EXPECT_EQ((*got)[0].raw_amount, 1000);
  EXPECT_EQ((*got)[0].block_timestamp, 16u);
  EXPECT_LE(tuner.known_good(), 10u);
}

TEST(FetchTransferLogs, AFailedProbeLeavesTheTunerFreeToProbeAgain) {
  FakeLogNode node;
  node.garbage_once = true;
  LogRangeTuner tuner(5);
  auto got = fetch_transfer_logs(node, {Address{}}, 0, 3, tuner);  // the first request is a probe
  ASSERT_FALSE(got);
  EXPECT_TRUE(tuner.plan().probe) << "the failed probe was never given back";
}

TEST(FetchTransferLogs, FailsWhenEvenOneBlockIsRefused) {
  FakeLogNode node;
  node.max_span = 0;
  LogRangeTuner tuner;
  auto got = fetch_transfer_logs(node, {Address{}}, 0, 3, tuner);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::kUpstream);
}

}  // namespace
}  // namespace creditscope::chain
