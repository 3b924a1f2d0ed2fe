#include "chain/deployment_block.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"

namespace creditscope::chain {
namespace {

// A node on which the contract has code from block `deployed` on; state older than `pruned_below`
// is gone, as on a full (non-archive) node.
class CodeNode : public RpcClient {
 public:
  std::uint64_t deployed = 0;
  std::uint64_t pruned_below = 0;
  int calls = 0;
  Result<std::vector<Result<json::value>>> batch(const std::vector<RpcRequest>& requests) override {
    std::vector<Result<json::value>> out;
    for (const auto& r : requests) {
      ++calls;
      const auto block = *hex::decode_quantity(r.params[1].as_string());
      if (block < pruned_below) out.push_back(make_error(Errc::kUpstream, "-32000: missing trie node"));
      else out.push_back(json::value(block >= deployed ? "0x6080" : "0x"));
    }
    return out;
  }
};

TEST(FindDeploymentBlock, BisectsToTheExactBlockInFewCalls) {
  for (std::uint64_t deployed : {0ull, 1ull, 12345ull, 38'999'999ull, 39'000'000ull}) {
    CodeNode node;
    node.deployed = deployed;
    auto found = find_deployment_block(node, Address{}, 39'000'000);
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(*found, deployed);
    EXPECT_LE(node.calls, 28) << deployed;  // log2(39M) + the check at the head
  }
}

TEST(FindDeploymentBlock, NoCodeAtTheHeadIsAConfigMistake) {
  CodeNode node;
  node.deployed = 100;
  auto found = find_deployment_block(node, Address{}, 50);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code, Errc::kInvalidInput);
  EXPECT_NE(found.error().message.find("has no code at block 50"), std::string::npos) << found.error().message;
}

TEST(FindDeploymentBlock, ANodeWithoutOldStateAsksForANumber) {
  CodeNode node;
  node.deployed = 1000;
  node.pruned_below = 900'000;
  auto found = find_deployment_block(node, Address{}, 1'000'000);
  ASSERT_FALSE(found);
  EXPECT_EQ(found.error().code, Errc::kUpstream);
  EXPECT_NE(found.error().message.find("set start_block to a number"), std::string::npos) << found.error().message;
}

}  // namespace
}  // namespace creditscope::chain
