#include "app/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <toml++/toml.h>

#include "api/validation.hpp"
#include "core/address.hpp"

extern char** environ;

namespace creditscope::app {

std::string env_name(std::string_view dotted_key) {
  std::string out = "CREDITSCOPE_";
  for (char c : dotted_key) out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

namespace {

enum class Kind { kString, kInt, kStringList };

struct Key {
  const char* path;  // relative to its section
  Kind kind;
};

constexpr Key kServerKeys[] = {
    {"listen", Kind::kString},         {"api_keys_sha256", Kind::kStringList}, {"io_threads", Kind::kInt},
    {"worker_threads", Kind::kInt},    {"max_connections", Kind::kInt},        {"read_timeout_s", Kind::kInt},
    {"idle_timeout_s", Kind::kInt},    {"request_deadline_ms", Kind::kInt},
    {"rate_limit_per_s", Kind::kInt},  {"rate_limit_burst", Kind::kInt},
};
constexpr Key kStoreKeys[] = {{"mode", Kind::kString}, {"path", Kind::kString}};
constexpr Key kPricingKeys[] = {{"ttl_s", Kind::kInt}, {"http_base_url", Kind::kString}, {"http_timeout_ms", Kind::kInt}};
constexpr Key kChainKeys[] = {
    {"chain_id", Kind::kInt},
    {"rpc_urls", Kind::kStringList},
    {"start_block", Kind::kInt},
    {"multicall3", Kind::kString},
    {"logs_initial_span", Kind::kInt},
    {"logs_max_span", Kind::kInt},
    {"rpc_timeout_ms", Kind::kInt},
    {"rpc_max_batch", Kind::kInt},
    {"eth_call_gas_cap", Kind::kInt},
    {"poll_interval_ms", Kind::kInt},
    {"finality_depth", Kind::kInt},
    {"balance_refresh_s", Kind::kInt},
    {"backfill_commit_blocks", Kind::kInt},
    {"max_lag_blocks", Kind::kInt},
    {"pricing.sequencer_uptime_feed", Kind::kString},
    {"pricing.sequencer_grace_s", Kind::kInt},
    {"pricing.http_chain", Kind::kString},
    {"credit_account.proxy_factory", Kind::kString},
    {"credit_account.singleton", Kind::kString},
    {"credit_account.fallback_handler", Kind::kString},
    {"credit_account.salt_nonce", Kind::kString},
};

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::stringstream ss(v);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// Writes an environment override into the TOML tree at section.path.
Result<void> apply_override(toml::table& root, const std::string& section, const Key& key, const std::string& value) {
  std::string full = section + "." + key.path;
  toml::table* table = &root;
  std::stringstream ss(full);
  std::string part;
  std::vector<std::string> parts;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    auto [it, inserted] = table->insert(parts[i], toml::table{});
    table = it->second.as_table();
    if (!table) return make_error(Errc::kInvalidInput, full + " is not a table");
  }
  const std::string& leaf = parts.back();
  switch (key.kind) {
    case Kind::kString: table->insert_or_assign(leaf, value); break;
    case Kind::kInt: {
      char* end = nullptr;
      long long n = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0') return make_error(Errc::kInvalidInput, env_name(full) + " must be an integer");
      table->insert_or_assign(leaf, n);
      break;
    }
    case Kind::kStringList: {
      toml::array arr;
      for (auto& s : split_list(value)) arr.push_back(s);
      table->insert_or_assign(leaf, std::move(arr));
      break;
    }
  }
  return {};
}

struct Reader {
  const toml::table& table;
  std::string where;
  std::optional<Error> error;

  template <class T>
  T integer(std::string_view key, T fallback, T min = 0) {
    auto node = table.at_path(key);
    if (!node) return fallback;
    auto v = node.value<std::int64_t>();
    if (!v || *v < static_cast<std::int64_t>(min)) {
      fail(std::string(key) + " must be an integer >= " + std::to_string(min));
      return fallback;
    }
    return static_cast<T>(*v);
  }
  std::optional<std::string> string(std::string_view key) {
    auto node = table.at_path(key);
    if (!node) return std::nullopt;
    auto v = node.value<std::string>();
    if (!v) fail(std::string(key) + " must be a string");
    return v;
  }
  std::vector<std::string> strings(std::string_view key) {
    std::vector<std::string> out;
    auto node = table.at_path(key);
    if (!node) return out;
    auto* arr = node.as_array();
    if (!arr) {
      fail(std::string(key) + " must be an array of strings");
      return out;
    }
    for (const auto& e : *arr) {
      auto s = e.value<std::string>();
      if (!s) fail(std::string(key) + " must be an array of strings");
      else out.push_back(*s);
    }
    return out;
  }
  std::optional<Address> address(std::string_view key, bool required) {
    auto s = string(key);
    if (!s) {
      if (required && !error) fail(std::string(key) + " is required");
      return std::nullopt;
    }
    auto a = parse_address(*s);
    if (!a) {
      fail(std::string(key) + ": " + a.error().message);
      return std::nullopt;
    }
    return *a;
  }
  void fail(const std::string& msg) {
    if (!error) error = make_error(Errc::kInvalidInput, where + msg);
  }
};

Result<void> parse_prices(const toml::table& chain_table, const std::string& where, const chain::ChainSettings& c,
                          pricing::ChainPricing& out) {
  out.multicall3 = c.multicall3;
  out.eth_call_gas_cap = c.eth_call_gas_cap;
  out.http_chain = c.name;
  if (auto* p = chain_table["pricing"].as_table()) {
    Reader r{*p, where + "pricing.", std::nullopt};
    if (auto feed = r.string("sequencer_uptime_feed"); feed && !feed->empty()) out.sequencer_uptime_feed = r.address("sequencer_uptime_feed", false);
    out.sequencer_grace_s = r.integer<std::uint64_t>("sequencer_grace_s", out.sequencer_grace_s);
    out.http_chain = r.string("http_chain").value_or(out.http_chain);
    if (r.error) return *r.error;
  }
  auto* list = chain_table["prices"].as_array();
  if (!list) return {};
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto* t = list->get(i)->as_table();
    if (!t) return make_error(Errc::kInvalidInput, where + "prices entries must be tables");
    Reader r{*t, where + "prices[" + std::to_string(i) + "].", std::nullopt};
    auto token = r.address("token", true);
    pricing::TokenSources src;
    if (auto feed = r.string("chainlink"); feed && !feed->empty()) src.chainlink_feed = r.address("chainlink", false);
    src.heartbeat_s = r.integer<std::uint64_t>("heartbeat_s", src.heartbeat_s, 1);
    if (auto* http = t->get("http")) src.http = http->value<bool>().value_or(false);
    if (auto* cur = t->get("tip20_currency")) src.tip20_currency = cur->value<bool>().value_or(false);
    if (auto peg = r.string("usd_peg")) {
      src.usd_peg = pricing::parse_decimal(*peg);
      if (!src.usd_peg) r.fail("usd_peg must be a decimal string such as \"1\"");
    }
    if (t->contains("order")) {
      src.order.clear();
      for (const auto& name : r.strings("order")) {
        if (name == "chainlink") src.order.push_back(pricing::SourceKind::kChainlink);
        else if (name == "http") src.order.push_back(pricing::SourceKind::kHttp);
        else if (name == "peg") src.order.push_back(pricing::SourceKind::kPeg);
        else if (name == "tip20_currency") src.order.push_back(pricing::SourceKind::kTip20Currency);
        else r.fail("order entries are chainlink, http, peg or tip20_currency");
      }
    }
    if (r.error) return *r.error;
    out.tokens[*token] = src;
  }
  return {};
}

}  // namespace

