#include <gtest/gtest.h>

#include <filesystem>

#include "core/hex.hpp"
#include "store/store.hpp"

namespace creditscope::store {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string path = (std::filesystem::temp_directory_path() / ("cs-store-" + std::to_string(::getpid()) + ".db")).string();
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  Address addr(char c) { return *hex::decode_address("0x" + std::string(40, c)); }
  TokenTransfer transfer(std::uint64_t block, std::uint32_t index, const Address& from, const Address& to) {
    TokenTransfer t;
    t.token = addr('7');
    t.from = from;
    t.to = to;
    t.raw_amount = U256("115792089237316195423570985008687907853269984665640564039457584007913129639935");
    t.block_num = block;
    t.log_index = index;
    t.txn_hash.bytes[0] = static_cast<std::uint8_t>(block);
    t.txn_hash.bytes[1] = static_cast<std::uint8_t>(index);
    t.block_timestamp = 1000 + block;
    return t;
  }
};

TEST_F(SqliteStoreTest, CommitsAreIdempotentAndSurviveReopen) {
  const Address me = addr('1'), other = addr('2');
  {
    auto s = open_sqlite(path);
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->add_account("base", me, 0));
    SyncStep step;
    step.accounts = {me};
    step.synced_through = 20;
    step.chain_head = 20;
    step.transfers = {transfer(10, 1, other, me), transfer(10, 0, me, other), transfer(12, 0, other, other)};
    step.block_hashes = {{19, Hash32{}}, {20, Hash32{}}};
    ASSERT_TRUE((*s)->commit("base", step));
    ASSERT_TRUE((*s)->commit("base", step));  // replayed after a crash: no duplicates
  }
  auto s = open_sqlite(path);
  ASSERT_TRUE(s);
  auto got = (*s)->transfers("base", me);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->size(), 2u);  // the third names neither side as `me`
  EXPECT_EQ((*got)[0].log_index, 0u);
  EXPECT_EQ((*got)[1].raw_amount, std::numeric_limits<U256>::max());
  EXPECT_EQ((*(*s)->accounts("base"))[0].synced_through, 20u);
  EXPECT_EQ(*(*s)->chain_head("base"), 20u);
  EXPECT_TRUE((*(*s)->transfers("ethereum", me)).empty());  // chains are separate
}

TEST_F(SqliteStoreTest, RollbackRemovesEverythingAboveTheFork) {
  auto s = std::move(*open_sqlite(path));
  const Address me = addr('1'), other = addr('2');
  ASSERT_TRUE(s->add_account("base", me, 0));
  SyncStep step;
  step.accounts = {me};
  step.synced_through = 30;
  step.chain_head = 30;
  step.transfers = {transfer(10, 0, other, me), transfer(25, 0, other, me)};
  step.block_hashes = {{24, Hash32{}}, {25, Hash32{}}};
  step.balances = {{me, addr('7'), 5, 26}, {other, addr('7'), 9, 12}};
  ASSERT_TRUE(s->commit("base", step));
  ASSERT_EQ(s->balances("base", me)->size(), 1u);  // only the asked account's rows
  EXPECT_EQ(s->balances("base", me)->front().raw, 5);
  ASSERT_TRUE(s->rollback_above("base", 20));
  EXPECT_EQ(s->transfers("base", me)->size(), 1u);
  EXPECT_EQ((*s->accounts("base"))[0].synced_through, 20u);
  EXPECT_EQ(**s->chain_head("base"), 20u);
  EXPECT_TRUE(s->block_hashes("base")->empty());
  EXPECT_TRUE(s->balances("base", me)->empty());           // read at block 26, above the fork
  EXPECT_EQ(s->balances("base", other)->size(), 1u);         // read at block 12, below it
}

TEST_F(SqliteStoreTest, ChangedChainIdentityDropsTheChainsData) {
  auto s = std::move(*open_sqlite(path));
  EXPECT_FALSE(*s->set_chain_identity("base", 8453, 1));
  ASSERT_TRUE(s->add_account("base", addr('1'), 5));
  EXPECT_FALSE(*s->set_chain_identity("base", 8453, 1));
  EXPECT_EQ(s->accounts("base")->size(), 1u);
  EXPECT_EQ((*s->account("base", addr('1')))->synced_through, 5u);
  EXPECT_FALSE(*s->account("base", addr('2')));
  EXPECT_TRUE(*s->set_chain_identity("base", 8453, 2));  // same id, another genesis: a new devnet
  EXPECT_TRUE(s->accounts("base")->empty());
  ASSERT_TRUE(s->add_account("base", addr('1'), 5));
  EXPECT_TRUE(*s->set_chain_identity("base", 31337, 2));
  EXPECT_TRUE(s->accounts("base")->empty());
  EXPECT_EQ(**s->chain_id("base"), 31337u);
}

}  // namespace
}  // namespace creditscope::store
