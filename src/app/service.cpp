#include "app/service.hpp"

#include <unistd.h>

#include <iostream>
#include <random>

#include "api/http_caching.hpp"
#include "api/openapi_json.hpp"
#include "chain/http_client.hpp"
#include "chain/quorum_client.hpp"
#include "core/hex.hpp"
#include "core/json_writer.hpp"
#include "core/metrics.hpp"
#include "web/assets.hpp"

namespace creditscope::app {

namespace {
// The embedded description, with the chain enum of every route listing the configured chains.
std::string openapi_json(const api::ChainNames& chains) {
  if (chains.names().size() == std::size(api::kSpecChains)) return api::kOpenApiJson;
  auto doc = boost::json::parse(api::kOpenApiJson);
  boost::json::array names;
  for (const auto& n : chains.names()) names.emplace_back(n);
  for (auto& [path, item] : doc.at("paths").as_object())
    for (auto& [method, op] : item.as_object())
      if (auto* params = op.as_object().if_contains("parameters"))
        for (auto& p : params->as_array())
          if (p.at("name") == "chain") p.at("schema").as_object()["enum"] = names;
  return boost::json::serialize(doc) + "\n";
}
}  // namespace

Service::Service(const AppConfig& config) {
  std::map<std::string, api::ChainBackend> backends;
  std::string holder = "local";
  if (config.store.mode == "sqlite") {
    auto opened = store::open_sqlite(config.store.path);
    if (!opened) throw ErrorException(opened.error());
    store_ = std::move(*opened);
  } else if (config.store.mode == "postgres") {
    auto opened = store::open_postgres(config.store.url, config.store.connections);
    if (!opened) throw ErrorException(opened.error());
    store_ = std::move(*opened);
    // Replicas compete for each chain's lease under distinct names. (One SQLite file has one
    // process: a fixed name lets a restart after kill -9 lead at once instead of after the lease.)
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::random_device random;
    holder = std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(random() % 100000);
  }
  cache_ = std::make_shared<indexer::SnapshotCache>(config.cache_mb << 20);
  for (const auto& [settings, indexer_options, prices] : config.chains) {
    auto rt = std::make_unique<ChainRuntime>();
    rt->settings = settings;
    chain::RpcOptions rpc_options;
    rpc_options.chain = settings.name;
    rpc_options.urls = settings.rpc_urls;
    rpc_options.timeout = settings.rpc_timeout;
    rpc_options.max_batch = settings.rpc_max_batch;
    rpc_options.expected_chain_id = settings.chain_id;
    rpc_options.max_lag_blocks = settings.max_lag_blocks;
    rpc_options.max_in_flight = settings.max_in_flight;
    rpc_options.max_rps = settings.max_rps;
    if (settings.quorum) {
      // One client per URL, each with its own retries, breaker and budget; the quorum compares them.
      std::vector<std::shared_ptr<chain::RpcClient>> clients;
      std::vector<std::string> names;
      for (const auto& url : settings.rpc_urls) {
        auto one = rpc_options;
        one.urls = {url};
        clients.push_back(std::make_shared<chain::HttpRpcClient>(one));
        names.push_back(chain::redact_url(url));
      }
      rt->rpc = std::make_shared<chain::QuorumRpcClient>(settings.name, std::move(clients), std::move(names),
                                                          settings.quarantine);
    } else {
      rt->rpc = std::make_shared<chain::HttpRpcClient>(rpc_options);
    }
    rt->deriver = std::make_unique<chain::CreditAccountDeriver>(settings.credit_account, *rt->rpc);
    if (store_) {
      auto options = indexer_options;
      options.request_deadline = config.request_deadline;
      options.untrack_after = config.store.untrack_after;
      options.lease_ttl = config.store.leader_lease;
      options.holder = holder;
      auto indexer = std::make_unique<indexer::ChainIndexer>(settings, options, rt->rpc, *store_, cache_);
      indexer->start();
      rt->indexer = indexer.get();
      rt->source = std::move(indexer);
    } else {
      rt->source = std::make_unique<chain::LiveAccountSource>(settings, rt->rpc);
    }
    if (!prices.tokens.empty()) {
      rt->prices = std::make_unique<pricing::PriceOracle>(prices, config.pricing, rt->rpc);
      rt->prices->start();
    }
    backends[settings.name] = {rt->deriver.get(), rt->source.get(), rt->prices.get(), rt->rpc.get(), &rt->settings,
                               indexer_options.finality_depth};
    chains_[settings.name] = std::move(rt);
  }
  auto keys = api::ApiKeys::from_hex_hashes(config.api_keys_sha256);
  if (!keys) throw std::runtime_error(keys.error().message);
  api::HandlerOptions handler_options;
  handler_options.deadline = config.request_deadline;
  handler_options.max_streams = config.max_streams;
  handler_options.new_accounts_per_min = config.new_accounts_per_min;
  handler_options.max_concurrent_backfills = config.max_concurrent_backfills;
  // Renderings with extras and pinned final answers: a quarter of the answer cache, at most 64 MiB.
  handler_options.answer_cache_bytes = std::min<std::size_t>(64u << 20, (config.cache_mb << 20) / 4);
  balances_ = std::make_unique<api::BalancesHandler>(std::move(backends), handler_options);

  auto json_route = [](std::string body) {
    return [body = std::move(body)](const api::ApiRequest&) { return api::ApiResponse{200, body, "application/json", {}}; };
  };
  std::vector<api::Route> routes;
  routes.push_back({"/v2/credit/balances", [this](const api::ApiRequest& r) { return balances_->handle(r); }, true, true,
                    [this](const api::ApiRequest& r) { return balances_->try_fast(r); }});
  routes.push_back({"/v2/credit/balances/all", [this](const api::ApiRequest& r) { return balances_->all(r); }, true, true});
  routes.push_back({"/v2/credit/balances/stream", [this](const api::ApiRequest& r) { return balances_->stream(r); }, true, true});
  routes.push_back({"/v2/credit/transfers", [this](const api::ApiRequest& r) { return balances_->transfers(r); }, true, true});
  routes.push_back({"/v2/credit/status", [this](const api::ApiRequest& r) { return balances_->status(r); }, true, true});
  routes.push_back({"/openapi.json", json_route(openapi_json(balances_->chain_names())), false, false});
  // The embedded pages (Swagger UI at /docs): open like /openapi.json; "Try it out" sends the key
  // a person types into its Authorize dialog.
  for (const auto& asset : web::assets()) {
    auto encoded = std::make_shared<const api::EncodedAnswer>(std::string(asset.body));
    const std::string type(asset.content_type);
    routes.push_back({std::string(asset.path),
                      [encoded, type](const api::ApiRequest& r) { return api::cached_response(r, *encoded, "public, max-age=3600", type); },
                      false, false});
  }
  routes.push_back({"/healthz", json_route(R"({"status":"ok"})"), false, false});
  routes.push_back({"/readyz", [this](const api::ApiRequest&) { return readyz(); }, false, false});
  routes.push_back({"/metrics",
                    [](const api::ApiRequest&) {
                      return api::ApiResponse{200, Metrics::global().render(), "text/plain; version=0.0.4", {}};
                    },
                    false, false});
  router_ = std::make_unique<api::Router>(std::move(routes), std::move(*keys), config.rate_limit_per_s,
                                          config.rate_limit_burst);
}

Service::~Service() {
  stop();
  for (auto& [_, rt] : chains_) {
    rt->source.reset();  // indexers go before the store closes
    rt->prices.reset();
  }
}

void Service::stop() {
  // Stopped, not destroyed: a request the shutdown grace did not wait for may still hold them.
  for (auto& [_, rt] : chains_)
    if (rt->indexer) rt->indexer->stop();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (readiness_thread_.joinable()) readiness_thread_.join();
}

Result<Address> Service::derive(const std::string& chain, const Address& owner) {
  auto it = chains_.find(chain);
  if (it == chains_.end()) return make_error(Errc::kNotConfigured, "chain '" + chain + "' is not configured");
  return it->second->deriver->derive(owner);
}

api::ApiResponse Service::readyz() const {
  std::string pending, unfollowed;
  for (const auto& [name, rt] : chains_) {
    if (!rt->ready) pending += (pending.empty() ? "" : ", ") + name;
    // With a store: it answers, and some replica (this one or another) follows the chain.
    if (rt->indexer && !rt->indexer->followed()) unfollowed += (unfollowed.empty() ? "" : ", ") + name;
  }
  if (pending.empty() && unfollowed.empty()) return api::ApiResponse{200, R"({"status":"ready"})", "application/json", {}};
  auto r = api::detail_response(
      503, !pending.empty() ? "Waiting for eth_chainId to match the configured chain id: " + pending
                            : "Waiting for the store and a replica following the chain: " + unfollowed);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

void Service::start_readiness_checks() {
  readiness_thread_ = std::thread([this] { readiness_loop(); });
}

void Service::readiness_loop() {
  for (;;) {
    bool all_ready = true;
    for (auto& [name, rt] : chains_) {
      auto id = rt->rpc->call("eth_chainId", {});
      bool answered = false;
      std::uint64_t reported = 0;
      if (id && id->is_string()) {
        if (auto value = hex::decode_quantity(id->as_string())) {
          answered = true;
          reported = *value;
        }
      }
      const bool ok = answered && reported == rt->settings.chain_id;
      if (!ok && rt->ready)
        std::cerr << "chain " << name << " is no longer ready: "
                  << (answered ? "eth_chainId " + std::to_string(reported) + " != " + std::to_string(rt->settings.chain_id)
                               : std::string("eth_chainId failed"))
                  << "\n";
      if (answered && !ok)
        std::cerr << "chain " << name << ": RPC reports chain id " << reported << ", configured "
                  << rt->settings.chain_id << "\n";
      rt->ready = ok;
      all_ready &= ok;
    }
    std::unique_lock lock(mutex_);
    if (wake_.wait_for(lock, all_ready ? std::chrono::seconds(30) : std::chrono::seconds(1), [this] { return stopping_; }))
      return;
  }
}

}  // namespace creditscope::app
