#include "chain/http_client.hpp"

#include <gtest/gtest.h>

namespace creditscope::chain {
namespace {

TEST(Url, ParsesHostPortAndTarget) {
  auto u = parse_url("https://user:secret@rpc.example:8443/v3/KEY?x=1");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "rpc.example");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->target, "/v3/KEY?x=1");
  auto plain = parse_url("http://127.0.0.1:8545");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->target, "/");
  EXPECT_EQ(parse_url("http://[::1]:9/")->host, "::1");
  EXPECT_FALSE(parse_url("ftp://x"));
  EXPECT_FALSE(parse_url("http://"));
}

// Providers put API keys in the path or in user-info: neither may reach a log line or a label.
TEST(Url, RedactionDropsKeys) {
  EXPECT_EQ(redact_url("https://mainnet.example/v3/0123456789abcdef"), "https://mainnet.example/***");
  EXPECT_EQ(redact_url("https://user:pass@rpc.example:8443/key?token=abc"), "https://rpc.example:8443/***");
  EXPECT_EQ(redact_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
  EXPECT_EQ(redact_url("https://rpc.example?apikey=abc"), "https://rpc.example/***");
}

}  // namespace
}  // namespace creditscope::chain
