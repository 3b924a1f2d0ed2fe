#include "app/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "app/config_keys.hpp"
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

// Each kind of mistake stops start-up with one line naming the file and the key's dotted path.
struct Mistake {
  const char* name;
  std::string toml;  // appended to kToml
  std::vector<std::pair<std::string, std::string>> env;
  std::string expected;  // the whole message
};

class ConfigMistakes : public ::testing::TestWithParam<Mistake> {};

TEST_P(ConfigMistakes, AreOneLineThatNamesTheKey) {
  const Mistake& m = GetParam();
  auto cfg = parse_config(std::string(kToml) + m.toml, "t.toml", m.env);
  ASSERT_FALSE(cfg) << m.name << " was accepted";
  EXPECT_EQ(cfg.error().message, m.expected);
  EXPECT_EQ(cfg.error().message.find('\n'), std::string::npos);
}

const std::string kPrice = "\n[[chains.base.prices]]\ntoken = \"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913\"\n";

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigMistakes,
    ::testing::Values(
        Mistake{"unknown top-level table", "[serverr]\nlisten = \"x\"\n", {},
                "t.toml: unknown table \"serverr\"; did you mean \"server\"?"},
        Mistake{"unknown key in [store]", "\n[store]\nmod = \"none\"\n", {},
                "t.toml: unknown key \"store.mod\"; did you mean \"store.mode\"?"},
        Mistake{"misspelled chain key", "\n[chains.base.credit_account.extra]\n", {},
                "t.toml: unknown table \"chains.base.credit_account.extra\""},
        Mistake{"misspelled prices table", "\n[[chains.base.price_feeds]]\ntoken = \"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913\"\n", {},
                "t.toml: unknown table \"chains.base.price_feeds\"; did you mean \"chains.base.prices\"?"},
        Mistake{"unknown key in a prices entry", kPrice + "chainlnk = \"0x7e860098F58bBFC8648a4311b374B1D669a2bc6B\"\n", {},
                "t.toml: unknown key \"chains.base.prices[0].chainlnk\"; did you mean \"chains.base.prices[0].chainlink\"?"},
        Mistake{"unknown environment variable", "", {{"CREDITSCOPE_CHAINS_BASE_RPC_URL", "http://x"}},
                "t.toml: unknown environment variable CREDITSCOPE_CHAINS_BASE_RPC_URL; did you mean "
                "CREDITSCOPE_CHAINS_BASE_RPC_URLS?"},
        Mistake{"unknown environment variable, nothing close", "", {{"CREDITSCOPE_BOGUS", "1"}},
                "t.toml: unknown environment variable CREDITSCOPE_BOGUS"},
        Mistake{"out of range", "", {{"CREDITSCOPE_SERVER_IO_THREADS", "0"}},
                "t.toml: CREDITSCOPE_SERVER_IO_THREADS (server.io_threads) must be between 1 and 256 (got 0)"},
        Mistake{"env not an integer", "", {{"CREDITSCOPE_CHAINS_BASE_CHAIN_ID", "x"}},
                "t.toml: CREDITSCOPE_CHAINS_BASE_CHAIN_ID (chains.base.chain_id) must be an integer (got \"x\")"},
        Mistake{"bad enum", "\n[store]\nmode = \"mysql\"\n", {}, "t.toml: store.mode must be \"sqlite\", \"postgres\" or \"none\""},
        Mistake{"postgres without url", "\n[store]\nmode = \"postgres\"\n", {},
                "t.toml: store.url is required when store.mode = \"postgres\""},
        Mistake{"url not postgres", "\n[store]\nmode = \"postgres\"\nurl = \"mysql://x\"\n", {},
                "t.toml: store.url must be a postgresql:// URL"},
        Mistake{"bad chain name", "\n[chains.Base]\nchain_id = 1\n", {},
                "t.toml: chain name \"chains.Base\" must match [a-z][a-z0-9-]* (lower-case letters, digits, '-')"},
        Mistake{"extra chain needs its keys", "\n[chains.bsc]\nchain_id = 56\n", {}, "t.toml: chains.bsc.rpc_urls is required"},
        Mistake{"missing required key", "\n[chains.tempo]\nchain_id = 4217\n", {}, "t.toml: chains.tempo.rpc_urls is required"},
        Mistake{"bad address", kPrice + "chainlink = \"0x12\"\n", {},
                "t.toml: chains.base.prices[0].chainlink must be an address: must be a 0x-prefixed 20-byte hex address (42 characters)"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (auto& c : n)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return n;
    });

