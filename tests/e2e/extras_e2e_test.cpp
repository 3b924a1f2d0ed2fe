// The opt-in extras of the balances route and the routes beside it (issue 13), each against a
// real anvil. Expectations come from the test's own transactions and from the node, never from
// the server's other answers unless the rule is "equal to what GET returns".

#include <zlib.h>

#include <boost/json.hpp>
#include <cstdio>
#include <set>

#include "account_fixture.hpp"
#include "event_reader.hpp"
#include "chain/abi.hpp"
#include "pricing/usd.hpp"

namespace creditscope::e2e {
namespace {
using devnet::mint_call;
using devnet::transfer_call;
namespace json = boost::json;
namespace abi = chain::abi;

chain::HttpResponse get_with(const std::string& url, std::vector<std::pair<std::string, std::string>> headers) {
  chain::HttpOptions o;
  o.headers = std::move(headers);
  return must(chain::http_get(must(chain::parse_url(url), "url"), o), "GET");
}

std::string gunzip(const std::string& in) {
  z_stream z{};
  inflateInit2(&z, 15 + 16);
  std::string out;
  char buf[65536];
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  int rc;
  do {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("not a whole gzip stream");
  return out;
}

const json::object& entry_for(const json::object& doc, const Address& token) {
  for (const auto& [key, v] : doc.at("balances").as_object())
    if (v.at("token_address").as_string() == to_checksum(token)) return v.as_object();
  throw std::runtime_error("no entry for " + to_checksum(token) + " in " + json::serialize(doc));
}

// Every Transfer log naming the account, straight from the node: (block, log index, txn hash).
std::set<std::tuple<std::uint64_t, std::uint64_t, std::string>> logs_naming(devnet::DevChain& chain, const Address& account) {
  const std::string topic = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
  std::string word = "0x000000000000000000000000" + hex::encode(view(account)).substr(2);
  std::set<std::tuple<std::uint64_t, std::uint64_t, std::string>> out;
  for (int side : {1, 2}) {
    json::array topics{topic, nullptr, nullptr};
    topics[side] = json::string(word);
    json::object filter{{"fromBlock", "0x0"}, {"toBlock", "latest"}, {"topics", topics}};
    auto logs = must(chain.rpc().call("eth_getLogs", json::array{filter}), "getLogs");
    for (const auto& l : logs.as_array()) {
      const auto& o = l.as_object();
      if (o.at("topics").as_array().size() != 3) continue;
      out.emplace(*hex::decode_quantity(o.at("blockNumber").as_string()), *hex::decode_quantity(o.at("logIndex").as_string()),
                  std::string(o.at("transactionHash").as_string()));
    }
  }
  return out;
}

class ExtrasE2E : public FundedAccount {
 public:
  std::string url(const Server& s, const std::string& extra) const { return s.base() + target + extra; }
};

TEST_F(ExtrasE2E, PinnedBlockAnswersAsTheLiveAnswerDidThen) {
  auto cfg = h.indexed_config(dir.file("index.db"), 50);
  cfg.chains[0].settings.start_block = 2;
  Server server(cfg);
  auto earlier = settled(server);
  const std::uint64_t pinned = std::stoull(*earlier.header("x-block-number"));
  // Later history: more in, more out, a new token.
  must(h.chain().send(funder, tokens[1], transfer_call(account, 777)), "later in");
  must(h.chain().send(account, tokens[2], transfer_call(merchant, 99)), "later out");
  auto later = settled(server);
  ASSERT_NE(later.body, earlier.body);

  auto at = server.get(target + "&block=" + std::to_string(pinned));
  ASSERT_EQ(at.status, 200u) << at.body;
  EXPECT_EQ(at.body, earlier.body);
  EXPECT_EQ(at.header("x-block-number"), std::to_string(pinned));

  const std::uint64_t now = head();
  auto above = server.get(target + "&block=" + std::to_string(now + 5));
  EXPECT_EQ(above.status, 422u);
  EXPECT_EQ(above.body, R"({"detail":[{"type":"less_than_equal","loc":["query","block"],"msg":"Input should be less than or equal to )" +
                            std::to_string(now) + R"(","input":")" + std::to_string(now + 5) + R"(","ctx":{"le":)" +
                            std::to_string(now) + "}}]}");
  auto below = server.get(target + "&block=1");
  EXPECT_EQ(below.body, R"({"detail":[{"type":"greater_than_equal","loc":["query","block"],"msg":"Input should be greater than or equal to 2","input":"1","ctx":{"ge":2}}]})");
  auto bad = server.get(target + "&block=0x10");
  EXPECT_EQ(bad.status, 422u);
  EXPECT_EQ(bad.body, R"({"detail":[{"type":"value_error","loc":["query","block"],"msg":"Value error, block must be a block number or one of 'latest', 'safe', 'finalized'","input":"0x10","ctx":{"error":{}}}]})");

  // Tags as the node reports them; an answer at or below finalized may be cached forever.
  auto node_block = [&](const char* tag) {
    auto b = must(h.chain().rpc().call("eth_getBlockByNumber", json::array{tag, false}), "tag");
    return *hex::decode_quantity(b.as_object().at("number").as_string());
  };
  auto fin = server.get(target + "&block=finalized");
  ASSERT_EQ(fin.status, 200u) << fin.body;
  EXPECT_EQ(fin.header("x-block-number"), std::to_string(node_block("finalized")));
  EXPECT_EQ(fin.header("cache-control"), "public, max-age=31536000, immutable");
  auto safe = server.get(target + "&block=safe");
  ASSERT_EQ(safe.status, 200u) << safe.body;
  EXPECT_EQ(safe.header("x-block-number"), std::to_string(node_block("safe")));
  EXPECT_EQ(safe.header("cache-control"), "no-cache");
  EXPECT_EQ(server.get(target).header("cache-control"), "no-cache");
}

TEST(ExtrasArchiveE2E, ANodeWithoutOldStateIsA503ThatSaysSo) {
  Harness h(true, {"--prune-history", "4"});  // keeps the state of the last few blocks only
  const Address owner = devnet::dev_account(3), funder = devnet::dev_account(0);
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  const Address account = must(deriver.derive(owner), "derive");
  const Address token = must(devnet::deploy_token(h.chain(), h.artifacts(), "OLD", 6), "deploy");
  must(h.chain().send(funder, token, mint_call(account, 1000)), "mint");
  const std::uint64_t early = must(h.chain().block_number(), "head");
  must(h.chain().mine(40), "bury it");
  Server server(h.config());
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(owner);
  ASSERT_EQ(server.get(target).status, 200u);
  auto old = server.get(target + "&block=" + std::to_string(early));
  EXPECT_EQ(old.status, 503u) << old.body;
  EXPECT_EQ(old.body, R"({"detail":"Upstream RPC for chain 'base' cannot serve state at block )" + std::to_string(early) +
                          R"j( (is it an archive node?)"})j");
  EXPECT_TRUE(old.retry_after);
}

