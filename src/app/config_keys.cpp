#include "app/config_keys.hpp"

#include <algorithm>
#include <sstream>

#include "api/api_keys.hpp"
#include "core/address.hpp"
#include "core/u256.hpp"

namespace creditscope::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string& str(const ConfigValue& v) { return std::get<std::string>(v); }
std::int64_t num(const ConfigValue& v) { return std::get<std::int64_t>(v); }
bool flag(const ConfigValue& v) { return std::get<bool>(v); }
const std::vector<std::string>& list(const ConfigValue& v) { return std::get<std::vector<std::string>>(v); }

// "" for an empty string (feature off), else the parsed address.
std::string set_optional_address(std::optional<Address>& out, const ConfigValue& v) {
  if (str(v).empty()) {
    out.reset();
    return {};
  }
  auto a = parse_address(str(v));
  if (!a) return "must be an address: " + a.error().message;
  out = *a;
  return {};
}
std::string set_address(Address& out, const ConfigValue& v) {
  auto a = parse_address(str(v));
  if (!a) return "must be an address: " + a.error().message;
  out = *a;
  return {};
}
std::string http_url(const std::string& url) {
  return url.starts_with("http://") || url.starts_with("https://") ? std::string{} : "must be an http(s) URL";
}

// Setters are captureless lambdas; each names the field it fills, so the table reads as a map.
#define CS_SET(body) [](ConfigTarget & t, const ConfigValue& v) -> std::string { body; return {}; }

constexpr std::int64_t kMaxMs = 24 * 3600 * 1000;

