// USD values on a real anvil: Chainlink-style feeds compiled here, a fixed peg, TIP-20
// currency(), and a local server speaking the DefiLlama coins format, including its failures.
// Expected values are worked out by hand from the balances and prices the test sets.

#include <gtest/gtest.h>

#include <atomic>

#include "chain/abi.hpp"
#include "core/hex.hpp"
#include "harness.hpp"

namespace creditscope::e2e {
namespace {
using devnet::dev_account;
using devnet::mint_call;
namespace abi = chain::abi;
namespace json = boost::json;

/// A price API on loopback in the DefiLlama /prices/current shape; can fail on demand.
class FakePriceApi {
 public:
  enum class Mode { kOk, kError500, kStall };
  std::atomic<Mode> mode{Mode::kOk};
  std::string coin_key;  // "base:0x..." answered with price_literal
  std::string price_literal;

  FakePriceApi()
      : router_({{"/prices/current/*",
                  [this](const api::ApiRequest& r) {
                    if (mode == Mode::kError500) return api::detail_response(500, "Internal Server Error");
                    if (mode == Mode::kStall) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
                    std::string body = R"({"coins":{)";
                    if (r.path.find(coin_key) != std::string::npos)
                      body += "\"" + coin_key + R"(":{"decimals":18,"symbol":"LLAMA","price":)" + price_literal +
                              R"(,"timestamp":1774451085,"confidence":0.99})";
                    return api::ApiResponse{200, body + "}}", "application/json", {}};
                  },
                  true, false}},
                api::ApiKeys{}),
        server_({"127.0.0.1:0", 1, 4}, router_) {
    server_.start();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }

 private:
  api::Router router_;
  api::HttpServer server_;
};

class PricingE2E : public ::testing::Test {
 protected:
  Harness h;
  TempDir dir;
  FakePriceApi llama;
  Address funder = dev_account(0);
  Address owner = dev_account(3);
  Address account;

  Address feed(unsigned decimals, std::int64_t answer) {
    return must(devnet::deploy_price_feed(h.chain(), h.artifacts(), decimals, answer), "deploy feed");
  }
  Address token(const std::string& symbol, unsigned decimals, const U256& balance) {
    Address t = must(devnet::deploy_token(h.chain(), h.artifacts(), symbol, decimals), "deploy token");
    must(h.chain().send(funder, t, mint_call(account, balance)), "mint");
    return t;
  }
  std::string body(const chain::HttpResponse& r) { return r.body; }
};

TEST_F(PricingE2E, ValuesFromEverySourceAndTheirFailures) {
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  account = must(deriver.derive(owner), "derive");
  Address usdc = token("USDC", 6, 70710737);
  Address weth = token("WETH", 18, U256("876484654169830"));
  Address dai = token("DAI", 18, U256("25000000000000000000"));
  Address llama_token = token("LLAMA", 18, U256("3000000000000000000"));
  Address spam = token("USDC", 6, U256("5000000000000"));  // same symbol, not listed: no price
  Address stale = token("STALE", 18, U256("1000000000000000000"));
  Address negative = token("NEG", 18, U256("1000000000000000000"));
  Bytes cur = h.artifacts().bytecode("CurrencyToken");
  abi::put(cur, abi::uint_word(64));
  abi::put(cur, abi::uint_word(128));
  abi::put_bytes(cur, view(std::string_view("pathUSD")));
  abi::put_bytes(cur, view(std::string_view("USD")));
  Address tip20 = must(h.chain().deploy(cur), "deploy TIP-20");
  must(h.chain().send(funder, tip20, mint_call(account, 12345678)), "mint TIP-20");

  Address usdc_feed = feed(8, 100080000);         // $1.0008
  Address weth_feed = feed(8, 205337000000);      // $2053.37
  Address stale_feed = feed(8, 100000000);
  Address negative_feed = feed(8, -5);
  const std::uint64_t now = must(h.chain().block_timestamp(must(h.chain().block_number(), "head")), "now");
  must(h.chain().send(funder, stale_feed, devnet::encode_call("setRound(int256,uint256)", {abi::uint_word(100000000), abi::uint_word(now - 7200)})),
       "stale round");
  llama.coin_key = "base:" + hex::encode(view(llama_token));
  llama.price_literal = "0.333333333333333333";

  auto cfg = h.indexed_config(dir.file("index.db"));
  cfg.pricing.ttl = std::chrono::milliseconds(300);
  cfg.pricing.http_base_url = llama.url();
  cfg.pricing.http_timeout = std::chrono::milliseconds(500);
  auto& p = cfg.chains[0].prices;
  p.multicall3 = cfg.chains[0].settings.multicall3;
  p.http_chain = "base";
  p.tokens[usdc].chainlink_feed = usdc_feed;
  p.tokens[usdc].heartbeat_s = 86400;
  p.tokens[weth].chainlink_feed = weth_feed;
  p.tokens[dai].usd_peg = pricing::parse_decimal("1");
  p.tokens[llama_token].http = true;
  p.tokens[stale].chainlink_feed = stale_feed;
  p.tokens[stale].heartbeat_s = 3600;  // its round is two hours old
  p.tokens[negative].chainlink_feed = negative_feed;
  p.tokens[tip20].tip20_currency = true;
  Server server(cfg);
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);