TEST_F(ExtrasE2E, ABlockJustMinedIsAnsweredOnceTheIndexHasIt) {
  Server server(h.indexed_config(dir.file("index.db"), 1500));  // the index is up to 1.5 s behind
  settled(server);
  must(h.chain().send(funder, tokens[1], transfer_call(account, 4321)), "new block");
  const std::uint64_t mined = head();
  auto res = server.get(target + "&block=" + std::to_string(mined));
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(res.header("x-block-number"), std::to_string(mined));
  EXPECT_NE(res.body.find(R"("amount":"4321")"), std::string::npos);
}

TEST_F(ExtrasE2E, EtagRevalidatesAndGzipRoundTrips) {
  for (int i = 0; i < 6; ++i) must(h.chain().send(funder, tokens[i % 3], transfer_call(account, 10 + i)), "more history");
  Server server(h.indexed_config(dir.file("index.db"), 50));
  auto first = settled(server);
  const auto etag = first.header("etag");
  ASSERT_TRUE(etag && etag->size() > 2 && etag->front() == '"') << "strong ETag";
  EXPECT_EQ(first.header("vary"), "Accept-Encoding");

  auto again = get_with(url(server, ""), {{"If-None-Match", *etag}});
  EXPECT_EQ(again.status, 304u);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(again.header("etag"), etag);
  EXPECT_EQ(again.header("x-block-number"), first.header("x-block-number"));

  ASSERT_GE(first.body.size(), 1024u);
  auto zipped = get_with(url(server, ""), {{"Accept-Encoding", "br;q=1, gzip;q=0.5"}});
  ASSERT_EQ(zipped.status, 200u);
  EXPECT_EQ(zipped.header("content-encoding"), "gzip");
  EXPECT_EQ(zipped.header("vary"), "Accept-Encoding");
  EXPECT_LT(zipped.body.size(), first.body.size());
  EXPECT_EQ(gunzip(zipped.body), first.body);
  EXPECT_EQ(server.get(target + "&block=x").header("vary"), "Accept-Encoding") << "errors vary too";
  auto refused = get_with(url(server, ""), {{"Accept-Encoding", "gzip;q=0"}});
  EXPECT_EQ(refused.header("content-encoding"), std::nullopt);
  EXPECT_EQ(refused.body, first.body);

  must(h.chain().send(funder, tokens[0], transfer_call(account, 31337)), "a new transfer");
  auto changed = settled(server);
  EXPECT_NE(changed.header("etag"), etag);
  auto stale = get_with(url(server, ""), {{"If-None-Match", *etag}});
  EXPECT_EQ(stale.status, 200u);
  EXPECT_EQ(stale.body, changed.body);
}

