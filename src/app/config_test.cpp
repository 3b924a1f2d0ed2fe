#include "app/config.hpp"

#include <gtest/gtest.h>

#include "core/address.hpp"

namespace creditscope::app {
namespace {

const char* kToml = R"(
[server]
listen = "127.0.0.1:9000"

[chains.base]
chain_id = 8453
rpc_urls = ["https://base.example/rpc"]
start_block = 5
multicall3 = "0xcA11bde05977b3631167028862bE2a173976CA11"

[chains.base.credit_account]
proxy_factory = "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67"
singleton = "0x29fcB43b46531BcA003ddC8FCB67FFE91900C762"
fallback_handler = "0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99"
salt_nonce = "7"
)";

TEST(Config, ParsesChainsAndServer) {
  auto cfg = parse_config(kToml, "test.toml", {});
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server.listen, "127.0.0.1:9000");
  ASSERT_EQ(cfg->chains.size(), 1u);
  const auto& c = cfg->chains[0].settings;
  EXPECT_EQ(c.name, "base");
  EXPECT_EQ(c.chain_id, 8453u);
  EXPECT_EQ(c.start_block, 5u);
  EXPECT_EQ(c.credit_account.salt_nonce, 7);
  EXPECT_EQ(to_checksum(c.credit_account.singleton), "0x29fcB43b46531BcA003ddC8FCB67FFE91900C762");
  EXPECT_EQ(cfg->chains[0].indexer.finality_depth, 900u);  // Base's default
  EXPECT_EQ(cfg->store.mode, "sqlite");
}

TEST(Config, EnvironmentOverridesAndAddsChains) {
  auto cfg = parse_config(kToml, "test.toml",
                          {{"CREDITSCOPE_SERVER_LISTEN", "0.0.0.0:1"},
                           {"CREDITSCOPE_CHAINS_BASE_RPC_URLS", "http://a:1,http://b:2"},
                           {"CREDITSCOPE_CHAINS_BASE_CREDIT_ACCOUNT_SALT_NONCE", "9"},
                           {"CREDITSCOPE_CHAINS_TEMPO_CHAIN_ID", "4217"},
                           {"CREDITSCOPE_CHAINS_TEMPO_RPC_URLS", "http://tempo:1"},
                           {"CREDITSCOPE_CHAINS_TEMPO_CREDIT_ACCOUNT_PROXY_FACTORY", "0x4e1DCf7AD4e460CfD30791CCC4F9c8a4f820ec67"},
                           {"CREDITSCOPE_CHAINS_TEMPO_CREDIT_ACCOUNT_SINGLETON", "0x29fcB43b46531BcA003ddC8FCB67FFE91900C762"},
                           {"CREDITSCOPE_CHAINS_TEMPO_CREDIT_ACCOUNT_FALLBACK_HANDLER", "0xfd0732Dc9E303f09fCEf3a7388Ad10A83459Ec99"}});
  ASSERT_TRUE(cfg) << cfg.error().message;
  EXPECT_EQ(cfg->server.listen, "0.0.0.0:1");
  ASSERT_EQ(cfg->chains.size(), 2u);
  EXPECT_EQ(cfg->chains[0].settings.rpc_urls, (std::vector<std::string>{"http://a:1", "http://b:2"}));
  EXPECT_EQ(cfg->chains[0].settings.credit_account.salt_nonce, 9);
  EXPECT_EQ(cfg->chains[1].settings.name, "tempo");
  EXPECT_EQ(cfg->chains[1].settings.chain_id, 4217u);
  EXPECT_FALSE(cfg->chains[1].settings.multicall3);
}

TEST(Config, RejectsBadValuesWithTheKeyName) {
  auto bad = parse_config(kToml, "t.toml", {{"CREDITSCOPE_CHAINS_BASE_CHAIN_ID", "x"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("CREDITSCOPE_CHAINS_BASE_CHAIN_ID"), std::string::npos);
  auto unknown = parse_config("[chains.solana]\nchain_id = 1\n", "t.toml", {});
  ASSERT_FALSE(unknown);
  auto no_factory = parse_config("[chains.base]\nchain_id = 1\nrpc_urls=[\"http://x\"]\n", "t.toml", {});
  ASSERT_FALSE(no_factory);
  EXPECT_NE(no_factory.error().message.find("proxy_factory"), std::string::npos);
  EXPECT_EQ(env_name("chains.base.credit_account.salt_nonce"), "CREDITSCOPE_CHAINS_BASE_CREDIT_ACCOUNT_SALT_NONCE");
}

}  // namespace
}  // namespace creditscope::app
