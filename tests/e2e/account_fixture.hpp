#pragma once
// A fixture shared by the index and replica tests: a fresh anvil with three tokens, a credit
// account that received each and spent one, and helpers that compare an indexed answer with the
// chain's ground truth (a stateless server reading the chain directly).

#include <gtest/gtest.h>

#include "chain/credit_account.hpp"
#include "devnet/fixtures.hpp"
#include "harness.hpp"

namespace creditscope::e2e {

class FundedAccount : public ::testing::Test {
 public:  // shared with helpers such as reorg_case
  Harness h;
  TempDir dir;
  Address owner = devnet::dev_account(3);
  Address funder = devnet::dev_account(0);
  Address merchant = devnet::dev_account(4);
  Address account;
  std::vector<Address> tokens;
  std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);

  void SetUp() override {
    chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
    account = must(deriver.derive(owner), "derive");
    for (auto [sym, dec] : {std::pair{"USDC", 6u}, {"WETH", 18u}, {"DAI", 18u}}) {
      Address t = must(devnet::deploy_token(h.chain(), h.artifacts(), sym, dec), "deploy");
      must(h.chain().send(funder, t, devnet::mint_call(funder, U256("1000000000000000000000000000"))), "mint");
      must(h.chain().send(funder, t, devnet::transfer_call(account, 1000000)), "fund account");
      tokens.push_back(t);
    }
    must(h.chain().impersonate(account), "impersonate");
    must(h.chain().send(account, tokens[0], devnet::transfer_call(merchant, 1234)), "spend");
  }

  std::uint64_t head() { return must(h.chain().block_number(), "head"); }

  // The indexed answer once it describes the chain's current head, or the last one seen after `limit`.
  template <class S>
  chain::HttpResponse settled(const S& server, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    chain::HttpResponse res;
    const std::string want = std::to_string(head());
    eventually([&] {
      res = server.get(target);
      return res.status == 200 && res.header("x-block-number") == want;
    }, limit);
    return res;
  }

  void expect_same_as_chain(const chain::HttpResponse& indexed, const std::string& what) {
    Server stateless(h.config());
    auto truth = stateless.get(target);
    ASSERT_EQ(truth.status, 200u);
    EXPECT_EQ(indexed.status, 200u) << what << ": " << indexed.body;
    EXPECT_EQ(indexed.header("x-block-number"), truth.header("x-block-number")) << what;
    EXPECT_EQ(indexed.body, truth.body) << what;
  }
};

}  // namespace creditscope::e2e