TEST_F(ExtrasE2E, TransfersLimitAndReconciliation) {
  auto code = h.artifacts().bytecode("FeeOnTransferToken");
  const Address fot = must(h.chain().deploy(code), "deploy FOT");
  must(h.chain().send(funder, fot, mint_call(funder, 1000000)), "mint FOT");
  must(h.chain().send(funder, fot, devnet::encode_call("sendWithFee(address,uint256)",
                                                       {abi::address_word(account), abi::uint_word(5000)})),
       "send with fee");
  must(h.chain().send(account, tokens[0], transfer_call(account, 77)), "self-transfer");
  Server server(h.indexed_config(dir.file("index.db"), 50));
  auto plain = settled(server);
  EXPECT_EQ(plain.body.find("transfers_total"), std::string::npos);
  EXPECT_EQ(plain.body.find("reconciliation"), std::string::npos);

  auto res = server.get(target + "&transfers_limit=1&reconcile=true");
  ASSERT_EQ(res.status, 200u) << res.body;
  auto doc = json::parse(res.body).as_object();
  const auto& usdc = entry_for(doc, tokens[0]);
  // USDC: 1,000,000 in, 1,234 out, a self-transfer of 77 (in and out).
  EXPECT_EQ(usdc.at("transfers_total").as_int64(), 3);
  ASSERT_EQ(usdc.at("transfers").as_array().size(), 1u);
  EXPECT_EQ(usdc.at("transfers").as_array()[0].at("amount").as_string(), "77");
  EXPECT_EQ(json::serialize(usdc.at("reconciliation")),
            R"({"expected_balance":"998766","difference":"0","reconciled":true})");
  const auto& f = entry_for(doc, fot);
  EXPECT_EQ(f.at("balance").as_string(), "4950");
  EXPECT_EQ(json::serialize(f.at("reconciliation")), R"({"expected_balance":"5000","difference":"-50","reconciled":false})");
  auto none = server.get(target + "&transfers_limit=0");
  EXPECT_EQ(json::parse(none.body).at("balances").at("WETH").at("transfers").as_array().size(), 0u);
  EXPECT_EQ(server.get(target + "&transfers_limit=100001").status, 422u);
  EXPECT_EQ(server.get(target + "&reconcile=maybe").body,
            R"({"detail":[{"type":"bool_parsing","loc":["query","reconcile"],"msg":"Input should be a valid boolean, unable to interpret input","input":"maybe"}]})");
}