const ConfigKey kKeys[] = {
    // [server]
    {"server.listen", ValueType::kString, R"("127.0.0.1:8080")", "host:port to listen on; port 0 picks a free one",
     false, 0, 0, "", CS_SET(t.app->server.listen = str(v))},
    {"server.api_keys_sha256", ValueType::kStringList, "[]",
     "hex SHA-256 of accepted x-api-key values; empty = the API is open (warned at start)", false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       if (auto keys = api::ApiKeys::from_hex_hashes(list(v)); !keys) return "entries must be 64 hex digits (a SHA-256 digest)";
       t.app->api_keys_sha256 = list(v);
       return {};
     }},
    {"server.io_threads", ValueType::kInteger, "2", "network threads", false, 1, 256, "",
     CS_SET(t.app->server.io_threads = static_cast<unsigned>(num(v)))},
    {"server.worker_threads", ValueType::kInteger, "16", "threads that wait on RPC for requests", false, 1, 4096, "",
     CS_SET(t.app->server.worker_threads = static_cast<unsigned>(num(v)))},
    {"server.max_connections", ValueType::kInteger, "1024", "more connections are answered 503 and closed", false, 1,
     1'000'000, "", CS_SET(t.app->server.max_connections = static_cast<std::size_t>(num(v)))},
    {"server.read_timeout_s", ValueType::kInteger, "15", "a whole request must arrive within this (slowloris)", false,
     1, 3600, "", CS_SET(t.app->server.read_timeout = seconds(num(v)))},
    {"server.idle_timeout_s", ValueType::kInteger, "60", "keep-alive connections idle longer are closed", false, 1,
     86400, "", CS_SET(t.app->server.idle_timeout = seconds(num(v)))},
    {"server.request_deadline_ms", ValueType::kInteger, "25000",
     "bounds a request's RPC work; a first request waits this long for its backfill", false, 1, kMaxMs, "",
     CS_SET(t.app->request_deadline = milliseconds(num(v)))},
    {"server.rate_limit_per_s", ValueType::kInteger, "0",
     "requests per second per API key (per client address when open); 0 = off; over it: 429", false, 0, 1'000'000,
     "", CS_SET(t.app->rate_limit_per_s = static_cast<double>(num(v)))},
    {"server.rate_limit_burst", ValueType::kInteger, "20", "requests allowed at once above the rate", false, 1,
     1'000'000, "", CS_SET(t.app->rate_limit_burst = static_cast<double>(num(v)))},
    {"server.cache_mb", ValueType::kInteger, "256",
     "answers kept in memory, least recently used out first; others are read from the store (one indexed read)",
     false, 1, 1'048'576, "", CS_SET(t.app->cache_mb = static_cast<std::size_t>(num(v)))},
    {"server.max_streams", ValueType::kInteger, "1000",
     "open /v2/credit/balances/stream connections; more are answered 503", false, 0, 1'000'000, "",
     CS_SET(t.app->max_streams = static_cast<std::size_t>(num(v)))},
    {"server.shutdown_grace_s", ValueType::kInteger, "10",
     "on SIGTERM: stop accepting, let requests in flight finish for up to this long, end streams, commit, exit 0",
     false, 0, 3600, "", CS_SET(t.app->shutdown_grace = seconds(num(v)))},
    {"server.new_accounts_per_min", ValueType::kInteger, "60",
     "first requests for accounts not tracked yet (each starts a backfill) per API key (per client address when "
     "open) per minute; over it: 429; 0 = off",
     false, 0, 1'000'000, "", CS_SET(t.app->new_accounts_per_min = static_cast<double>(num(v)))},
    {"server.max_concurrent_backfills", ValueType::kInteger, "8",
     "backfills started by requests and not finished, across chains; a further first request: 503 with Retry-After "
     "(tracked accounts are not affected)",
     false, 1, 1'000'000, "", CS_SET(t.app->max_concurrent_backfills = static_cast<std::size_t>(num(v)))},
    // [store]
    {"store.mode", ValueType::kString, R"("sqlite")",
     R"("sqlite": persistent index in one file (default); "postgres": shared by any number of replicas; "none": read the chain on every request)",
     false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       if (str(v) != "sqlite" && str(v) != "postgres" && str(v) != "none") return R"(must be "sqlite", "postgres" or "none")";
       t.app->store.mode = str(v);
       return {};
     }},
    {"store.path", ValueType::kString, R"("creditscope.db")", "SQLite file (WAL); its folder is created", false, 0, 0,
     "", CS_SET(t.app->store.path = str(v))},
    {"store.url", ValueType::kString, R"("")",
     "PostgreSQL URL postgresql://user:pass@host:port/db, required with mode \"postgres\"; the password is never logged",
     false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       if (!str(v).empty() && !str(v).starts_with("postgresql://") && !str(v).starts_with("postgres://"))
         return "must be a postgresql:// URL";
       t.app->store.url = str(v);
       return {};
     }},
    {"store.leader_lease_s", ValueType::kInteger, "10",
     "per chain one replica follows the head; another takes over within this after it dies", false, 1, 3600, "",
     CS_SET(t.app->store.leader_lease = seconds(num(v)))},
    {"store.untrack_after_days", ValueType::kInteger, "30",
     "an account nobody asked for in this many days is no longer followed (its data stays; a later request resumes "
     "it); 0 = never",
     false, 0, 36500, "", CS_SET(t.app->store.untrack_after = seconds(86400 * num(v)))},
    {"store.connections", ValueType::kInteger, "8", "PostgreSQL connections per process", false, 1, 1000, "",
     CS_SET(t.app->store.connections = static_cast<std::size_t>(num(v)))},
    // [pricing]
    {"pricing.ttl_s", ValueType::kInteger, "30", "cached prices are refreshed in the background this often", false, 1,
     86400, "", CS_SET(t.app->pricing.ttl = seconds(num(v)))},
    {"pricing.http_base_url", ValueType::kString, R"("")",
     "DefiLlama-format price API (GET {url}/prices/current/...); empty = HTTP source off", false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       std::string url = str(v);
       while (!url.empty() && url.back() == '/') url.pop_back();
       if (!url.empty())
         if (auto e = http_url(url); !e.empty()) return e;
       t.app->pricing.http_base_url = url;
       return {};
     }},
    {"pricing.http_timeout_ms", ValueType::kInteger, "3000", "one price API request may take this long", false, 1,
     kMaxMs, "", CS_SET(t.app->pricing.http_timeout = milliseconds(num(v)))},
    // [chains.<chain>]
    {"chains.<chain>.chain_id", ValueType::kInteger, "", "EIP-155 chain id; /readyz checks eth_chainId against it", true,
     1, std::numeric_limits<std::int64_t>::max(), "", CS_SET(t.chain->settings.chain_id = static_cast<std::uint64_t>(num(v)))},
    {"chains.<chain>.rpc_urls", ValueType::kStringList, "",
     "one or more http(s) JSON-RPC URLs; failed calls retry on the next", true, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       if (list(v).empty()) return "needs at least one URL";
       for (const auto& url : list(v))
         if (auto e = http_url(url); !e.empty()) return "entries " + e + " (got \"" + url + "\")";
       t.chain->settings.rpc_urls = list(v);
       return {};
     }},
    {"chains.<chain>.start_block", ValueType::kInteger, "0",
     "first block that can hold account activity; \"factory\" = the proxy_factory's deployment block (found once)",
     false, 0, std::numeric_limits<std::int64_t>::max(), "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       t.chain->settings.start_block_factory = std::holds_alternative<std::string>(v);
       t.chain->settings.start_block = t.chain->settings.start_block_factory ? 0 : static_cast<std::uint64_t>(num(v));
       return {};
     },
     "factory"},
    {"chains.<chain>.multicall3", ValueType::kString, R"("")",
     "Multicall3 address for batched reads; empty = eth_call batches", false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) { return set_optional_address(t.chain->settings.multicall3, v); }},
    {"chains.<chain>.logs_initial_span", ValueType::kInteger, "0",
     "blocks per eth_getLogs to start with; 0 = the whole range", false, 0, std::numeric_limits<std::int64_t>::max(), "",
     CS_SET(t.chain->settings.logs_initial_span = static_cast<std::uint64_t>(num(v)))},
    {"chains.<chain>.logs_max_span", ValueType::kInteger, "0", "never ask eth_getLogs for more blocks; 0 = no cap",
     false, 0, std::numeric_limits<std::int64_t>::max(), "",
     CS_SET(t.chain->settings.logs_max_span = static_cast<std::uint64_t>(num(v)))},
    {"chains.<chain>.rpc_timeout_ms", ValueType::kInteger, "10000", "one RPC attempt may take this long", false, 1,
     kMaxMs, "", CS_SET(t.chain->settings.rpc_timeout = milliseconds(num(v)))},
    {"chains.<chain>.rpc_max_batch", ValueType::kInteger, "100", "JSON-RPC calls per HTTP request", false, 1, 10000, "",
     CS_SET(t.chain->settings.rpc_max_batch = static_cast<std::size_t>(num(v)))},
    {"chains.<chain>.max_in_flight", ValueType::kInteger, "4",
     "HTTP requests in flight per RPC URL (a backfill's ranges run in parallel)", false, 1, 256, "",
     CS_SET(t.chain->settings.max_in_flight = static_cast<std::size_t>(num(v)))},
    {"chains.<chain>.max_rps", ValueType::kInteger, "0",
     "JSON-RPC calls per second per URL (each batch element counts); stays at 98% of it; 0 = unknown: back off on 429",
     false, 0, 1'000'000, "", CS_SET(t.chain->settings.max_rps = static_cast<double>(num(v)))},
    {"chains.<chain>.verify", ValueType::kString, R"("single")",
     R"("single": one URL answers each call; "quorum": every log range and every read at a block is asked of two URLs and compared, a third decides a disagreement (needs 2+ rpc_urls))",
     false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       if (str(v) != "single" && str(v) != "quorum") return R"(must be "single" or "quorum")";
       t.chain->settings.quorum = str(v) == "quorum";
       return {};
     }},
    {"chains.<chain>.quarantine_s", ValueType::kInteger, "300",
     "with verify = \"quorum\": a URL outvoted on an answer is not asked for this long", false, 1, 86400, "",
     CS_SET(t.chain->settings.quarantine = seconds(num(v)))},
    {"chains.<chain>.eth_call_gas_cap", ValueType::kInteger, "1000000", "gas for one token call made on its own", false,
     21000, 1'000'000'000, "", CS_SET(t.chain->settings.eth_call_gas_cap = static_cast<std::uint64_t>(num(v)))},
    {"chains.<chain>.max_lag_blocks", ValueType::kInteger, "64",
     "a URL this far behind the chain's best URL is used only as a last resort", false, 1, 1'000'000'000, "",
     CS_SET(t.chain->settings.max_lag_blocks = static_cast<std::uint64_t>(num(v)))},
    {"chains.<chain>.poll_interval_ms", ValueType::kInteger, "2000", "head polls; a new transfer shows within one",
     false, 10, kMaxMs, "ethereum=6000 base=1000 arbitrum=1000 tempo=500",
     CS_SET(t.chain->indexer.poll_interval = milliseconds(num(v)))},
    {"chains.<chain>.native_symbol", ValueType::kString, R"("ETH")",
     "the chain's coin, shown by native=true; \"none\": no native coin (native is null)", false, 0, 0,
     "tempo=\"none\"", CS_SET(t.chain->settings.native_symbol = str(v) == "none" ? std::string() : str(v))},
    {"chains.<chain>.native_decimals", ValueType::kInteger, "18", "decimals of the chain's coin", false, 0, 77, "",
     CS_SET(t.chain->settings.native_decimals = static_cast<unsigned>(num(v)))},
    {"chains.<chain>.finality_depth", ValueType::kInteger, "64", "blocks kept for reorg checks; deeper blocks are final",
     false, 1, 1'000'000, "ethereum=96 base=900 arbitrum=3600 tempo=4",
     CS_SET(t.chain->indexer.finality_depth = static_cast<std::uint64_t>(num(v)))},
    {"chains.<chain>.balance_refresh_s", ValueType::kInteger, "60",
     "every held balance is re-read at least this often (rebasing tokens)", false, 1, 86400 * 30, "",
     CS_SET(t.chain->indexer.balance_refresh = seconds(num(v)))},
    {"chains.<chain>.backfill_commit_blocks", ValueType::kInteger, "200000",
     "a backfill commits its progress at least every this many blocks", false, 1,
     std::numeric_limits<std::int64_t>::max(), "",
     CS_SET(t.chain->indexer.backfill_commit_blocks = static_cast<std::uint64_t>(num(v)))},
    // [chains.<chain>.credit_account]: SafeProxyFactory.createProxyWithNonce parameters
    {"chains.<chain>.credit_account.proxy_factory", ValueType::kString, "", "SafeProxyFactory address", true, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) { return set_address(t.chain->settings.credit_account.proxy_factory, v); }},
    {"chains.<chain>.credit_account.singleton", ValueType::kString, "", "Safe (L2) singleton address", true, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) { return set_address(t.chain->settings.credit_account.singleton, v); }},
    {"chains.<chain>.credit_account.fallback_handler", ValueType::kString, "", "fallback handler passed to Safe.setup",
     true, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) {
       return set_address(t.chain->settings.credit_account.fallback_handler, v);
     }},
    {"chains.<chain>.credit_account.salt_nonce", ValueType::kString, R"("0")", "saltNonce, a decimal uint256 string",
     false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       auto n = u256_from_decimal(str(v));
       if (!n) return "must be a decimal string such as \"0\"";
       t.chain->settings.credit_account.salt_nonce = *n;
       return {};
     }},
    // [chains.<chain>.pricing]
    {"chains.<chain>.pricing.sequencer_uptime_feed", ValueType::kString, R"("")",
     "L2 sequencer uptime feed; while down (or up for less than the grace) Chainlink prices are null", false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) { return set_optional_address(t.chain->prices.sequencer_uptime_feed, v); }},
    {"chains.<chain>.pricing.sequencer_grace_s", ValueType::kInteger, "3600", "grace period after the sequencer is back",
     false, 0, 86400 * 30, "", CS_SET(t.chain->prices.sequencer_grace_s = static_cast<std::uint64_t>(num(v)))},
    {"chains.<chain>.pricing.http_chain", ValueType::kString, "", "the price API's chain name; default: the chain's name",
     false, 0, 0, "", CS_SET(t.chain->prices.http_chain = str(v))},
    // [[chains.<chain>.prices]] (file only)
    {"chains.<chain>.prices[].token", ValueType::kString, "",
     "token address that gets a USD price, or \"native\" for the chain's coin (native=true)", true, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       if (str(v) == "native") {
         *t.price_token = pricing::kNativeCoin;
         return {};
       }
       Address a;
       if (auto e = set_address(a, v); !e.empty()) return e;
       *t.price_token = a;
       return {};
     }},
    {"chains.<chain>.prices[].chainlink", ValueType::kString, R"("")", "Chainlink AggregatorV3 feed (USD)", false, 0, 0,
     "", [](ConfigTarget& t, const ConfigValue& v) { return set_optional_address(t.price->chainlink_feed, v); }},
    {"chains.<chain>.prices[].heartbeat_s", ValueType::kInteger, "86400",
     "a feed round older than this (chain time) is stale: null", false, 1, 86400 * 365, "",
     CS_SET(t.price->heartbeat_s = static_cast<std::uint64_t>(num(v)))},
    {"chains.<chain>.prices[].http", ValueType::kBoolean, "false", "ask the HTTP price API", false, 0, 0, "",
     CS_SET(t.price->http = flag(v))},
    {"chains.<chain>.prices[].usd_peg", ValueType::kString, R"("")", "fixed USD price, a decimal string; empty = none",
     false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       if (str(v).empty()) {
         t.price->usd_peg.reset();
         return {};
       }
       auto d = pricing::parse_decimal(str(v));
       if (!d) return "must be a decimal string such as \"1\"";
       t.price->usd_peg = *d;
       return {};
     }},
    {"chains.<chain>.prices[].tip20_currency", ValueType::kBoolean, "false",
     "price 1 when the TIP-20 token's currency() is \"USD\"", false, 0, 0, "", CS_SET(t.price->tip20_currency = flag(v))},
    {"chains.<chain>.prices[].order", ValueType::kStringList, R"(["chainlink", "http", "peg", "tip20_currency"])",
     "sources tried in this order; the first valid price wins", false, 0, 0, "",
     [](ConfigTarget& t, const ConfigValue& v) -> std::string {
       t.price->order.clear();
       for (const auto& name : list(v)) {
         if (name == "chainlink") t.price->order.push_back(pricing::SourceKind::kChainlink);
         else if (name == "http") t.price->order.push_back(pricing::SourceKind::kHttp);
         else if (name == "peg") t.price->order.push_back(pricing::SourceKind::kPeg);
         else if (name == "tip20_currency") t.price->order.push_back(pricing::SourceKind::kTip20Currency);
         else return "entries are \"chainlink\", \"http\", \"peg\" or \"tip20_currency\" (got \"" + name + "\")";
       }
       return {};
     }},
};
#undef CS_SET

