// The same scenario with and without a misbehaving RPC node in between: the answer must be
// byte-identical, or a 503 with Retry-After where no correct answer is possible. Never a 200
// with partial data.

#include <gtest/gtest.h>

#include "core/metrics.hpp"
#include "fault_proxy.hpp"
#include "harness.hpp"

namespace creditscope::e2e {
namespace {
using devnet::dev_account;
using devnet::mint_call;
using devnet::transfer_call;
using Fault = FaultProxy::Fault;

class FaultsE2E : public ::testing::Test {
 protected:
  Harness h;
  Address owner = dev_account(3);
  std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);

  void SetUp() override {
    chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
    Address account = must(deriver.derive(owner), "derive");
    // Transfers spread over ~60 blocks, so range limits force many eth_getLogs calls.
    for (int i = 0; i < 6; ++i) {
      Address t = must(devnet::deploy_token(h.chain(), h.artifacts(), "T" + std::to_string(i), 6 + i), "token");
      must(h.chain().send(dev_account(0), t, mint_call(account, 1000 + i)), "mint");
      must(h.chain().mine(8), "spread");
      must(h.chain().send(dev_account(0), t, mint_call(dev_account(1), 5)), "noise");
    }
  }

  app::AppConfig through(const FaultProxy& proxy) {
    auto cfg = h.config(true, {proxy.url()});
    cfg.chains[0].settings.rpc_timeout = std::chrono::milliseconds(1000);
    return cfg;
  }
};

TEST_F(FaultsE2E, TransientFaultsGiveByteIdenticalAnswers) {
  Server direct(h.config());
  auto truth = direct.get(target);
  ASSERT_EQ(truth.status, 200u);
  FaultProxy proxy(h.rpc_url());
  const std::pair<Fault, const char*> faults[] = {
      {Fault::k429, "429"},       {Fault::k500, "500"},   {Fault::k503, "503"},
      {Fault::kReset, "reset"},   {Fault::kTruncate, "truncated body"}, {Fault::kStall, "stall"},
      {Fault::kTooManyResults, "more than 10000 results"}, {Fault::kRangeTooLarge, "block range too large"},
      {Fault::kBehind, "a backend behind the head (empty logs for recent blocks)"},
  };
  for (auto [fault, name] : faults) {
    Server server(through(proxy));
    // Range refusals hit every large eth_getLogs; the others every second request.
    const bool range = fault == Fault::kTooManyResults || fault == Fault::kRangeTooLarge;
    proxy.set(fault, range ? 1 : 2);
    const int before = proxy.faults_injected();
    auto res = server.get(target);
    EXPECT_GT(proxy.faults_injected(), before) << name << ": no fault was injected";
    EXPECT_EQ(res.status, 200u) << name << ": " << res.body;
    EXPECT_EQ(res.body, truth.body) << name;
    EXPECT_EQ(res.header("x-block-number"), truth.header("x-block-number")) << name;
    proxy.set(Fault::kNone);
  }
}

TEST_F(FaultsE2E, PersistentFaultsGive503WithRetryAfter) {
  FaultProxy proxy(h.rpc_url());
  for (Fault fault : {Fault::k500, Fault::kReset, Fault::k429}) {
    Server server(through(proxy));
    proxy.set(fault, 1);
    auto res = server.get(target);
    EXPECT_EQ(res.status, 503u) << res.body;
    EXPECT_TRUE(res.header("retry-after"));
    EXPECT_EQ(res.body.find("balances"), std::string::npos) << "partial data in an error";
  }
}

TEST_F(FaultsE2E, IndexedAnswersConvergeThroughFaults) {
  Server direct(h.config());
  auto truth = direct.get(target);
  FaultProxy proxy(h.rpc_url());
  TempDir dir;
  auto cfg = through(proxy);
  auto indexed_cfg = h.indexed_config(dir.file("index.db"), 50);
  indexed_cfg.chains[0].settings = cfg.chains[0].settings;
  proxy.set(Fault::k503, 3);
  Server server(indexed_cfg);
  chain::HttpResponse res;
  eventually([&] {
    res = server.get(target);
    return res.status == 200 && res.header("x-block-number") == truth.header("x-block-number");
  });
  EXPECT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.body, truth.body);
  EXPECT_GT(proxy.faults_injected(), 0);
}