TEST_F(ExtrasE2E, SpamReasonsAndExclusion) {
  const Address attacker = devnet::dev_account(5);
  auto deploy = [&](const std::string& name, Bytes args = {}) {
    Bytes code = h.artifacts().bytecode(name);
    code.insert(code.end(), args.begin(), args.end());
    return must(h.chain().deploy(code, attacker), name.c_str());
  };
  const Address fake_usdc = must(devnet::deploy_token(h.chain(), h.artifacts(), "usdc", 6), "fake usdc");
  must(h.chain().send(funder, fake_usdc, mint_call(account, 5000000)), "airdrop");
  Bytes args;
  abi::put(args, abi::uint_word(64));
  abi::put(args, abi::uint_word(0));
  abi::put_bytes(args, view(std::string_view("NOBAL")));
  const Address no_balance = deploy("BadBalanceToken", args);
  must(h.chain().send(attacker, no_balance, mint_call(account, 1)), "no-balance transfer");
  const Address zero = must(devnet::deploy_token(h.chain(), h.artifacts(), "ZERO", 18), "zero token");
  must(h.chain().send(attacker, zero, devnet::encode_call("transferFrom(address,address,uint256)",
                                                          {abi::address_word(account), abi::address_word(attacker),
                                                           abi::uint_word(0)})),
       "zero-value transfer");
  auto cfg = h.indexed_config(dir.file("index.db"), 50);
  cfg.chains[0].prices.tokens[tokens[0]].usd_peg = pricing::parse_decimal("1");  // the real USDC, listed
  Server server(cfg);
  settled(server);

  auto flagged = server.get(target + "&spam=flag");
  ASSERT_EQ(flagged.status, 200u) << flagged.body;
  auto doc = json::parse(flagged.body).as_object();
  auto spam = [&](const Address& t) { return json::serialize(entry_for(doc, t).at("spam")); };
  EXPECT_EQ(spam(fake_usdc), R"({"flagged":true,"reasons":["symbol_impersonation"]})");
  EXPECT_EQ(spam(no_balance), R"({"flagged":true,"reasons":["no_balance_of"]})");
  EXPECT_EQ(spam(zero), R"({"flagged":true,"reasons":["zero_value_only"]})");
  EXPECT_EQ(spam(tokens[0]), R"({"flagged":false,"reasons":[]})");
  EXPECT_EQ(spam(tokens[1]), R"({"flagged":false,"reasons":[]})");

  auto excluded = server.get(target + "&spam=exclude");
  ASSERT_EQ(excluded.status, 200u);
  auto ex = json::parse(excluded.body).as_object();
  std::set<std::string> keys;
  for (const auto& [k, _] : ex.at("balances").as_object()) keys.emplace(k);
  EXPECT_EQ(keys, (std::set<std::string>{"DAI", "USDC", "WETH"}));
  EXPECT_EQ(ex.at("total_usd_value").as_string(), "1.00");  // 0.998766 USDC at $1; the airdrop does not count
  EXPECT_EQ(server.get(target + "&spam=off").body, server.get(target).body);
  EXPECT_EQ(server.get(target + "&spam=all").body,
            R"({"detail":[{"type":"enum","loc":["query","spam"],"msg":"Input should be 'flag', 'exclude' or 'off'","input":"all","ctx":{"expected":"'flag', 'exclude' or 'off'"}}]})");
}