std::string_view type_name(ValueType t) {
  switch (t) {
    case ValueType::kString: return "string";
    case ValueType::kInteger: return "integer";
    case ValueType::kBoolean: return "boolean";
    case ValueType::kStringList: return "list of strings";
  }
  return "?";
}

}  // namespace

KeyScope ConfigKey::scope() const {
  if (path.find("prices[]") != std::string_view::npos) return KeyScope::kPrice;
  if (path.starts_with("chains.")) return KeyScope::kChain;
  return KeyScope::kTop;
}

std::string_view ConfigKey::default_for(std::string_view chain) const {
  std::string_view rest = chain_defaults;
  while (!rest.empty()) {
    auto space = rest.find(' ');
    std::string_view item = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    auto eq = item.find('=');
    if (item.substr(0, eq) == chain) return item.substr(eq + 1);
  }
  return default_toml;
}

std::span<const ConfigKey> config_keys() { return kKeys; }

std::string config_keys_markdown() {
  std::ostringstream out;
  out << "| key | type | default | what it does |\n| --- | --- | --- | --- |\n";
  for (const auto& k : kKeys) {
    out << "| `" << k.path << "` | " << type_name(k.type);
    if (!k.word.empty()) out << " or `\"" << k.word << "\"`";
    if (k.type == ValueType::kInteger && k.min != std::numeric_limits<std::int64_t>::min()) {
      out << ", " << k.min;
      if (k.max != std::numeric_limits<std::int64_t>::max()) out << ".." << k.max;
      else out << " or more";
    }
    out << " | ";
    if (k.required) out << "required";
    else if (k.default_toml.empty()) out << "(none)";
    else out << "`" << k.default_toml << "`";
    if (!k.chain_defaults.empty()) {
      std::string per_chain(k.chain_defaults);
      std::replace(per_chain.begin(), per_chain.end(), ' ', ',');
      std::string spaced;
      for (char c : per_chain) spaced += c == ',' ? std::string(", ") : std::string(1, c);
      out << " (" << spaced << ")";
    }
    out << " | " << k.doc << " |\n";
  }
  return out.str();
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::string::npos;
  for (const auto& c : candidates) {
    std::size_t d = edit_distance(word, c);
    bool related = d <= 2 || (word.substr(0, 3) == std::string_view(c).substr(0, 3) &&
                              d <= std::max(word.size(), c.size()) / 2);
    if (related && d < best_d) best = c, best_d = d;
  }
  return best;
}

}  // namespace creditscope::app