TEST_F(FaultsE2E, StallingNodeCannotHoldARequestPastItsDeadline) {
  FaultProxy proxy(h.rpc_url());
  proxy.set(Fault::kStall, 1);  // every request stalls 2.5 s, longer than the 1 s RPC timeout
  auto cfg = through(proxy);
  cfg.request_deadline = std::chrono::milliseconds(2000);
  Server server(cfg);
  const auto start = std::chrono::steady_clock::now();
  auto res = server.get(target);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(res.status, 503u) << res.body;
  EXPECT_TRUE(res.header("retry-after"));
  // Without the deadline: 4 attempts x 1 s timeout per call, several calls: well over 4 s.
  EXPECT_LT(took, std::chrono::milliseconds(4000));
}

TEST_F(FaultsE2E, IndexedServerWithUnreachableNodeAnswers503Promptly) {
  TempDir dir;
  auto cfg = h.indexed_config(dir.file("index.db"));
  cfg.chains[0].settings.rpc_urls = {"http://127.0.0.1:" + std::to_string(devnet::free_port())};
  cfg.chains[0].settings.rpc_timeout = std::chrono::milliseconds(300);
  Server server(cfg);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the follower's first load attempt fails
  const auto start = std::chrono::steady_clock::now();
  auto res = server.get(target);
  EXPECT_EQ(res.status, 503u) << res.body;
  EXPECT_TRUE(res.header("retry-after"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(5000)) << "waited for the 25 s deadline";
}

TEST_F(FaultsE2E, DeadUrlFailsOverAndItsBreakerOpens) {
  Server direct(h.config());
  auto truth = direct.get(target);
  const std::string dead = "http://127.0.0.1:" + std::to_string(devnet::free_port());
  auto cfg = h.config(true, {dead, h.rpc_url()});
  const auto trips = Metrics::global().counter_sum("creditscope_rpc_breaker_trips_total");
  Server server(cfg);
  for (int i = 0; i < 3; ++i) {
    auto res = server.get(target);
    EXPECT_EQ(res.status, 200u) << res.body;
    EXPECT_EQ(res.body, truth.body);
  }
  EXPECT_GT(Metrics::global().counter_sum("creditscope_rpc_breaker_trips_total"), trips);
  // With the breaker open the dead URL is skipped: no more transport errors while it stays open.
  const auto errors = Metrics::global().counter_sum("creditscope_rpc_calls_total", {{"outcome", "transport_error"}});
  EXPECT_EQ(server.get(target).body, truth.body);
  EXPECT_EQ(Metrics::global().counter_sum("creditscope_rpc_calls_total", {{"outcome", "transport_error"}}), errors);
}

TEST_F(FaultsE2E, UrlsOnAnotherChainOrFarBehindAreNotUsed) {
  Server direct(h.config());
  auto truth = direct.get(target);
  auto other_chain = must(devnet::Anvil::start({"", 0, 999, {}}), "second anvil");
  FaultProxy lagging(h.rpc_url());
  lagging.set(Fault::kLagHead, 1);  // reports a head 5 blocks behind
  auto cfg = h.config(true, {other_chain.url(), lagging.url(), h.rpc_url()});
  cfg.chains[0].settings.max_lag_blocks = 3;
  const auto wrong = Metrics::global().counter_sum("creditscope_rpc_wrong_chain_total");
  const auto lags = Metrics::global().counter_sum("creditscope_rpc_lagging_total");
  {
    Server server(cfg);
    auto res = server.get(target);
    EXPECT_EQ(res.status, 200u) << res.body;
    EXPECT_EQ(res.body, truth.body);
    EXPECT_EQ(res.header("x-block-number"), truth.header("x-block-number")) << "a lagging URL fixed the snapshot";
  }
  EXPECT_GT(Metrics::global().counter_sum("creditscope_rpc_wrong_chain_total"), wrong);
  EXPECT_GT(Metrics::global().counter_sum("creditscope_rpc_lagging_total"), lags);
  // Only URLs of another chain: no answer rather than another chain's data.
  Server lost(h.config(true, {other_chain.url()}));
  auto res = lost.get(target);
  EXPECT_EQ(res.status, 503u) << res.body;
}

}  // namespace
}  // namespace creditscope::e2e
