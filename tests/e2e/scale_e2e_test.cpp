// The follower's RPC cost does not grow with the number of tracked accounts: at most 3 calls per
// new block (headers and logs; balance reads come on top) with 10 tracked accounts and with
// 20,000, counted by a JSON-RPC proxy in front of anvil. The accounts are registered through the
// API, as users would.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "account_fixture.hpp"
#include "harness.hpp"
#include "provider_proxy.hpp"

namespace creditscope::e2e {
namespace {
using devnet::transfer_call;

class ScaleE2E : public FundedAccount {
 protected:
  ProviderProxy proxy{h.rpc_url(), ProviderShape{}};

  static Address nth_owner(std::uint32_t n) {
    Address a;
    a.bytes[0] = 0xc5;
    for (int i = 0; i < 4; ++i) a.bytes[19 - static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
    return a;
  }

  // Asks for owners [from, to) through the API with `clients` at once; returns how many got a 200.
  static std::size_t register_owners(const Server& server, std::uint32_t from, std::uint32_t to, unsigned clients) {
    std::atomic<std::uint32_t> next{from};
    std::atomic<std::size_t> ok{0};
    std::vector<std::thread> threads;
    for (unsigned c = 0; c < clients; ++c)
      threads.emplace_back([&] {
        for (std::uint32_t n; (n = next++) < to;) {
          const std::string t = "/v2/credit/balances?chain=base&owner=" + to_checksum(nth_owner(n));
          for (int attempt = 0; attempt < 50; ++attempt) {  // 503 while backfilling: ask again, as a client would
            auto r = chain::http_get(*chain::parse_url(server.base() + t));
            if (r && r->status == 200) {
              ++ok;
              break;
            }
          }
        }
      });
    for (auto& t : threads) t.join();
    return ok;
  }

  long follower_calls() const {
    const auto s = proxy.stats();
    return s.get_logs + s.block_by_number + s.block_number;
  }

  // Produces `blocks` blocks, one per poll interval (half of them carrying a transfer to the
  // tracked account, half empty), waits until the index has them, and returns the follower's
  // calls per new block.
  double calls_per_block(const Server& server, int blocks, std::chrono::milliseconds poll) {
    const std::string want_head = std::to_string(head() + static_cast<std::uint64_t>(blocks));
    proxy.reset_stats();
    for (int i = 0; i < blocks; ++i) {
      if (i % 2) must(h.chain().mine(1), "empty block");
      else must(h.chain().send(funder, tokens[0], transfer_call(account, 10 + static_cast<unsigned>(i))), "transfer");
      std::this_thread::sleep_for(poll);  // the chain's block time in this scenario: one per poll
    }
    EXPECT_TRUE(eventually([&] { return server.get(target).header("x-block-number") == want_head; }))
        << "the index did not reach the head";
    const auto s = proxy.stats();
    std::cerr << "  " << blocks << " blocks: eth_getLogs " << s.get_logs << ", eth_getBlockByNumber " << s.block_by_number
              << ", eth_blockNumber " << s.block_number << ", eth_call (balance reads) " << s.eth_call << "\n";
    return static_cast<double>(follower_calls()) / blocks;
  }
};

TEST_F(ScaleE2E, FollowerCallsPerBlockStayAtThreeFromTenTo20000Accounts) {
  const auto poll = std::chrono::milliseconds(300);
  auto cfg = h.indexed_config(dir.file("index.db"), poll.count());
  cfg.chains[0].settings.rpc_urls = {proxy.url()};
  cfg.server.worker_threads = 64;
  cfg.chains[0].indexer.balance_refresh = std::chrono::seconds(3600);  // its spread-out reads are eth_call anyway
  Server server(cfg);
  expect_same_as_chain(settled(server), "the funded account");
  ASSERT_EQ(register_owners(server, 0, 9, 9), 9u);

  std::cerr << "10 tracked accounts:\n";
  const double small = calls_per_block(server, 10, poll);
  EXPECT_LE(small, 3.0);

  ASSERT_EQ(register_owners(server, 9, 20'000, 64), 20'000u - 9);
  const std::string metrics = server.get("/metrics").body;
  EXPECT_NE(metrics.find("creditscope_tracked_accounts{chain=\"base\"} 20001"), std::string::npos)
      << metrics.substr(metrics.find("creditscope_tracked_accounts"), 80);

  std::cerr << "20,001 tracked accounts:\n";
  const double large = calls_per_block(server, 10, poll);
  EXPECT_LE(large, 3.0);
  std::cerr << "calls per block: " << small << " (10 accounts), " << large << " (20,001 accounts)\n";
  // Several blocks in one step take the range path (every Transfer of the range, matched here):
  // transfers in both directions, then more blocks before the next poll.
  std::vector<std::tuple<Address, Address, Bytes>> burst;
  for (int i = 0; i < 6; ++i) burst.emplace_back(funder, tokens[i % 3], transfer_call(account, 500 + static_cast<unsigned>(i)));
  burst.emplace_back(account, tokens[1], transfer_call(merchant, 3));
  must(h.chain().send_many(burst), "burst");
  must(h.chain().mine(4), "more blocks in the same poll");
  expect_same_as_chain(settled(server), "after 20,000 more accounts and a multi-block step");
}

}  // namespace
}  // namespace creditscope::e2e