// Mistakes whose TOML must go before kToml's tables (top-level keys) are checked here.
TEST(ConfigMistakes, TopLevelKeysWrongTypesAndMisplacedKeys) {
  auto top = parse_config(std::string("bogus_key = 1\n") + kToml, "t.toml", {});
  ASSERT_FALSE(top);
  EXPECT_EQ(top.error().message, "t.toml: unknown key \"bogus_key\"");
  auto server = parse_config("[server]\nlisten_addr = \"x\"\n", "t.toml", {});
  ASSERT_FALSE(server);
  EXPECT_EQ(server.error().message, "t.toml: unknown key \"server.listen_addr\"; did you mean \"server.listen\"?");
  auto typed = parse_config(std::string(kToml) + "\n[pricing]\nttl_s = \"30\"\n", "t.toml", {});
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.error().message, "t.toml: pricing.ttl_s must be an integer (got string \"30\")");
  auto typo = parse_config(std::string(kToml).replace(std::string(kToml).find("start_block"), 11, "rpc_url_typo"),
                           "t.toml", {});
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().message, "t.toml: unknown key \"chains.base.rpc_url_typo\"; did you mean \"chains.base.rpc_urls\"?");
  auto misplaced = parse_config("[server]\npoll_interval_ms = 5\n", "t.toml", {});
  ASSERT_FALSE(misplaced);
  EXPECT_EQ(misplaced.error().message,
            "t.toml: unknown key \"server.poll_interval_ms\"; did you mean \"chains.base.poll_interval_ms\"?");
  auto dup = parse_config(std::string(kToml) + kPrice + kPrice, "t.toml", {});
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message,
            "t.toml: chains.base.prices[1].token lists a token already listed at chains.base.prices[0]");
}

TEST(Config, StartBlockTakesANumberOrFactory) {
  auto factory = parse_config(std::string(kToml).replace(std::string(kToml).find("start_block = 5"), 15,
                                                         "start_block = \"factory\""),
                              "t.toml", {});
  ASSERT_TRUE(factory) << factory.error().message;
  EXPECT_TRUE(factory->chains[0].settings.start_block_factory);
  auto from_env = parse_config(kToml, "t.toml", {{"CREDITSCOPE_CHAINS_BASE_START_BLOCK", "factory"}});
  ASSERT_TRUE(from_env) << from_env.error().message;
  EXPECT_TRUE(from_env->chains[0].settings.start_block_factory);
  auto number = parse_config(kToml, "t.toml", {});
  EXPECT_FALSE(number->chains[0].settings.start_block_factory);
  EXPECT_EQ(number->chains[0].settings.start_block, 5u);
  auto typo = parse_config(std::string(kToml).replace(std::string(kToml).find("start_block = 5"), 15,
                                                      "start_block = \"fctory\""),
                           "t.toml", {});
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().message, "t.toml: chains.base.start_block must be an integer or \"factory\" (got string \"fctory\")");
}