  auto res = server.get(target);
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(schema_errors(res.body), "");
  auto doc = json::parse(res.body).as_object();
  auto usd = [&](const std::string& key) { return json::serialize(doc.at("balances").at(key).at("usd_value")); };
  EXPECT_EQ(usd("USDC (" + to_checksum(usdc) + ")"), "\"70.77\"");   // 70.710737 x 1.0008 = 70.7673...
  EXPECT_EQ(usd("USDC (" + to_checksum(spam) + ")"), "null");        // a "USDC" nobody listed
  EXPECT_EQ(usd("WETH"), "\"1.80\"");                               // 0.000876484654169830 x 2053.37 = 1.7997...
  EXPECT_EQ(usd("DAI"), "\"25.00\"");                               // pegged at 1
  EXPECT_EQ(usd("LLAMA"), "\"1.00\"");                              // 3 x 0.333333333333333333 = 0.999...999
  EXPECT_EQ(usd("STALE"), "null");
  EXPECT_EQ(usd("NEG"), "null");
  EXPECT_EQ(usd("pathUSD"), "\"12.35\"");                           // 12.345678 x 1, half up
  EXPECT_EQ(json::serialize(doc.at("total_usd_value")), "\"110.92\"");  // 70.77+1.80+25.00+1.00+12.35

  // A new answer shows once the cache's TTL has passed, with no new transfer.
  must(h.chain().send(funder, usdc_feed, devnet::encode_call("updateAnswer(int256)", {abi::uint_word(99000000)})), "update");
  EXPECT_TRUE(eventually([&] { return server.get(target).body.find(R"("usd_value":"70.00")") != std::string::npos; }))
      << "70.710737 x 0.99 = 70.0036... never showed";
  EXPECT_NE(server.get(target).body.find(R"("total_usd_value":"110.15")"), std::string::npos);

  // The price API failing: its token degrades to null, the request still answers 200.
  llama.mode = FakePriceApi::Mode::kError500;
  EXPECT_TRUE(eventually([&] { return server.get(target).body.find(R"("total_usd_value":"109.15")") != std::string::npos; }));
  llama.mode = FakePriceApi::Mode::kOk;
  EXPECT_TRUE(eventually([&] { return server.get(target).body.find(R"("total_usd_value":"110.15")") != std::string::npos; }));
  llama.mode = FakePriceApi::Mode::kStall;  // slower than http_timeout
  EXPECT_TRUE(eventually([&] { return server.get(target).body.find(R"("total_usd_value":"109.15")") != std::string::npos; }));
  auto last = server.get(target);
  EXPECT_EQ(last.status, 200u);
  EXPECT_EQ(schema_errors(last.body), "");
}

// Base and Arbitrum: Chainlink prices count only while the L2 sequencer is up, and has been for
// the grace period (Chainlink's uptime feed: answer 0 = up, startedAt = since when).
TEST_F(PricingE2E, SequencerDownOrJustBackMeansNoChainlinkPrice) {
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  account = must(deriver.derive(owner), "derive");
  Address usdc = token("USDC", 6, 70710737);
  Address dai = token("DAI", 18, U256("25000000000000000000"));
  Address usdc_feed = feed(8, 100080000);
  Address sequencer = feed(0, 1);  // down
  auto cfg = h.config();
  auto& p = cfg.chains[0].prices;
  p.multicall3 = cfg.chains[0].settings.multicall3;
  p.sequencer_uptime_feed = sequencer;
  p.sequencer_grace_s = 3600;
  p.tokens[usdc].chainlink_feed = usdc_feed;
  p.tokens[dai].usd_peg = pricing::parse_decimal("1");  // not a Chainlink price: unaffected
  cfg.pricing.ttl = std::chrono::milliseconds(200);
  Server server(cfg);
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);
  auto down = server.get(target).body;
  EXPECT_NE(down.find(R"("balance_formatted":"70.710737","usd_value":null)"), std::string::npos) << down;
  EXPECT_NE(down.find(R"("total_usd_value":"25.00")"), std::string::npos) << down;

  const std::uint64_t now = must(h.chain().block_timestamp(must(h.chain().block_number(), "head")), "now");
  must(h.chain().send(funder, sequencer, devnet::encode_call("setRound(int256,uint256)", {abi::uint_word(0), abi::uint_word(now - 60)})),
       "up for a minute");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_NE(server.get(target).body.find(R"("total_usd_value":"25.00")"), std::string::npos) << "inside the grace period";

  must(h.chain().send(funder, sequencer, devnet::encode_call("setRound(int256,uint256)", {abi::uint_word(0), abi::uint_word(now - 7200)})),
       "up for two hours");
  EXPECT_TRUE(eventually([&] { return server.get(target).body.find(R"("total_usd_value":"95.77")") != std::string::npos; }))
      << server.get(target).body;  // 70.77 + 25.00
}

}  // namespace
}  // namespace creditscope::e2e
