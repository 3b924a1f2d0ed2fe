#include "chain/quorum_client.hpp"

#include <gtest/gtest.h>

#include <atomic>

namespace creditscope::chain {
namespace {

// A node that answers every call from a function of the call, and counts what it was asked.
class FakeNode final : public RpcClient {
 public:
  explicit FakeNode(std::function<Result<json::value>(const RpcRequest&)> answer) : answer_(std::move(answer)) {}
  Result<std::vector<Result<json::value>>> batch(const std::vector<RpcRequest>& requests) override {
    calls += requests.size();
    if (down) return make_error(Errc::kUpstream, "connection refused");
    std::vector<Result<json::value>> out;
    for (const auto& r : requests) out.emplace_back(answer_(r));
    return out;
  }
  std::atomic<std::size_t> calls{0};
  bool down = false;

 private:
  std::function<Result<json::value>(const RpcRequest&)> answer_;
};

RpcRequest logs_at(const char* from, const char* to) {
  return {"eth_getLogs", json::array{json::object{{"fromBlock", from}, {"toBlock", to}}}};
}
json::value log(const char* txn, const char* index) {
  return json::object{{"transactionHash", txn}, {"logIndex", index}, {"address", "0xAa"},
                      {"topics", json::array{"0x01"}}, {"data", "0x"}};
}
json::value honest(const RpcRequest& r) {
  if (r.method == "eth_getLogs") return json::array{log("0x11", "0x1"), log("0x22", "0x0")};
  if (r.method == "eth_blockNumber") return "0x10";
  return "0x00000000000000000000000000000000000000000000000000000000000003e8";
}
json::value liar(const RpcRequest& r) {
  if (r.method == "eth_getLogs") return json::array{};
  return honest(r);
}
// Reverts every eth_call, as the HTTP client reports a JSON-RPC error.
Result<json::value> reverter(const RpcRequest& r) {
  if (r.method == "eth_call") return make_error(Errc::kUpstream, "3: execution reverted");
  return honest(r);
}

TEST(QuorumRpcClient, OnlyCallsWithOneRightAnswerAreCompared) {
  struct Case {
    RpcRequest request;
    bool checked;
  };
  const std::vector<Case> cases = {
      {logs_at("0x1", "0x10"), true},
      {{"eth_getLogs", json::array{json::object{{"blockHash", "0xab"}}}}, true},
      {logs_at("0x1", "latest"), false},
      {{"eth_call", json::array{json::object{{"to", "0x01"}}, "0x10"}}, true},
      {{"eth_call", json::array{json::object{{"to", "0x01"}}, "latest"}}, false},
      {{"eth_call", json::array{json::object{{"to", "0x01"}}, json::object{{"blockHash", "0xab"}}}}, true},
      {{"eth_getBalance", json::array{"0x01", "0x5"}}, true},
      {{"eth_getBalance", json::array{"0x01", "finalized"}}, false},
      {{"eth_blockNumber", json::array{}}, false},
      {{"eth_getBlockByNumber", json::array{"0x5", false}}, false},
  };
  for (const auto& c : cases) EXPECT_EQ(needs_quorum(c.request), c.checked) << json::serialize(c.request.params);
}

TEST(QuorumRpcClient, LogsCompareByContentNotByOrderOrHexCase) {
  const auto req = logs_at("0x1", "0x2");
  json::value a = json::array{log("0x11", "0x1"), log("0x22", "0x0")};
  json::value b = json::array{log("0x22", "0x00"), log("0x11", "0x01")};
  b.as_array()[0].as_object()["address"] = "0xAA";
  b.as_array()[0].as_object()["blockTimestamp"] = "0x5";  // not compared: not every node sends it
  EXPECT_EQ(quorum_key(req, a), quorum_key(req, b));
  json::value c = json::array{log("0x11", "0x1")};
  EXPECT_NE(quorum_key(req, a), quorum_key(req, c));
  EXPECT_EQ(quorum_key({"eth_getBalance", {}}, json::value("0x0a")), quorum_key({"eth_getBalance", {}}, json::value("0xA")));
}

TEST(QuorumRpcClient, AThirdUrlOutvotesALiarWhichIsThenSkipped) {
  auto bad = std::make_shared<FakeNode>(liar);
  auto good1 = std::make_shared<FakeNode>(honest);
  auto good2 = std::make_shared<FakeNode>(honest);
  QuorumRpcClient client("test", {bad, good1, good2}, {"bad", "good1", "good2"}, std::chrono::seconds(300));
  for (int round = 0; round < 6; ++round) {
    auto r = client.batch({logs_at("0x1", "0x10"), {"eth_blockNumber", {}}});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE((*r)[0]);
    EXPECT_EQ((*r)[0]->as_array().size(), 2u) << "round " << round;
  }
  const std::size_t asked = bad->calls;
  for (int round = 0; round < 4; ++round) ASSERT_TRUE(client.batch({logs_at("0x1", "0x10")}));
  EXPECT_EQ(bad->calls, asked) << "a quarantined URL was asked again";
}

TEST(QuorumRpcClient, TwoUrlsThatDisagreeWithNoThirdFailTheBatch) {
  auto bad = std::make_shared<FakeNode>(liar);
  auto good = std::make_shared<FakeNode>(honest);
  QuorumRpcClient client("test", {bad, good}, {"bad", "good"}, std::chrono::seconds(300));
  auto r = client.batch({logs_at("0x1", "0x10")});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUpstream);
  EXPECT_NE(r.error().message.find("no third URL"), std::string::npos) << r.error().message;
}

TEST(QuorumRpcClient, TagReadsGoToOneUrlAndCheckedReadsNeedASecond) {
  auto a = std::make_shared<FakeNode>(honest);
  auto b = std::make_shared<FakeNode>(honest);
  QuorumRpcClient client("test", {a, b}, {"a", "b"}, std::chrono::seconds(300));
  ASSERT_TRUE(client.batch({{"eth_blockNumber", {}}}));
  EXPECT_EQ(a->calls + b->calls, 1u);
  ASSERT_TRUE(client.batch({logs_at("0x1", "0x2")}));
  EXPECT_EQ(a->calls + b->calls, 3u);
  b->down = true;
  a->down = false;
  // One URL left: a checked read cannot be verified, so it fails rather than answer unchecked.
  for (int i = 0; i < 2; ++i) EXPECT_FALSE(client.batch({logs_at("0x1", "0x2")}));
  EXPECT_TRUE(client.batch({{"eth_blockNumber", {}}}));
}

TEST(QuorumRpcClient, ARevertVotesLikeAResult) {
  const RpcRequest call{"eth_call", json::array{json::object{{"to", "0x01"}}, "0x10"}};
  using Urls = std::vector<std::shared_ptr<RpcClient>>;
  auto names = [](std::size_t n) {
    const std::vector<std::string> all{"a", "b", "c"};
    return std::vector<std::string>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
  };
  // A node that reverts what two others answer is outvoted, wherever it stands.
  for (std::size_t position = 0; position < 3; ++position) {
    Urls urls{std::make_shared<FakeNode>(honest), std::make_shared<FakeNode>(honest)};
    urls.insert(urls.begin() + static_cast<std::ptrdiff_t>(position), std::make_shared<FakeNode>(reverter));
    QuorumRpcClient client("test", urls, names(3), std::chrono::seconds(300));
    auto r = client.batch({call});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE((*r)[0]) << "position " << position << ": " << (*r)[0].error().message;
    EXPECT_EQ(*(*r)[0], honest(call)) << "position " << position;
  }
  // Two that revert outvote one that answers: the revert stands, as the call's own outcome.
  {
    QuorumRpcClient client("test", Urls{std::make_shared<FakeNode>(honest), std::make_shared<FakeNode>(reverter),
                                        std::make_shared<FakeNode>(reverter)},
                           names(3), std::chrono::seconds(300));
    auto r = client.batch({call});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_FALSE((*r)[0]);
    EXPECT_NE((*r)[0].error().message.find("reverted"), std::string::npos);
  }
  // Two URLs, one reverting: no majority, so no answer at all.
  QuorumRpcClient two("test", Urls{std::make_shared<FakeNode>(reverter), std::make_shared<FakeNode>(honest)}, names(2),
                      std::chrono::seconds(300));
  EXPECT_FALSE(two.batch({call}));
}

}  // namespace
}  // namespace creditscope::chain
