#include "indexer/account_view.hpp"

#include <gtest/gtest.h>

#include "indexer/test_addresses.hpp"

namespace creditscope::indexer {
namespace {

using testing::addr;

TEST(AccountView, GroupsByTokenInAddressOrderWithStoredBalancesAndMetadata) {
  store::AccountRecord r;
  r.account.account = addr(1);
  r.head = 77;
  auto transfer = [](std::uint8_t token, std::uint64_t block) {
    TokenTransfer t;
    t.token = addr(token);
    t.block_num = block;
    return t;
  };
  r.transfers = {transfer(9, 1), transfer(5, 2), transfer(9, 3)};
  r.balances = {{addr(1), addr(9), 12, 70}};
  r.tokens = {{addr(9), {"NINE", 4}}};
  auto s = build_snapshot(r);
  EXPECT_EQ(s->snapshot_block, 77u);
  EXPECT_EQ(s->credit_account, addr(1));
  ASSERT_EQ(s->holdings.size(), 2u);
  EXPECT_EQ(s->holdings[0].token, addr(5));
  EXPECT_EQ(s->holdings[0].metadata.symbol, "UNKNOWN");  // no metadata stored
  EXPECT_EQ(s->holdings[0].balance, 0);
  EXPECT_EQ(s->holdings[1].metadata.symbol, "NINE");
  EXPECT_EQ(s->holdings[1].metadata.decimals, 4u);
  EXPECT_EQ(s->holdings[1].balance, 12);
  ASSERT_EQ(s->holdings[1].transfers.size(), 2u);
  EXPECT_EQ(s->holdings[1].transfers[1].block_num, 3u);
}

}  // namespace
}  // namespace creditscope::indexer