TEST_F(ExtrasE2E, PagesLoseAndRepeatNothingWhileBlocksArriveAndCsvMatches) {
  for (int i = 0; i < 7; ++i) must(h.chain().send(funder, tokens[i % 3], transfer_call(account, 100 + i)), "history");
  Server server(h.indexed_config(dir.file("index.db"), 50));
  settled(server);
  const std::string route = "/v2/credit/transfers?chain=base&owner=" + to_checksum(owner);
  std::vector<json::object> rows;
  std::string cursor;
  int pages = 0;
  for (;;) {
    auto page = server.get(route + "&limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(page.status, 200u) << page.body;
    auto doc = json::parse(page.body).as_object();
    for (const auto& t : doc.at("transfers").as_array()) rows.push_back(t.as_object());
    if (++pages == 2) {  // a transfer mined between two pages
      must(h.chain().send(funder, tokens[1], transfer_call(account, 4242)), "between pages");
      settled(server);
    }
    if (doc.at("next_cursor").is_null()) break;
    cursor = std::string(doc.at("next_cursor").as_string());
  }
  auto truth = logs_naming(h.chain(), account);
  std::set<std::tuple<std::uint64_t, std::uint64_t, std::string>> seen;
  for (const auto& r : rows)
    seen.emplace(r.at("block_number").as_int64(), r.at("log_index").as_int64(), std::string(r.at("transaction_hash").as_string()));
  EXPECT_EQ(seen.size(), rows.size()) << "a row came twice";
  EXPECT_EQ(seen, truth);
  for (std::size_t i = 1; i < rows.size(); ++i)
    EXPECT_LT(std::pair(rows[i - 1].at("block_number").as_int64(), rows[i - 1].at("log_index").as_int64()),
              std::pair(rows[i].at("block_number").as_int64(), rows[i].at("log_index").as_int64()));
  EXPECT_EQ(server.get(route + "&cursor=nonsense").status, 422u);

  // CSV, read back by Python's csv module, equals the JSON rows.
  auto csv = get_with(server.base() + route, {{"Accept", "text/csv"}});
  ASSERT_EQ(csv.status, 200u);
  EXPECT_EQ(csv.header("content-type"), "text/csv; charset=utf-8");
  TempDir tmp;
  const std::string path = tmp.file("t.csv");
  std::ofstream(path, std::ios::binary) << csv.body;
  const std::string cmd = "python3 -c \"import csv,json,sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='')))))\" " + path;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string parsed;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) parsed.append(buf, n);
  ASSERT_EQ(::pclose(p), 0);
  auto table = json::parse(parsed).as_array();
  ASSERT_EQ(table.size(), rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& c = table[i].as_object();
    for (const char* k : {"block_timestamp", "transaction_hash", "token_address", "token_symbol", "direction", "from_address",
                          "to_address", "amount", "amount_formatted"})
      EXPECT_EQ(c.at(k).as_string(), rows[i].at(k).as_string()) << k;
    EXPECT_EQ(c.at("block_number").as_string(), std::to_string(rows[i].at("block_number").as_int64()));
    EXPECT_EQ(c.at("log_index").as_string(), std::to_string(rows[i].at("log_index").as_int64()));
  }
  EXPECT_EQ(server.get(route + "&format=csv").body, csv.body);
}

TEST_F(ExtrasE2E, AllChainsAnswerBesideOneWhoseRpcIsDown) {
  auto cfg = h.config();
  auto down = cfg.chains[0];
  down.settings.name = "bsc";
  down.settings.chain_id = 56;
  down.settings.rpc_urls = {"http://127.0.0.1:9"};  // nothing listens there
  down.settings.rpc_timeout = std::chrono::milliseconds(500);
  cfg.chains.push_back(down);
  cfg.chains[0].prices.tokens[tokens[0]].usd_peg = pricing::parse_decimal("2");
  Server server(cfg);
  auto base = server.get(target);
  ASSERT_EQ(base.status, 200u);
  auto all = server.get("/v2/credit/balances/all?owner=" + to_checksum(owner));
  ASSERT_EQ(all.status, 200u) << all.body;
  auto doc = json::parse(all.body).as_object();
  EXPECT_EQ(doc.at("owner").as_string(), to_checksum(owner));
  EXPECT_EQ(json::serialize(doc.at("chains").at("base")), json::serialize(json::parse(base.body)));
  EXPECT_EQ(doc.at("errors").at("bsc").at("status").as_int64(), 503);
  EXPECT_EQ(doc.at("total_usd_value").as_string(), "2.00");  // 0.998766 USDC at $2
  EXPECT_EQ(doc.at("chains").as_object().size(), 1u);

  // The extra chain is in the enum, in byte order.
  auto bad = server.get("/v2/credit/balances?chain=x&owner=" + to_checksum(owner));
  EXPECT_NE(bad.body.find(R"("msg":"Input should be 'arbitrum', 'base', 'bsc', 'ethereum' or 'tempo'")"), std::string::npos) << bad.body;
  auto spec = json::parse(server.get("/openapi.json").body);
  const auto& params = spec.at("paths").at("/v2/credit/balances").at("get").at("parameters").as_array();
  for (const auto& p : params)
    if (p.at("name") == "chain")
      EXPECT_EQ(json::serialize(p.at("schema").at("enum")), R"(["arbitrum","base","bsc","ethereum","tempo"])");

  auto only_down = h.config();
  only_down.chains = {down};
  Server dead(only_down);
  auto none = dead.get("/v2/credit/balances/all?owner=" + to_checksum(owner));
  EXPECT_EQ(none.status, 503u) << none.body;
  EXPECT_TRUE(none.retry_after);
  EXPECT_EQ(json::parse(none.body).at("errors").at("bsc").at("status").as_int64(), 503);
}

