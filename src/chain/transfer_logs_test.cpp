#include "chain/transfer_logs.hpp"

#include <gtest/gtest.h>

#include <map>

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
  std::map<std::string, std::uint64_t> block_of_hash;
  Result<std::vector<Result<json::value>>> batch(const std::vector<RpcRequest>& requests) override {
    std::vector<Result<json::value>> out;
    for (const auto& r : requests) {
      if (r.method == "eth_getBlockByNumber") {
        out.push_back(json::value(json::object{{"number", r.params[0]}}));
        continue;
      }
      ++calls;
      const auto& f = r.params[0].as_object();
      const auto& wanted = f.at("topics").as_array();
      if (f.contains("blockHash")) {  // EIP-234: one block, by hash
        json::array match;
        for (const auto& l : logs)
          if (l.at("blockNumber").as_string() == hex::encode_quantity(block_of_hash.at(std::string(f.at("blockHash").as_string()))) &&
              (wanted.size() == 1 || l.at("topics").as_array()[wanted[1].is_null() ? 2 : 1] == wanted[wanted[1].is_null() ? 2 : 1]))
            match.push_back(l);
        out.push_back(json::value(match));
        continue;
      }
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
      const bool every = wanted.size() == 1;  // topic 0 only: every Transfer of the range
      const bool sender = !every && !wanted[1].is_null();
      json::array match;
      for (const auto& l : logs) {
        auto b = *hex::decode_quantity(l.at("blockNumber").as_string());
        const auto& topics = l.at("topics").as_array();
        std::size_t pos = sender ? 1 : 2;
        if (b >= from && b <= to && (every || (topics.size() > pos && topics[pos] == wanted[pos]))) match.push_back(l);
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

TEST(FetchTransferLogs, MatchAnyAsksOncePerRangeForEveryTransferAndMatchesLocally) {
  const std::string me = "0x1111111111111111111111111111111111111111";
  const std::string other = "0x2222222222222222222222222222222222222222";
  const std::string stranger = "0x4444444444444444444444444444444444444444";
  const std::string token = "0x3333333333333333333333333333333333333333";
  FakeLogNode node;
  node.logs.push_back(make_log(token, other, me, 5, 0));
  node.logs.push_back(make_log(token, stranger, other, 6, 0));  // names no tracked account
  node.logs.push_back(make_log(token, me, me, 9, 1));
  const Address tracked = *hex::decode_address(me);
  ScanOptions options;
  options.match_any = [&](const Address& a) { return a == tracked; };
  LogRangeTuner tuner(10, 10);
  auto got = fetch_transfer_logs(node, {}, 0, 9, tuner, options);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].block_num, 5u);
  EXPECT_EQ((*got)[1].block_num, 9u);  // the self-transfer, once
  EXPECT_EQ(node.calls, 1) << "one eth_getLogs for the one range, not an in and an out list";
}

TEST(FetchBlockTransferLogs, AsksByHashOnceForEveryTransferOrTwiceForTopicLists) {
  const std::string me = "0x1111111111111111111111111111111111111111";
  const std::string other = "0x2222222222222222222222222222222222222222";
  const std::string token = "0x3333333333333333333333333333333333333333";
  FakeLogNode node;
  const Hash32 hash = *hex::decode_hash("0x" + std::string(64, 'b'));
  node.block_of_hash[hex::encode(view(hash))] = 7;
  node.logs.push_back(make_log(token, other, me, 7, 0));
  node.logs.push_back(make_log(token, me, other, 7, 1));
  node.logs.push_back(make_log(token, other, other, 7, 2));
  node.logs.push_back(make_log(token, other, me, 8, 0));  // another block
  const Address tracked = *hex::decode_address(me);
  auto all = fetch_block_transfer_logs(node, hash, 7, {}, [&](const Address& a) { return a == tracked; });
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(node.calls, 1);
  auto lists = fetch_block_transfer_logs(node, hash, 7, {tracked}, nullptr);
  ASSERT_TRUE(lists) << lists.error().message;
  ASSERT_EQ(lists->size(), 2u);
  EXPECT_EQ((*lists)[0].log_index, 0u);
  EXPECT_EQ((*lists)[1].log_index, 1u);
  EXPECT_EQ(node.calls, 3);
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
