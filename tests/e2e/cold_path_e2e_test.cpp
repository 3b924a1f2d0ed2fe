// The first answer on a long chain through providers that cap and rate-limit: exact answers, several
// requests in flight, few refusals, budgets kept, URLs sharing the work, new accounts sharing sweeps,
// and progress a person can watch. The chain is anvil behind ProviderProxy, which makes it look
// millions of blocks long; the truth is the same account read directly from anvil.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.hpp"
#include "store/store.hpp"
#include "provider_proxy.hpp"

namespace creditscope::e2e {
namespace {
using devnet::dev_account;
using devnet::mint_call;
using devnet::transfer_call;
namespace json = boost::json;

class ColdPathE2E : public ::testing::Test {
 protected:
  Harness h;
  Address owner = dev_account(3);
  Address account;
  std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);
  json::value truth;  // the direct answer, in anvil's block numbers
  std::uint64_t truth_block = 0;

  void SetUp() override {
    chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
    account = must(deriver.derive(owner), "derive");
    // 30 transfers of three tokens, spread over the chain, in and out.
    std::vector<Address> tokens;
    for (int i = 0; i < 3; ++i)
      tokens.push_back(must(devnet::deploy_token(h.chain(), h.artifacts(), "C" + std::to_string(i), 6 + 6 * i), "token"));
    for (int i = 0; i < 30; ++i) {
      must(h.chain().send(dev_account(0), tokens[i % 3], mint_call(account, 1000 + i)), "mint");
      must(h.chain().mine(3), "spread");
    }
    Server direct(h.config());
    auto res = direct.get(target);
    ASSERT_EQ(res.status, 200u) << res.body;
    truth = json::parse(res.body);
    truth_block = std::stoull(*res.header("x-block-number"));
  }

  // A config that reads the chain through the given URLs, as config/mainnet.toml reads Base.
  app::AppConfig through(const std::vector<std::string>& urls, bool indexed, const TempDir& dir) {
    auto cfg = indexed ? h.indexed_config(dir.file("index.db")) : h.config(true, urls);
    cfg.chains[0].settings.rpc_urls = urls;
    cfg.chains[0].settings.logs_initial_span = 10000;
    return cfg;
  }

