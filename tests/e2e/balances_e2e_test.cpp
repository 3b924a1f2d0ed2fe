// GET /v2/credit/balances against a real anvil with real Safe v1.4.1 contracts. Expected values
// are computed here from the transactions the test sent and their receipts, never from the
// service's own output.

#include <gtest/gtest.h>

#include <ctime>
#include <map>

#include "chain/abi.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"
#include "harness.hpp"

namespace creditscope::e2e {
namespace {
namespace json = boost::json;
using devnet::dev_account;
using devnet::mint_call;
using devnet::transfer_call;

struct ExpectedTransfer {
  std::string from, to, amount, amount_formatted, timestamp, txn_hash, direction;
  std::uint64_t block_num;
  std::uint32_t log_index;
};

struct ExpectedToken {
  std::string symbol;
  unsigned decimals;
  std::map<std::string, std::string> formatted;  // raw amount -> formatted, written by hand
  U256 balance = 0;
  std::vector<ExpectedTransfer> transfers;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Independent of core/time: libc's gmtime.
std::string iso_utc(std::uint64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class BalancesE2E : public ::testing::Test {
 protected:
  Harness h;
  Address owner = dev_account(3);
  Address funder = dev_account(0);
  Address merchant = dev_account(4);
  Address account;
  std::map<Address, ExpectedToken> expected;

  Address token(std::string_view symbol, unsigned decimals) {
    Address t = must(devnet::deploy_token(h.chain(), h.artifacts(), symbol, decimals), "deploy token");
    must(h.chain().send(funder, t, mint_call(funder, U256("1000000000000000000000000"))), "mint");
    return t;
  }

  // Sends and records what the account must show for it.
  void send(const Address& from, const Address& tok, const Address& to, const U256& amount) {
    auto receipt = must(h.chain().send(from, tok, transfer_call(to, amount)), "transfer");
    record(receipt, tok);
  }

  void record(const devnet::Receipt& receipt, const Address& tok) {
    const Hash32 topic0 = keccak256(view(std::string_view("Transfer(address,address,uint256)")));
    for (const auto& log : receipt.logs) {
      if (log.address != tok || log.topics.size() != 3 || log.topics[0] != topic0) continue;
      Address from, to;
      std::copy(log.topics[1].bytes.begin() + 12, log.topics[1].bytes.end(), from.bytes.begin());
      std::copy(log.topics[2].bytes.begin() + 12, log.topics[2].bytes.end(), to.bytes.begin());
      if (from != account && to != account) continue;
      auto& e = expected[tok];
      U256 amount = u256_from_word(view(log.data));
      if (to == account) e.balance += amount;
      if (from == account) e.balance -= amount;
      e.transfers.push_back({lower(hex::encode(view(from))), lower(hex::encode(view(to))), to_decimal(amount),
                             e.formatted.at(to_decimal(amount)),
                             iso_utc(must(h.chain().block_timestamp(receipt.block_num), "timestamp")),
                             hex::encode(view(receipt.txn_hash)), to == account ? "in" : "out", receipt.block_num,
                             log.log_index});
    }
  }
};

TEST_F(BalancesE2E, AnswerMatchesIndependentlyComputedHistory) {
  Server server(h.config());
  account = must(server.service().derive("base", owner), "derive");

  Address usdc = token("USDC", 6), weth = token("WETH", 18), zero = token("ZERO", 0);
  Address dup18 = token("DUP", 18), dup6 = token("DUP", 6);
  Address mkr = must(h.chain().deploy([&] {
    Bytes code = h.artifacts().bytecode("Bytes32SymbolToken");
    chain::abi::Word sym{};
    sym[0] = 'M', sym[1] = 'K', sym[2] = 'R';
    chain::abi::put(code, sym);
    chain::abi::put(code, chain::abi::uint_word(18));
    return code;
  }()), "deploy MKR");
  must(h.chain().send(funder, mkr, mint_call(funder, U256("1000000000000000000000"))), "mint MKR");
  Bytes nosym_code = h.artifacts().bytecode("RevertingSymbolToken");
  chain::abi::put(nosym_code, chain::abi::uint_word(8));
  Address nosym = must(h.chain().deploy(nosym_code), "deploy reverting-symbol token");
  must(h.chain().send(funder, nosym, mint_call(funder, 1000000000000ULL)), "mint");
  Address nft = must(h.chain().deploy(h.artifacts().bytecode("TestNFT")), "deploy NFT");

  expected[usdc] = {"USDC", 6, {{"70710737", "70.710737"}, {"10000000", "10"}}};
  expected[weth] = {"WETH", 18, {{"876484654169830", "0.000876"}, {"1000", "0"}}};
  expected[zero] = {"ZERO", 0, {{"42", "42"}}};
  expected[mkr] = {"MKR", 18, {{"1500000000000000000", "1.5"}}};
  expected[dup18] = {"DUP", 18, {{"1000000000000000000", "1"}}};
  expected[dup6] = {"DUP", 6, {{"2500000", "2.5"}}};
  expected[nosym] = {"UNKNOWN", 8, {{"123456789", "1.234567"}}};
  const std::map<Address, std::string> balance_formatted = {
      {usdc, "60.710737"}, {weth, "0.000876"}, {zero, "42"}, {mkr, "1.5"}, {dup18, "1"}, {dup6, "2.5"}, {nosym, "1.234567"}};

  // Before the Safe exists: the counterfactual address already receives.
  send(funder, usdc, account, 70710737);
  send(funder, weth, account, U256("876484654169830"));
  send(funder, zero, account, 42);
  must(h.chain().send(funder, nft, devnet::encode_call("mint(address,uint256)", {chain::abi::address_word(account),
                                                                                 chain::abi::uint_word(7)})),
       "mint NFT");
  ASSERT_TRUE(must(h.chain().call(account, {}), "code").empty());

  Address deployed = must(devnet::deploy_credit_account(h.chain(), h.artifacts(), h.params(), owner), "deploy Safe");
  ASSERT_EQ(deployed, account) << "derived " << to_checksum(account) << " but the factory deployed " << to_checksum(deployed);

  send(funder, mkr, account, U256("1500000000000000000"));
  send(funder, dup18, account, U256("1000000000000000000"));
  send(funder, dup6, account, 2500000);
  send(funder, nosym, account, 123456789);
  send(funder, usdc, merchant, 5);  // noise: does not involve the account
  must(h.chain().impersonate(account), "impersonate Safe");
  send(account, usdc, merchant, 10000000);
  send(account, weth, account, 1000);  // to itself: once, as "in"
  const std::uint64_t head = must(h.chain().block_number(), "head");

  auto res = server.get("/v2/credit/balances?chain=base&owner=" + to_checksum(owner));
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.header("x-block-number"), std::to_string(head));
  EXPECT_EQ(res.header("content-type"), "application/json");
  EXPECT_EQ(schema_errors(res.body), "");

  json::object body = json::parse(res.body).as_object();
  EXPECT_EQ(body.at("credit_account_address").as_string(), to_checksum(account));
  EXPECT_TRUE(body.at("total_usd_value").is_null());
  const auto& balances = body.at("balances").as_object();
  ASSERT_EQ(balances.size(), expected.size()) << res.body;  // the NFT is not a token here

  for (const auto& [addr, e] : expected) {
    std::string key = e.symbol;
    if (e.symbol == "DUP") key += " (" + to_checksum(addr) + ")";
    ASSERT_TRUE(balances.contains(key)) << key << " missing in " << res.body;
    const auto& t = balances.at(key).as_object();
    EXPECT_EQ(lower(std::string(t.at("token_address").as_string())), lower(hex::encode(view(addr))));
    EXPECT_TRUE(parse_address(t.at("token_address").as_string()));  // valid EIP-55
    EXPECT_EQ(t.at("token_symbol").as_string(), e.symbol);
    EXPECT_EQ(t.at("token_decimals").as_int64(), e.decimals);
    EXPECT_EQ(t.at("balance").as_string(), to_decimal(e.balance)) << key;
    EXPECT_EQ(t.at("balance_formatted").as_string(), balance_formatted.at(addr)) << key;
    EXPECT_TRUE(t.at("usd_value").is_null());
    const auto& transfers = t.at("transfers").as_array();
    ASSERT_EQ(transfers.size(), e.transfers.size()) << key;
    for (std::size_t i = 0; i < transfers.size(); ++i) {
      const auto& got = transfers[i].as_object();
      const auto& want = e.transfers[i];
      EXPECT_EQ(lower(std::string(got.at("from_address").as_string())), want.from);
      EXPECT_EQ(lower(std::string(got.at("to_address").as_string())), want.to);
      EXPECT_TRUE(parse_address(got.at("from_address").as_string()));
      EXPECT_EQ(got.at("amount").as_string(), want.amount);
      EXPECT_EQ(got.at("amount_formatted").as_string(), want.amount_formatted);
      EXPECT_EQ(got.at("block_number").as_int64(), static_cast<std::int64_t>(want.block_num));
      EXPECT_EQ(got.at("block_timestamp").as_string(), want.timestamp);
      EXPECT_EQ(got.at("transaction_hash").as_string(), want.txn_hash);
      EXPECT_EQ(got.at("direction").as_string(), want.direction);
    }
  }
  // The Safe's own balanceOf agrees with the history for every token.
  for (const auto& [addr, e] : expected) {
    Bytes ret = must(h.chain().call(addr, devnet::encode_call("balanceOf(address)", {chain::abi::address_word(account)})), "balanceOf");
    EXPECT_EQ(u256_from_word(view(ret)), e.balance);
  }

  // Without Multicall3 the same answer comes from plain eth_call batches, byte for byte.
  Server plain(h.config(/*use_multicall=*/false));
  auto res2 = plain.get("/v2/credit/balances?chain=base&owner=" + to_checksum(owner));
  EXPECT_EQ(res2.body, res.body);
}

TEST_F(BalancesE2E, EmptyAccountAndErrors) {
  Server server(h.config());
  const std::string owner_text = to_checksum(owner);
  auto empty = server.get("/v2/credit/balances?chain=base&owner=" + lower(owner_text));
  ASSERT_EQ(empty.status, 200u);
  account = must(server.service().derive("base", owner), "derive");
  EXPECT_EQ(empty.body, R"({"credit_account_address":")" + to_checksum(account) + R"(","balances":{},"total_usd_value":"0.00"})");  // holds nothing
  EXPECT_EQ(schema_errors(empty.body), "");

  auto missing = server.get("/v2/credit/balances?chain=base");
  EXPECT_EQ(missing.status, 422u);
  EXPECT_EQ(missing.body, R"({"detail":[{"type":"missing","loc":["query","owner"],"msg":"Field required","input":null}]})");
  EXPECT_EQ(schema_errors(missing.body, "HTTPValidationError"), "");
  auto bad_chain = server.get("/v2/credit/balances?chain=polygon&owner=" + owner_text);
  EXPECT_EQ(bad_chain.status, 422u);
  EXPECT_EQ(schema_errors(bad_chain.body, "HTTPValidationError"), "");
  auto unconfigured = server.get("/v2/credit/balances?chain=tempo&owner=" + owner_text);
  EXPECT_EQ(unconfigured.status, 503u);
  EXPECT_EQ(unconfigured.body, R"({"detail":"Chain 'tempo' is not configured on this server"})");
  EXPECT_TRUE(unconfigured.header("retry-after"));
  auto not_found = server.get("/v2/credit/balance");
  EXPECT_EQ(not_found.status, 404u);
  EXPECT_EQ(not_found.body, R"({"detail":"Not Found"})");
  auto post = must(chain::http_post(must(chain::parse_url(server.base() + "/healthz"), "url"), "{}"), "POST");
  EXPECT_EQ(post.status, 405u);
  EXPECT_EQ(post.header("allow"), "GET, HEAD");
  auto long_uri = server.get("/v2/credit/balances?chain=base&owner=" + std::string(9000, 'a'));
  EXPECT_EQ(long_uri.status, 414u);
  EXPECT_EQ(server.get("/healthz").body, R"({"status":"ok"})");
  auto big_headers = raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: " + std::string(20000, 'j') + "\r\n\r\n");
  EXPECT_EQ(big_headers.substr(0, 12), "HTTP/1.1 431") << big_headers.substr(0, 200);
  EXPECT_NE(big_headers.find(R"({"detail":"Request Header Fields Too Large"})"), std::string::npos);
  auto big_body = raw_exchange(server.port(), "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n");
  EXPECT_EQ(big_body.substr(0, 12), "HTTP/1.1 413") << big_body.substr(0, 200);
  auto garbage = raw_exchange(server.port(), "\x01\x02 not http\r\n\r\n");
  EXPECT_EQ(garbage.substr(0, 12), "HTTP/1.1 400") << garbage;
  auto head = raw_exchange(server.port(), "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(head.substr(0, 12), "HTTP/1.1 200");
  EXPECT_NE(head.find("Content-Length: 15"), std::string::npos) << head;
  EXPECT_EQ(head.find("{"), std::string::npos) << "HEAD must not carry a body";
  auto openapi = server.get("/openapi.json");
  EXPECT_EQ(openapi.status, 200u);
  EXPECT_NO_THROW(json::parse(openapi.body).at("paths").at("/v2/credit/balances"));
  EXPECT_TRUE(eventually([&] { return server.get("/readyz").status == 200; }));
  auto metrics = server.get("/metrics").body;
  EXPECT_NE(metrics.find(R"(creditscope_http_requests_total{route="/v2/credit/balances",status="422"} 2)"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find(R"(creditscope_rpc_calls_total{chain="base",method="eth_getLogs",outcome="ok",url="http://127.0.0.1:)"), std::string::npos);
  EXPECT_NE(metrics.find("creditscope_http_request_duration_seconds_bucket"), std::string::npos);
}

TEST_F(BalancesE2E, ApiKeysAreRequiredWhenConfigured) {
  auto cfg = h.config();
  cfg.api_keys_sha256 = {"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"};  // sha256("secret")
  Server server(cfg);
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);
  auto denied = server.get(target);
  EXPECT_EQ(denied.status, 401u);
  EXPECT_EQ(denied.body, R"({"detail":"Invalid or missing API key"})");
  auto accepted = raw_exchange(server.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nx-api-key: secret\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(accepted.substr(0, 12), "HTTP/1.1 200") << accepted;
  auto wrong = raw_exchange(server.port(), "GET " + target + " HTTP/1.1\r\nHost: x\r\nx-api-key: Secret\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(wrong.substr(0, 12), "HTTP/1.1 401") << wrong;
  EXPECT_EQ(server.get("/healthz").status, 200u);  // health stays open
}

TEST_F(BalancesE2E, RateLimitAnswers429WithRetryAfter) {
  auto cfg = h.config();
  cfg.rate_limit_per_s = 1;
  cfg.rate_limit_burst = 3;
  Server server(cfg);
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(server.get(target).status, 200u) << i;
  auto limited = server.get(target);
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(limited.body, R"({"detail":"Too Many Requests"})");
  EXPECT_EQ(limited.header("retry-after"), "1");
  EXPECT_EQ(server.get("/healthz").status, 200u);  // only the API route is limited
}

TEST_F(BalancesE2E, SlowAndSurplusClientsAreCutOff) {
  auto cfg = h.config();
  cfg.server.read_timeout = std::chrono::seconds(1);
  cfg.server.idle_timeout = std::chrono::seconds(1);
  cfg.server.max_connections = 2;
  Server server(cfg);
  // An idle keep-alive connection is closed after idle_timeout: the answer comes, then the close.
  const auto idle_start = std::chrono::steady_clock::now();
  auto idle = raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(idle.substr(0, 12), "HTTP/1.1 200") << idle;
  EXPECT_LT(std::chrono::steady_clock::now() - idle_start, std::chrono::seconds(4)) << "idle connection kept open";
  // Slowloris: half a request line, then silence. The server hangs up after read_timeout.
  const auto start = std::chrono::steady_clock::now();
  auto slow = raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost:");
  EXPECT_EQ(slow, "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  // Two idle connections fill the cap; a third is told to come back.
  auto open_idle = [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    return fd;
  };
  int a = open_idle(), b = open_idle();
  // On a loaded machine the server may accept a and b late: ask again until they count (they are
  // closed as idle after 1 s, so the window is bounded).
  std::string third;
  eventually([&] {
    third = raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return third.substr(0, 12) == "HTTP/1.1 503";
  }, std::chrono::milliseconds(700));
  EXPECT_EQ(third.substr(0, 12), "HTTP/1.1 503") << third;
  EXPECT_NE(third.find("Retry-After"), std::string::npos);
  ::close(a);
  ::close(b);
  EXPECT_TRUE(eventually([&] { return server.get("/healthz").status == 200; }, std::chrono::milliseconds(2500)))
      << "connections freed must be usable again";
}

TEST(BalancesE2EUpstream, DeadRpcGives503WithRetryAfter) {
  Harness h;
  auto cfg = h.config(true, {"http://127.0.0.1:" + std::to_string(devnet::free_port())});
  cfg.chains[0].settings.rpc_timeout = std::chrono::milliseconds(500);
  Server server(cfg);
  auto res = server.get("/v2/credit/balances?chain=base&owner=" + to_checksum(dev_account(3)));
  EXPECT_EQ(res.status, 503u);
  EXPECT_TRUE(res.header("retry-after"));
  EXPECT_EQ(res.body.find("127.0.0.1"), std::string::npos) << "RPC host leaked: " << res.body;
  EXPECT_EQ(server.get("/readyz").status, 503u);
}

}  // namespace
}  // namespace creditscope::e2e