Result<AppConfig> parse_config(std::string_view toml_text, const std::string& path,
                               const std::vector<std::pair<std::string, std::string>>& env) {
  toml::table root;
  try {
    root = toml::parse(toml_text, path);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << path << ": " << e.description() << " at line " << e.source().begin.line;
    return make_error(Errc::kInvalidInput, msg.str());
  }
  std::map<std::string, std::string> env_map(env.begin(), env.end());
  for (const auto& key : kServerKeys) {
    if (auto it = env_map.find(env_name(std::string("server.") + key.path)); it != env_map.end())
      if (auto r = apply_override(root, "server", key, it->second); !r) return r.error();
  }
  for (const auto& key : kStoreKeys) {
    if (auto it = env_map.find(env_name(std::string("store.") + key.path)); it != env_map.end())
      if (auto r = apply_override(root, "store", key, it->second); !r) return r.error();
  }
  for (const auto& key : kPricingKeys) {
    if (auto it = env_map.find(env_name(std::string("pricing.") + key.path)); it != env_map.end())
      if (auto r = apply_override(root, "pricing", key, it->second); !r) return r.error();
  }
  std::vector<std::string> chain_names(std::begin(api::kSpecChains), std::end(api::kSpecChains));
  if (auto* chains = root["chains"].as_table())
    for (const auto& [name, _] : *chains) chain_names.emplace_back(name.str());
  std::sort(chain_names.begin(), chain_names.end());
  chain_names.erase(std::unique(chain_names.begin(), chain_names.end()), chain_names.end());
  for (const auto& name : chain_names)
    for (const auto& key : kChainKeys)
      if (auto it = env_map.find(env_name("chains." + name + "." + key.path)); it != env_map.end())
        if (auto r = apply_override(root, "chains." + name, key, it->second); !r) return r.error();

  AppConfig cfg;
  long request_deadline_ms = 25000;
  if (auto* server = root["server"].as_table()) {
    Reader r{*server, path + ": server.", std::nullopt};
    if (auto listen = r.string("listen")) cfg.server.listen = *listen;
    cfg.api_keys_sha256 = r.strings("api_keys_sha256");
    cfg.server.io_threads = r.integer<unsigned>("io_threads", cfg.server.io_threads, 1);
    cfg.server.worker_threads = r.integer<unsigned>("worker_threads", cfg.server.worker_threads, 1);
    cfg.server.max_connections = r.integer<std::size_t>("max_connections", cfg.server.max_connections, 1);
    cfg.server.read_timeout = std::chrono::seconds(r.integer<long>("read_timeout_s", cfg.server.read_timeout.count(), 1));
    cfg.server.idle_timeout = std::chrono::seconds(r.integer<long>("idle_timeout_s", cfg.server.idle_timeout.count(), 1));
    request_deadline_ms = r.integer<long>("request_deadline_ms", request_deadline_ms, 1);
    cfg.rate_limit_per_s = static_cast<double>(r.integer<long>("rate_limit_per_s", 0));
    cfg.rate_limit_burst = static_cast<double>(r.integer<long>("rate_limit_burst", 20, 1));
    if (r.error) return *r.error;
  }
  if (auto* store = root["store"].as_table()) {
    Reader r{*store, path + ": store.", std::nullopt};
    cfg.store.mode = r.string("mode").value_or(cfg.store.mode);
    cfg.store.path = r.string("path").value_or(cfg.store.path);
    if (cfg.store.mode != "sqlite" && cfg.store.mode != "none") r.fail("mode must be \"sqlite\" or \"none\"");
    if (r.error) return *r.error;
  }
  if (auto* pricing = root["pricing"].as_table()) {
    Reader r{*pricing, path + ": pricing.", std::nullopt};
    cfg.pricing.ttl = std::chrono::milliseconds(1000 * r.integer<long>("ttl_s", 30, 1));
    cfg.pricing.http_base_url = r.string("http_base_url").value_or("");
    while (!cfg.pricing.http_base_url.empty() && cfg.pricing.http_base_url.back() == '/') cfg.pricing.http_base_url.pop_back();
    cfg.pricing.http_timeout = std::chrono::milliseconds(r.integer<long>("http_timeout_ms", 3000, 1));
    if (!cfg.pricing.http_base_url.empty() && !cfg.pricing.http_base_url.starts_with("http://") &&
        !cfg.pricing.http_base_url.starts_with("https://"))
      r.fail("http_base_url must be an http(s) URL");
    if (r.error) return *r.error;
  }
  if (auto* chains = root["chains"].as_table()) {
    for (const auto& [name, node] : *chains) {
      auto* t = node.as_table();
      if (!t) return make_error(Errc::kInvalidInput, path + ": chains." + std::string(name.str()) + " must be a table");
      ChainConfig cc;
      chain::ChainSettings& c = cc.settings;
      c.name = name.str();
      if (std::find(std::begin(api::kSpecChains), std::end(api::kSpecChains), c.name) == std::end(api::kSpecChains))
        return make_error(Errc::kInvalidInput, path + ": chains." + c.name + " is not one of the API's chains");
      Reader r{*t, path + ": chains." + c.name + ".", std::nullopt};
      c.chain_id = r.integer<std::uint64_t>("chain_id", 0, 1);
      if (!t->contains("chain_id")) r.fail("chain_id is required");
      c.rpc_urls = r.strings("rpc_urls");
      if (c.rpc_urls.empty()) r.fail("rpc_urls needs at least one URL");
      c.start_block = r.integer<std::uint64_t>("start_block", 0);
      if (auto mc = r.string("multicall3"); mc && !mc->empty()) c.multicall3 = r.address("multicall3", false);
      c.logs_initial_span = r.integer<std::uint64_t>("logs_initial_span", 0);
      c.logs_max_span = r.integer<std::uint64_t>("logs_max_span", 0);
      c.rpc_timeout = std::chrono::milliseconds(r.integer<long>("rpc_timeout_ms", 10000, 1));
      c.rpc_max_batch = r.integer<std::size_t>("rpc_max_batch", 100, 1);
      c.eth_call_gas_cap = r.integer<std::uint64_t>("eth_call_gas_cap", 1'000'000, 21000);
      c.max_lag_blocks = r.integer<std::uint64_t>("max_lag_blocks", c.max_lag_blocks, 1);
      cc.indexer = indexer::default_indexer_options(c.name);
      cc.indexer.poll_interval = std::chrono::milliseconds(r.integer<long>("poll_interval_ms", cc.indexer.poll_interval.count(), 10));
      cc.indexer.finality_depth = r.integer<std::uint64_t>("finality_depth", cc.indexer.finality_depth, 1);
      cc.indexer.balance_refresh = std::chrono::seconds(r.integer<long>("balance_refresh_s", cc.indexer.balance_refresh.count(), 1));
      cc.indexer.request_deadline = std::chrono::milliseconds(request_deadline_ms);
      cc.indexer.backfill_commit_blocks = r.integer<std::uint64_t>("backfill_commit_blocks", cc.indexer.backfill_commit_blocks, 1);
      auto factory = r.address("credit_account.proxy_factory", true);
      auto singleton = r.address("credit_account.singleton", true);
      auto handler = r.address("credit_account.fallback_handler", true);
      auto nonce = r.string("credit_account.salt_nonce").value_or("0");
      auto nonce_value = u256_from_decimal(nonce);
      if (!nonce_value) r.fail("credit_account.salt_nonce must be a decimal string");
      if (r.error) return *r.error;
      c.credit_account = {*factory, *singleton, *handler, *nonce_value};
      if (auto r = parse_prices(*t, path + ": chains." + c.name + ".", c, cc.prices); !r) return r.error();
      for (const auto& url : c.rpc_urls)
        if (!url.starts_with("http://") && !url.starts_with("https://"))
          return make_error(Errc::kInvalidInput, path + ": chains." + c.name + ".rpc_urls entries must be http(s) URLs");
      cfg.chains.push_back(std::move(cc));
    }
  }
  return cfg;
}

Result<AppConfig> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::kInvalidInput, "cannot read config file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::pair<std::string, std::string>> env;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("CREDITSCOPE_")) continue;
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return parse_config(ss.str(), path, env);
}

}  // namespace creditscope::app