  // The answer is the direct one with every block number moved by the proxy's offset.
  void expect_exact(const chain::HttpResponse& res, std::uint64_t offset, const std::string& what) {
    ASSERT_EQ(res.status, 200u) << what << ": " << res.body;
    json::value got = json::parse(res.body);
    json::value want = truth;
    for (auto& [symbol, balance] : want.at("balances").as_object())
      for (auto& t : balance.at("transfers").as_array())
        t.as_object()["block_number"] = t.at("block_number").to_number<std::uint64_t>() + offset;
    EXPECT_TRUE(got == want) << what << "\n got: " << json::serialize(got) << "\nwant: " << json::serialize(want);
    EXPECT_GE(std::stoull(*res.header("x-block-number")), truth_block + offset) << what;
  }
};

TEST_F(ColdPathE2E, RangeCappedProviderAnswersExactlyWithSeveralRequestsInFlight) {
  const std::uint64_t offset = 3'000'000;  // 300 ranges of 10,000 blocks
  for (bool indexed : {false, true}) {
    ProviderProxy proxy(h.rpc_url(), {.block_offset = offset, .max_range = 10000, .latency = std::chrono::milliseconds(10)});
    TempDir dir;
    Server server(through({proxy.url()}, indexed, dir));
    const std::string what = indexed ? "indexed" : "stateless";
    expect_exact(server.get(target), offset, what);
    auto s = proxy.stats();
    EXPECT_GT(s.peak_in_flight, 1) << what << ": ranges went one request at a time";
    EXPECT_GE(s.get_logs, 600) << what;  // both directions of every range
    EXPECT_LE(s.refused * 50, s.get_logs) << what << ": more than 2% of eth_getLogs refused";
    // The node-has-the-block check is one eth_getBlockByNumber per request, not one per range.
    EXPECT_LE(s.block_by_number * 20, s.get_logs) << what;
  }
}

TEST_F(ColdPathE2E, ResultsCappedProviderCostsTheIndexNoMoreCallsThanAStatelessRead) {
  const std::uint64_t offset = 39'000'000;
  for (auto words : {ProviderShape::Words::kInfura, ProviderShape::Words::kAlchemy}) {
    long calls[2] = {0, 0};
    for (bool indexed : {false, true}) {
      ProviderProxy proxy(h.rpc_url(), {.block_offset = offset, .max_results = 8, .result_words = words});
      TempDir dir;
      Server server(through({proxy.url()}, indexed, dir));
      expect_exact(server.get(target), offset, indexed ? "indexed" : "stateless");
      calls[indexed] = proxy.stats().get_logs;
      EXPECT_GT(proxy.stats().refused, 0) << "the result cap was never hit";
    }
    EXPECT_LE(calls[1], calls[0]) << "indexed cold eth_getLogs vs stateless";
    EXPECT_LE(calls[0], 60) << "39M blocks should take a handful of growing probes";
  }
}

TEST_F(ColdPathE2E, AKnownRateBudgetIsKeptAndAnUnknownOneIsFound) {
  const std::uint64_t offset = 500'000;  // 100 eth_getLogs calls
  {
    ProviderProxy proxy(h.rpc_url(), {.block_offset = offset, .max_range = 10000, .max_rps = 60});
    TempDir dir;
    auto cfg = through({proxy.url()}, false, dir);
    cfg.chains[0].settings.max_rps = 60;
    Server server(cfg);
    expect_exact(server.get(target), offset, "known budget");
    EXPECT_EQ(proxy.stats().throttled, 0) << "a known budget was exceeded";
  }
  {
    ProviderProxy proxy(h.rpc_url(), {.block_offset = offset, .max_range = 10000, .max_rps = 60});
    TempDir dir;
    Server server(through({proxy.url()}, true, dir));  // max_rps unknown: found from 429s
    expect_exact(server.get(target), offset, "unknown budget");
    EXPECT_GT(proxy.stats().throttled, 0) << "the provider's limit was never reached";
  }
}

TEST_F(ColdPathE2E, TwoUrlsWithEqualBudgetsShareABackfill) {
  const std::uint64_t offset = 4'000'000;
  ProviderProxy a(h.rpc_url(), {.block_offset = offset, .max_range = 10000, .latency = std::chrono::milliseconds(10)});
  ProviderProxy b(h.rpc_url(), {.block_offset = offset, .max_range = 10000, .latency = std::chrono::milliseconds(10)});
  TempDir dir;
  Server server(through({a.url(), b.url()}, true, dir));
  expect_exact(server.get(target), offset, "two URLs");
  const double share = static_cast<double>(a.stats().get_logs) / static_cast<double>(a.stats().get_logs + b.stats().get_logs);
  EXPECT_GT(share, 0.3) << a.stats().get_logs << " vs " << b.stats().get_logs;
  EXPECT_LT(share, 0.7) << a.stats().get_logs << " vs " << b.stats().get_logs;
}

TEST_F(ColdPathE2E, HundredNewAccountsAskedTogetherShareSweeps) {
  const std::uint64_t offset = 2'000'000;
  auto indexed = [&](ProviderProxy& proxy, const TempDir& dir) {
    auto cfg = through({proxy.url()}, true, dir);
    cfg.chains[0].indexer.poll_interval = std::chrono::milliseconds(60000);  // only backfills call eth_getLogs
    cfg.server.worker_threads = 128;  // so 100 requests reach the index at once
    return cfg;
  };
  long one = 0;
  // With a provider's latency, arrivals spread out the way they do in production.
  const ProviderShape shape{.block_offset = offset, .max_range = 10000, .latency = std::chrono::milliseconds(40)};
  {
    ProviderProxy proxy(h.rpc_url(), shape);
    TempDir dir;
    Server server(indexed(proxy, dir));
    expect_exact(server.get(target), offset, "one account");
    one = proxy.stats().get_logs;
  }
  ProviderProxy proxy(h.rpc_url(), shape);
  TempDir dir;
  Server server(indexed(proxy, dir));
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (unsigned i = 0; i < 100; ++i)
    clients.emplace_back([&, i] {
      Address other = owner;  // then 99 distinct owners nobody asked for before
      if (i) other.bytes = {0x42, static_cast<std::uint8_t>(i)};
      if (server.get("/v2/credit/balances?chain=base&owner=" + to_checksum(other)).status == 200) ++ok;
    });
  for (auto& c : clients) c.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_LE(proxy.stats().get_logs, 2 * one) << "one account alone: " << one;
  expect_exact(server.get(target), offset, "after the burst");
}

TEST_F(ColdPathE2E, StatusAndThe503ShowABackfillGrowingToReady) {
  const std::uint64_t offset = 400'000;  // 40 ranges, one per request, one request at a time
  ProviderProxy proxy(h.rpc_url(), {.block_offset = offset, .max_range = 10000, .logs_latency = std::chrono::milliseconds(100)});
  TempDir dir;
  auto cfg = through({proxy.url()}, true, dir);
  cfg.chains[0].settings.rpc_max_batch = 3;
  cfg.chains[0].settings.max_in_flight = 1;
  cfg.request_deadline = std::chrono::milliseconds(400);
  Server server(cfg);
  const std::string status = "/v2/credit/status?chain=base&owner=" + to_checksum(owner);
  auto unknown = server.get(status);
  ASSERT_EQ(unknown.status, 200u) << unknown.body;
  EXPECT_EQ(json::parse(unknown.body).at("state").as_string(), "unknown");
  EXPECT_EQ(schema_errors(unknown.body, "CreditStatusResponse", "src/api/openapi.json"), "");

  auto cold = server.get(target);
  ASSERT_EQ(cold.status, 503u) << cold.body;
  auto body = json::parse(cold.body);
  EXPECT_EQ(body.at("state").as_string(), "backfilling");
  EXPECT_EQ(body.at("credit_account_address").as_string(), to_checksum(account));
  EXPECT_NE(body.at("detail").as_string().find("Indexing"), std::string::npos);
  auto retry = std::stoi(cold.header("retry-after").value_or("0"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 30);
  EXPECT_EQ(schema_errors(cold.body, "UnavailableError", "src/api/openapi.json"), "");

  double last = -1;
  bool between = false;
  std::string state;
  ASSERT_TRUE(eventually(
      [&] {
        auto s = server.get(status);
        auto v = json::parse(s.body);
        EXPECT_EQ(schema_errors(s.body, "CreditStatusResponse", "src/api/openapi.json"), "") << s.body;
        const double progress = v.at("progress").to_number<double>();
        EXPECT_GE(progress, last) << "progress went back";
        last = progress;
        between |= progress > 0 && progress < 1;
        state = std::string(v.at("state").as_string());
        if (state == "backfilling") {
          EXPECT_EQ(v.at("to_block").to_number<std::uint64_t>() >= v.at("scanned_through").to_number<std::uint64_t>(), true);
        }
        return state == "ready";
      },
      std::chrono::seconds(60)));
  EXPECT_TRUE(between) << "never saw the backfill part-way";
  EXPECT_EQ(last, 1.0);
  expect_exact(server.get(target), offset, "after the backfill");
}

TEST(StartBlockFactoryE2E, FindsTheFactorysDeploymentBlockExactly) {
  Harness h;
  must(h.chain().mine(37), "empty blocks");
  const std::uint64_t before = must(h.chain().block_number(), "head");
  // A second Safe deployment: SafeL2, then SafeProxyFactory, then the handler, one block each.
  auto params = must(devnet::deploy_safe_infra(h.chain(), h.artifacts()), "deploy Safe again");
  const std::uint64_t expected = before + 2;
  auto code_at = [&](std::uint64_t b) {
    return std::string(must(h.chain().rpc().call("eth_getCode", json::array{json::string(hex::encode(view(params.proxy_factory))),
                                                                              json::string(hex::encode_quantity(b))}),
                            "eth_getCode")
                           .as_string());
  };
  ASSERT_EQ(code_at(expected - 1), "0x");
  ASSERT_NE(code_at(expected), "0x");
  const Address owner = dev_account(5);
  chain::CreditAccountDeriver deriver(params, h.chain().rpc());
  const Address account = must(deriver.derive(owner), "derive");
  Address token = must(devnet::deploy_token(h.chain(), h.artifacts(), "F", 6), "token");
  must(h.chain().send(dev_account(0), token, mint_call(account, 77)), "mint");
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);
  for (bool indexed : {false, true}) {
    TempDir dir;
    auto cfg = indexed ? h.indexed_config(dir.file("index.db")) : h.config();
    cfg.chains[0].settings.credit_account = params;
    cfg.chains[0].settings.start_block_factory = true;
    {
      Server server(cfg);
      auto res = server.get(target);
      ASSERT_EQ(res.status, 200u) << res.body;
      auto body = json::parse(res.body);
      EXPECT_EQ(body.at("balances").at("F").at("balance").as_string(), "77");
      if (indexed) {
        auto status = json::parse(server.get("/v2/credit/status?chain=base&owner=" + to_checksum(owner)).body);
        EXPECT_EQ(status.at("from_block").to_number<std::uint64_t>(), expected);
      }
    }
    if (indexed) {  // kept in the store, so a restart does not search again
      auto store = must(store::open_sqlite(cfg.store.path), "open store");
      auto kept = must(store->chain_value("base", "factory_block:" + to_checksum(params.proxy_factory)), "value");
      EXPECT_EQ(kept, expected);
    }
  }
}

}  // namespace
}  // namespace creditscope::e2e
