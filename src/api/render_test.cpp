#include "api/render.hpp"

#include <gtest/gtest.h>

#include "core/hex.hpp"

namespace creditscope::api {
namespace {

Address addr(const char* h) { return *hex::decode_address(h); }

TEST(RenderBalances, DisambiguatesSharedSymbolsAndFormats) {
  AccountSnapshot s;
  s.credit_account = addr("0x4d4eb02b8d86379c36e887f391a039a17d72d9e0");
  TokenHolding a;
  a.token = addr("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913");
  a.metadata = {"USDC", 6};
  a.balance = 70710737;
  TokenTransfer t;
  t.token = a.token;
  t.from = addr("0x111111125421ca6dc452d289314280a0f8842a65");
  t.to = s.credit_account;
  t.raw_amount = 70710737;
  t.block_num = 43830869;
  t.block_timestamp = 1774451085;
  t.txn_hash = *hex::decode_hash("0x949969bf49c100beca5d05bebbc99a57608a6d1f7472c621f3b00a5987bb417a");
  a.transfers.push_back(t);
  TokenHolding b;
  b.token = addr("0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359");
  b.metadata = {"USDC", 0};
  b.balance = 0;
  s.holdings = {a, b};

  std::string json = render_balances(s, {});
  // Expected text written out by hand from the spec's example.
  const std::string expected =
      R"j({"credit_account_address":"0x4d4eb02B8d86379C36E887f391a039a17D72d9E0","balances":{)j"
      R"j("USDC (0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913)":{"token_address":"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",)j"
      R"j("token_symbol":"USDC","token_decimals":6,"balance":"70710737","balance_formatted":"70.710737","usd_value":null,)j"
      R"j("transfers":[{"from_address":"0x111111125421cA6dc452d289314280a0f8842A65","to_address":"0x4d4eb02B8d86379C36E887f391a039a17D72d9E0",)j"
      R"j("amount":"70710737","amount_formatted":"70.710737","block_number":43830869,"block_timestamp":"2026-03-25T15:04:45Z",)j"
      R"j("transaction_hash":"0x949969bf49c100beca5d05bebbc99a57608a6d1f7472c621f3b00a5987bb417a","direction":"in"}]},)j"
      R"j("USDC (0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359)":{"token_address":"0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",)j"
      R"j("token_symbol":"USDC","token_decimals":0,"balance":"0","balance_formatted":"0","usd_value":null,"transfers":[]}},)j"
      R"j("total_usd_value":null})j";  // holds USDC, which has no price here
  EXPECT_EQ(json, expected);
}

TEST(RenderBalances, SelfTransferIsIn) {
  AccountSnapshot s;
  s.credit_account = addr("0x4d4eb02b8d86379c36e887f391a039a17d72d9e0");
  TokenHolding h;
  h.metadata = {"X", 18};
  TokenTransfer t;
  t.from = t.to = s.credit_account;
  h.transfers.push_back(t);
  s.holdings.push_back(h);
  EXPECT_NE(render_balances(s, {}).find(R"("direction":"in")"), std::string::npos);
}

}  // namespace
}  // namespace creditscope::api

