#include "chain/log_limits.hpp"

#include <gtest/gtest.h>

namespace creditscope::chain {
namespace {

using Kind = LogLimit::Kind;

struct Wording {
  const char* provider;
  const char* text;  // as RpcClient reports it: "code: message data"
  Kind kind;
  std::optional<std::uint64_t> max_blocks;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> suggested;
};

// The providers' own texts.
const Wording kWordings[] = {
    {"QuickNode", "-32614: eth_getLogs is limited to a 10000 block range", Kind::kRangeCap, 10000, {}},
    {"QuickNode (commas)", "-32614: eth_getLogs and eth_newFilter are limited to a 10,000 blocks range", Kind::kRangeCap,
     10000, {}},
    {"Infura results", "-32005: query returned more than 10000 results. Try with this block range [0x1E8480, 0x1E9E9D]. "
                       "{\"from\":\"0x1E8480\",\"limit\":10000,\"to\":\"0x1E9E9D\"}",
     Kind::kResultCap, {}, std::pair<std::uint64_t, std::uint64_t>{0x1E8480, 0x1E9E9D}},
    {"Alchemy results", "-32602: Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range "
                        "and no limit on the response size, or you can request any block range with a cap of 10K logs in "
                        "the response. Based on your parameters, this block range should work: [0x0, 0x2a3e9f]",
     Kind::kResultCap, {}, std::pair<std::uint64_t, std::uint64_t>{0, 0x2a3e9f}},
    {"Alchemy free tier", "-32600: Under the Free tier plan, you can make eth_getLogs requests with up to a 10 block range. "
                          "Based on your parameters, this block range should work: [0x1, 0xa]",
     Kind::kRangeCap, 10, std::pair<std::uint64_t, std::uint64_t>{1, 10}},
    {"reth range", "-32602: query exceeds max block range 100000", Kind::kRangeCap, 100000, {}},
    {"reth results", "-32602: query exceeds max results 20000, retry with the range 18000000-18000500", Kind::kResultCap, {},
     std::pair<std::uint64_t, std::uint64_t>{18000000, 18000500}},
    {"geth/Arbitrum results", "-32000: query returned more than 10000 results", Kind::kResultCap, {}, {}},
    {"publicnode", "-32701: exceed maximum block range: 50000", Kind::kRangeCap, 50000, {}},
    {"Coinbase/Base", "-32000: block range greater than 10000 max", Kind::kRangeCap, 10000, {}},
    {"BlockPI", "-32000: eth_getLogs block range too large, range: 5000, max: 1024", Kind::kRangeCap, 1024, {}},
    {"Cloudflare", "-32047: Exceeded max range limit for eth_getLogs: 800", Kind::kRangeCap, 800, {}},
    {"unnamed", "-32000: block range too large", Kind::kRangeCap, {}, {}},
    {"rate limit", "-32005: rate limit exceeded, 10000 per second", Kind::kNone, {}, {}},
    {"missing block", "-32000: header not found", Kind::kNone, {}, {}},
    {"execution", "-32000: execution reverted", Kind::kNone, {}, {}},
};

TEST(ClassifyLogsError, ReadsEachProvidersWording) {
  for (const auto& w : kWordings) {
    LogLimit got = classify_logs_error(w.text);
    EXPECT_EQ(got.kind, w.kind) << w.provider;
    EXPECT_EQ(got.max_blocks, w.max_blocks) << w.provider;
    EXPECT_EQ(got.suggested, w.suggested) << w.provider;
  }
}

TEST(LogRangeTuner, TrustsANamedCapAndStopsProbing) {
  LogRangeTuner tuner(10000);
  auto first = tuner.plan();
  EXPECT_TRUE(first.probe);
  EXPECT_EQ(first.span, 10000u);
  EXPECT_FALSE(tuner.plan().probe);  // one probe at a time
  tuner.on_success(10000, true);
  auto grow = tuner.plan();
  EXPECT_TRUE(grow.probe);
  EXPECT_EQ(grow.span, 80000u);  // eightfold while nothing was refused
  tuner.on_refused(80000, classify_logs_error("-32614: eth_getLogs is limited to a 10000 block range"), true);
  const auto t0 = LogRangeTuner::Clock::now();
  for (int i = 0; i < 1000; ++i) {
    auto p = tuner.plan(t0 + std::chrono::minutes(9));
    ASSERT_FALSE(p.probe);
    ASSERT_EQ(p.span, 10000u);
    tuner.on_success(p.span, false);
  }
  auto later = tuner.plan(t0 + std::chrono::minutes(11));  // re-probe after ten minutes
  EXPECT_TRUE(later.probe);
  EXPECT_GT(later.span, 10000u);
}

TEST(LogRangeTuner, NamedCapEqualToTheRefusedSpanMeansOneLess) {
  LogRangeTuner tuner(10000);
  auto p = tuner.plan();
  tuner.on_refused(p.span, classify_logs_error("-32614: eth_getLogs is limited to a 10000 block range"), true);
  EXPECT_EQ(tuner.plan().span, 9999u);
}

TEST(LogRangeTuner, BisectsAnUnnamedCapWithFewRefusals) {
  const std::uint64_t cap = 10000;  // the provider's secret
  LogRangeTuner tuner;              // whole range first
  int refusals = 0, calls = 0;
  const LogLimit unnamed = classify_logs_error("-32000: block range too large");
  const std::uint64_t chain = 39'000'000;  // a scan never asks for more than its range
  for (int i = 0; i < 2000; ++i) {
    auto p = tuner.plan();
    const std::uint64_t used = std::min(p.span, chain);
    ++calls;
    if (used > cap) {
      ++refusals;
      tuner.on_refused(used, unnamed, p.probe);
    } else {
      tuner.on_success(used, p.probe);
    }
  }
  EXPECT_LE(refusals, 40);  // 2% of 2000
  EXPECT_LE(tuner.known_good(), cap);
  EXPECT_GE(tuner.known_good(), cap - cap / 16);
}

TEST(LogRangeTuner, MaxSpanIsNeverExceeded) {
  LogRangeTuner tuner(0, 500);
  for (int i = 0; i < 10; ++i) {
    auto p = tuner.plan();
    EXPECT_LE(p.span, 500u);
    tuner.on_success(p.span, p.probe);
  }
}

}  // namespace
}  // namespace creditscope::chain