TEST_F(ExtrasE2E, NativeCoinBalanceAndPrice) {
  must(h.chain().rpc().call("anvil_setBalance", json::array{hex::encode(view(account)), "0x14d1120d7b160000"}), "1.5 ETH");
  auto cfg = h.config();
  cfg.chains[0].prices.tokens[pricing::kNativeCoin].usd_peg = pricing::parse_decimal("2000");
  Server server(cfg);
  auto res = server.get(target + "&native=true");
  ASSERT_EQ(res.status, 200u) << res.body;
  EXPECT_EQ(json::serialize(json::parse(res.body).at("native")),
            R"({"symbol":"ETH","decimals":18,"balance":"1500000000000000000","balance_formatted":"1.5","usd_value":"3000.00"})");
  cfg.chains[0].settings.native_symbol = "";  // Tempo: no native coin
  Server tempo_like(cfg);
  EXPECT_EQ(json::serialize(json::parse(tempo_like.get(target + "&native=true").body).at("native")), "null");
}

TEST_F(ExtrasE2E, StreamSendsEachChangeIncludingAReorg) {
  auto cfg = h.indexed_config(dir.file("index.db"), 50, 64);
  cfg.max_streams = 2;
  auto owned = std::make_unique<Server>(cfg);
  Server& server = *owned;
  auto now = settled(server);
  const std::string stream = "/v2/credit/balances/stream?chain=base&owner=" + to_checksum(owner);
  EventReader events(server.port(), stream);
  auto head_text = events.head();
  EXPECT_NE(head_text.find("text/event-stream"), std::string::npos) << head_text;
  auto first = events.next_event(std::chrono::seconds(5));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->second, now.body);
  EXPECT_EQ(first->first, *now.header("x-block-number"));

  // A transfer: a new event within the freshness bound (one poll plus the stream's 250 ms).
  auto snap = must(h.chain().rpc().call("evm_snapshot", {}), "snapshot");
  must(h.chain().send(funder, tokens[2], transfer_call(account, 5555)), "new transfer");
  auto after = events.next_event(std::chrono::seconds(3));
  ASSERT_TRUE(after);
  auto current = settled(server);
  EXPECT_EQ(after->second, current.body);

  // A reorg that drops it: the event carries the body without it.
  ASSERT_TRUE(must(h.chain().rpc().call("evm_revert", json::array{snap}), "revert").as_bool());
  must(h.chain().mine(3), "outgrow");
  std::optional<std::pair<std::string, std::string>> reorged;
  eventually([&] {
    reorged = events.next_event(std::chrono::milliseconds(500));
    return reorged && reorged->second == now.body;
  });
  ASSERT_TRUE(reorged);
  EXPECT_EQ(reorged->second, now.body) << "the orphaned transfer is gone";

  // Last-Event-ID at the current block: nothing until something changes.
  auto settled_now = settled(server);
  EventReader resumed(server.port(), stream, "Last-Event-ID: " + *settled_now.header("x-block-number") + "\r\n");
  resumed.head();
  EXPECT_FALSE(resumed.next_event(std::chrono::milliseconds(800)));
  // Two streams are open: a third is refused.
  auto third = server.get(stream);
  EXPECT_EQ(third.status, 503u);
  EXPECT_TRUE(third.retry_after);
  // Shutdown ends both streams with the terminating chunk, not a reset.
  owned.reset();
  EXPECT_TRUE(events.ended(std::chrono::seconds(3)));
  EXPECT_TRUE(resumed.ended(std::chrono::seconds(3)));
}

}  // namespace
}  // namespace creditscope::e2e