TEST(Config, DefaultsComeFromTheKeyTable) {
  auto cfg = parse_config(kToml, "t.toml", {});
  ASSERT_TRUE(cfg) << cfg.error().message;
  // Generic defaults equal what the structs hold when built by hand (as tests do).
  const api::ServerOptions server;
  EXPECT_EQ(cfg->server.listen, "127.0.0.1:9000");
  EXPECT_EQ(cfg->server.io_threads, server.io_threads);
  EXPECT_EQ(cfg->server.worker_threads, server.worker_threads);
  EXPECT_EQ(cfg->server.max_connections, server.max_connections);
  EXPECT_EQ(cfg->server.read_timeout, server.read_timeout);
  EXPECT_EQ(cfg->server.idle_timeout, server.idle_timeout);
  const AppConfig app;
  EXPECT_EQ(cfg->request_deadline, app.request_deadline);
  EXPECT_EQ(cfg->rate_limit_per_s, app.rate_limit_per_s);
  EXPECT_EQ(cfg->rate_limit_burst, app.rate_limit_burst);
  EXPECT_EQ(cfg->store.path, app.store.path);
  EXPECT_EQ(cfg->pricing.ttl, app.pricing.ttl);
  EXPECT_EQ(cfg->pricing.http_timeout, app.pricing.http_timeout);
  const chain::ChainSettings chain;
  const auto& c = cfg->chains[0].settings;
  EXPECT_EQ(c.rpc_timeout, chain.rpc_timeout);
  EXPECT_EQ(c.rpc_max_batch, chain.rpc_max_batch);
  EXPECT_EQ(c.eth_call_gas_cap, chain.eth_call_gas_cap);
  EXPECT_EQ(c.max_lag_blocks, chain.max_lag_blocks);
  EXPECT_EQ(c.max_in_flight, chain.max_in_flight);
  EXPECT_EQ(c.max_rps, chain.max_rps);
  EXPECT_EQ(c.logs_initial_span, chain.logs_initial_span);
  const indexer::IndexerOptions indexer;
  EXPECT_EQ(cfg->chains[0].indexer.balance_refresh, indexer.balance_refresh);
  EXPECT_EQ(cfg->chains[0].indexer.backfill_commit_blocks, indexer.backfill_commit_blocks);
  // Per-chain defaults.
  EXPECT_EQ(cfg->chains[0].indexer.poll_interval, std::chrono::milliseconds(1000));
  std::string eth_toml = kToml;
  for (auto pos = eth_toml.find("chains.base"); pos != std::string::npos; pos = eth_toml.find("chains.base", pos))
    eth_toml.replace(pos, 11, "chains.ethereum");
  auto eth = parse_config(eth_toml, "t.toml", {});
  ASSERT_TRUE(eth) << eth.error().message;
  EXPECT_EQ(eth->chains[0].indexer.poll_interval, std::chrono::milliseconds(6000));
  EXPECT_EQ(eth->chains[0].indexer.finality_depth, 96u);
}

TEST(Config, ShippedConfigsAreValid) {
  for (const char* file : {"/config/devnet.toml", "/config/mainnet.toml"}) {
    std::ifstream in(std::string(CREDITSCOPE_SOURCE_DIR) + file);
    std::stringstream text;
    text << in.rdbuf();
    auto cfg = parse_config(text.str(), file, {});
    EXPECT_TRUE(cfg) << cfg.error().message;
  }
}

// The README's configuration table is generated from the key table (`make readme`).
TEST(Config, ReadmeTableIsGeneratedFromTheKeyTable) {
  std::ifstream in(std::string(CREDITSCOPE_SOURCE_DIR) + "/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  const std::string begin = "<!-- config-keys:begin -->\n", end = "<!-- config-keys:end -->";
  auto b = readme.find(begin), e = readme.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(readme.substr(b + begin.size(), e - b - begin.size()), config_keys_markdown())
      << "README.md's configuration table is stale: run make readme";
}

TEST(ConfigKeys, EveryKeyHasASetterAndADocLine) {
  for (const auto& key : config_keys()) {
    EXPECT_NE(key.set, nullptr) << key.path;
    EXPECT_FALSE(key.doc.empty()) << key.path;
    EXPECT_EQ(key.doc.find('|'), std::string_view::npos) << key.path << ": breaks the Markdown table";
    if (key.required) EXPECT_TRUE(key.default_toml.empty()) << key.path;
  }
  EXPECT_EQ(edit_distance("price_feeds", "prices"), 5u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(closest("serv", {"serve", "check"}), "serve");
  EXPECT_EQ(closest("price_feeds", {"pricing", "prices"}), "prices");
  EXPECT_EQ(closest("frobnicate", {"serve", "check"}), "");
}

}  // namespace
}  // namespace creditscope::app