namespace creditscope::api {
namespace {

// The spec's example values: 70.710737 USDC at $1.0008 and 0.000876484654169830 WETH at $2053.37.
TEST(RenderBalances, UsdValuesAndTotal) {
  AccountSnapshot s;
  s.credit_account = addr("0x4d4eb02b8d86379c36e887f391a039a17d72d9e0");
  auto holding = [](const char* token, const char* symbol, unsigned decimals, const char* balance) {
    TokenHolding h;
    h.token = addr(token);
    h.metadata = {symbol, decimals};
    h.balance = U256(balance);
    return h;
  };
  const Address usdc = addr("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913");
  const Address weth = addr("0x4200000000000000000000000000000000000006");
  s.holdings = {holding("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913", "USDC", 6, "70710737"),
                holding("0x4200000000000000000000000000000000000006", "WETH", 18, "876484654169830"),
                holding("0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359", "SPAM", 18, "1000000000000000000000")};
  PriceLookup prices = [&](const Address& t) -> std::optional<pricing::Decimal> {
    if (t == usdc) return pricing::parse_decimal("1.0008");
    if (t == weth) return pricing::parse_decimal("2053.37");
    return std::nullopt;
  };
  std::string json = render_balances(s, prices);
  EXPECT_NE(json.find(R"("balance_formatted":"70.710737","usd_value":"70.77")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("balance_formatted":"0.000876","usd_value":"1.80")"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("balance_formatted":"1000","usd_value":null)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("total_usd_value":"72.57"})"), std::string::npos) << json;  // the spec's example total

  // Nothing held at all: "0.00"; held but unpriced: null.
  for (auto& h : s.holdings) h.balance = 0;
  EXPECT_NE(render_balances(s, prices).find(R"("total_usd_value":"0.00"})"), std::string::npos);
  s.holdings[2].balance = 5;
  EXPECT_NE(render_balances(s, prices).find(R"("total_usd_value":null})"), std::string::npos);
}

TEST(RenderBalances, ExcludedSpamLeavesKeysAndTotalsAsIfItWereNotThere) {
  AccountSnapshot s;
  s.credit_account = addr("0x4d4eb02b8d86379c36e887f391a039a17d72d9e0");
  TokenHolding real{addr("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"), {"USDC", 6}, 2500000, {}};
  TokenHolding fake{addr("0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"), {"USDC", 6}, 9000000, {}};
  s.holdings = {real, fake};
  RenderOptions o;
  o.spam = SpamMode::kExclude;
  o.spam_verdicts[fake.token].symbol_impersonation = true;
  PriceLookup one = [](const Address&) { return pricing::parse_decimal("1"); };
  const std::string json = render_balances(s, one, o);
  EXPECT_NE(json.find(R"("balances":{"USDC":{)"), std::string::npos) << json;  // no "(0x...)" key any more
  EXPECT_NE(json.find(R"("total_usd_value":"2.50")"), std::string::npos) << json;
  EXPECT_EQ(json.find("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"), std::string::npos);
}

TEST(RenderBalances, ReconciliationIsSignedAndSelfTransfersNetZero) {
  AccountSnapshot s;
  s.credit_account = addr("0x4d4eb02b8d86379c36e887f391a039a17d72d9e0");
  const Address other = addr("0x111111125421ca6dc452d289314280a0f8842a65");
  TokenHolding h{addr("0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"), {"R", 0}, 5, {}};
  auto transfer = [&](const Address& from, const Address& to, unsigned amount, std::uint32_t log_index) {
    TokenTransfer t;
    t.token = h.token;
    t.from = from;
    t.to = to;
    t.raw_amount = amount;
    t.block_num = 1;
    t.log_index = log_index;
    return t;
  };
  h.transfers = {transfer(other, s.credit_account, 10, 0), transfer(s.credit_account, s.credit_account, 7, 1),
                 transfer(s.credit_account, other, 3, 2)};
  s.holdings = {h};
  RenderOptions o;
  o.reconcile = true;
  o.transfers_limit = 1;
  o.spam = SpamMode::kFlag;
  o.spam_verdicts[h.token] = judge_spam(h, {{"r", {h.token}}}, true);  // listed under its own address: fine
  const std::string json = render_balances(s, {}, o);
  EXPECT_NE(json.find(R"("reconciliation":{"expected_balance":"7","difference":"-2","reconciled":false})"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("spam":{"flagged":false,"reasons":[]},"transfers_total":3,"transfers":[{)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("amount":"3")"), std::string::npos);
  EXPECT_EQ(json.find(R"("amount":"10")"), std::string::npos) << "only the last transfer is kept";
  TokenHolding zero = h;
  zero.transfers = {transfer(other, s.credit_account, 0, 0)};
  auto v = judge_spam(zero, {{"r", {other}}}, false);
  EXPECT_TRUE(v.symbol_impersonation && v.no_balance_of && v.zero_value_only);
}

}  // namespace
}  // namespace creditscope::api
