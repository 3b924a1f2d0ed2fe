#include "pricing/price_oracle.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>

#include "chain/abi.hpp"
#include "chain/blocks.hpp"
#include "chain/contract_calls.hpp"
#include "chain/http_client.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"
#include "core/metrics.hpp"

namespace creditscope::pricing {
namespace {
constexpr MetricFamily kPriceFetchesMetric{"creditscope_price_fetches_total", "Price refreshes, by source (chain, http) and outcome"};
}  // namespace
namespace json = boost::json;

std::optional<std::map<std::string, Decimal>> parse_coins_response(std::string_view body) {
  boost::system::error_code ec;
  auto doc = json::parse(body, ec);
  if (ec || !doc.is_object()) return std::nullopt;
  auto* coins = doc.as_object().if_contains("coins");
  if (!coins || !coins->is_object()) return std::nullopt;
  std::map<std::string, Decimal> out;
  for (const auto& [key, coin] : coins->as_object()) {
    if (!coin.is_object()) continue;
    auto* price = coin.as_object().if_contains("price");
    if (!price || !price->is_number()) continue;
    // Boost.JSON reads numbers as doubles; take the exact literal from the text instead and
    // cross-check it against the double so the scan cannot pick up the wrong number.
    std::string quoted = "\"" + std::string(key) + "\"";
    auto at = body.find(quoted);
    if (at == std::string_view::npos) continue;
    auto p = body.find("\"price\"", at);
    auto colon = p == std::string_view::npos ? p : body.find(':', p);
    if (colon == std::string_view::npos) continue;
    auto start = body.find_first_not_of(" \t\r\n", colon + 1);
    auto end = body.find_first_not_of("0123456789.eE+-", start);
    auto exact = parse_decimal(body.substr(start, end - start));
    const double approx = price->to_number<double>();
    if (!exact || !(approx > 0)) continue;
    const double check = exact->mantissa.convert_to<double>() / std::pow(10.0, exact->scale);
    if (std::fabs(check - approx) > 1e-9 * std::fabs(approx)) continue;
    std::string lower(key);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    out[lower] = *exact;
  }
  return out;
}

PriceOracle::PriceOracle(ChainPricing pricing, PricingOptions options, std::shared_ptr<chain::RpcClient> rpc)
    : pricing_(std::move(pricing)), options_(std::move(options)), rpc_(std::move(rpc)) {}

PriceOracle::~PriceOracle() { stop(); }

void PriceOracle::start() {
  if (pricing_.tokens.empty()) return;
  refresher_ = std::thread([this] { refresh_loop(); });
}

void PriceOracle::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

std::optional<Decimal> PriceOracle::price(const Address& token) {
  if (!listed(token)) return std::nullopt;
  std::lock_guard lock(mutex_);
  in_use_.insert(token);
  auto it = cache_.find(token);
  if (it == cache_.end()) {
    wake_now_ = true;  // first sight of a listed token: fetch it now, not at the next tick
    wake_.notify_all();
    return std::nullopt;
  }
  return it->second.price;
}

void PriceOracle::ensure(const std::vector<Address>& tokens) {
  std::set<Address> missing;
  {
    std::lock_guard lock(mutex_);
    for (const auto& t : tokens) {
      if (!listed(t)) continue;
      in_use_.insert(t);
      if (!cache_.count(t)) missing.insert(t);
    }
  }
  if (!missing.empty()) store(fetch(missing));
}

void PriceOracle::store(const std::map<Address, std::optional<Decimal>>& prices) {
  std::lock_guard lock(mutex_);
  bool changed = false;
  const auto now = std::chrono::steady_clock::now();
  for (const auto& [token, price] : prices) {
    auto it = cache_.find(token);
    if (it == cache_.end() || !(it->second.price.has_value() == price.has_value() &&
                                (!price || *it->second.price == *price)))
      changed = true;
    cache_[token] = Entry{price, now};
  }
  if (changed) ++epoch_;
}

void PriceOracle::refresh_loop() {
  for (;;) {
    std::set<Address> tokens;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, options_.ttl, [this] { return stopping_ || wake_now_; });
      if (stopping_) return;
      wake_now_ = false;
      tokens = in_use_;
    }
    if (!tokens.empty()) store(fetch(tokens));
  }
}

namespace {

struct RoundData {
  BigInt answer;  // signed
  std::uint64_t started_at = 0;
  std::uint64_t updated_at = 0;
};

std::optional<RoundData> decode_round(const std::optional<Bytes>& data) {
  if (!data || data->size() < 160) return std::nullopt;
  ByteView d = view(*data);
  RoundData r;
  U256 raw = u256_from_word(d.subspan(32, 32));
  r.answer = BigInt(raw);
  if (d[32] & 0x80) r.answer -= BigInt(1) << 256;  // int256 two's complement
  U256 started = u256_from_word(d.subspan(64, 32)), updated = u256_from_word(d.subspan(96, 32));
  if (started > UINT64_MAX || updated > UINT64_MAX) return std::nullopt;
  r.started_at = static_cast<std::uint64_t>(started);
  r.updated_at = static_cast<std::uint64_t>(updated);
  return r;
}

}  // namespace

std::map<Address, std::optional<Decimal>> PriceOracle::prices_at(const std::vector<Address>& tokens,
                                                                 std::uint64_t block_num) {
  std::set<Address> listed_tokens;
  for (const auto& t : tokens)
    if (listed(t)) listed_tokens.insert(t);
  return fetch(listed_tokens, block_num);
}

std::map<Address, std::optional<Decimal>> PriceOracle::fetch(const std::set<Address>& tokens,
                                                             std::optional<std::uint64_t> at_block) {
  static const auto kLatestRoundData = selector("latestRoundData()");
  static const auto kDecimals = selector("decimals()");
  static const auto kCurrency = selector("currency()");
  auto& metrics = Metrics::global();

  std::map<Address, std::optional<Decimal>> out;
  std::set<Address> feeds;
  std::vector<Address> currency_tokens;
  bool any_http = false;
  for (const auto& t : tokens) {
    out[t] = std::nullopt;
    const auto& src = pricing_.tokens.at(t);
    if (src.chainlink_feed) feeds.insert(*src.chainlink_feed);
    if (src.tip20_currency) currency_tokens.push_back(t);
    any_http |= src.http;
  }

  // On-chain sources, read at the head block (or the pinned one) in one batch.
  std::map<Address, Decimal> feed_prices;
  std::set<Address> usd_currency;
  if (!feeds.empty() || !currency_tokens.empty()) {
    auto head = at_block ? Result<std::uint64_t>(*at_block) : chain::fetch_head(*rpc_);
    auto header = head ? chain::fetch_headers(*rpc_, {*head}) : Result<std::map<std::uint64_t, chain::BlockHeader>>(head.error());
    std::vector<chain::ContractCall> calls;
    for (const auto& f : feeds) {
      calls.push_back({f, chain::abi::call_data(kLatestRoundData)});
      calls.push_back({f, chain::abi::call_data(kDecimals)});
    }
    if (pricing_.sequencer_uptime_feed) calls.push_back({*pricing_.sequencer_uptime_feed, chain::abi::call_data(kLatestRoundData)});
    for (const auto& t : currency_tokens) calls.push_back({t, chain::abi::call_data(kCurrency)});
    auto results = header ? chain::call_contracts(*rpc_, calls, *head,
                                                  chain::CallOptions{pricing_.multicall3, pricing_.eth_call_gas_cap, 300})
                          : Result<std::vector<std::optional<Bytes>>>(header.error());
    if (!results) {
      metrics.inc(kPriceFetchesMetric, {{"source", "chain"}, {"outcome", "error"}});
      std::cerr << "price feeds unreadable: " << results.error().message << "\n";
    } else {
      metrics.inc(kPriceFetchesMetric, {{"source", "chain"}, {"outcome", "ok"}});
      const std::uint64_t now = header->at(*head).timestamp;
      std::size_t i = 0;
      std::map<Address, std::pair<std::optional<RoundData>, std::optional<U256>>> raw;
      for (const auto& f : feeds) {
        auto decimals = (*results)[i + 1] ? chain::abi::decode_uint(view(*(*results)[i + 1])) : std::nullopt;
        raw[f] = {decode_round((*results)[i]), decimals};
        i += 2;
      }
      bool sequencer_up = true;
      if (pricing_.sequencer_uptime_feed) {
        // Chainlink's L2 sequencer feed: answer 0 = up, 1 = down; startedAt = when that began.
        auto s = decode_round((*results)[i++]);
        sequencer_up = s && s->answer == 0 && now >= s->started_at && now - s->started_at >= pricing_.sequencer_grace_s;
      }
      for (const auto& t : currency_tokens) {
        const auto& r = (*results)[i++];
        auto text = r ? chain::abi::decode_dynamic(view(*r), 0, 0) : std::nullopt;
        if (text && std::string(text->begin(), text->end()) == "USD") usd_currency.insert(t);
      }
      for (const auto& t : tokens) {
        const auto& src = pricing_.tokens.at(t);
        if (!src.chainlink_feed || !sequencer_up) continue;
        const auto& [round, decimals] = raw[*src.chainlink_feed];
        if (!round || !decimals || *decimals > 36 || round->answer <= 0) continue;
        if (round->updated_at > now + 300 || now - std::min(now, round->updated_at) > src.heartbeat_s) continue;  // stale
        feed_prices[t] = from_fixed_point(round->answer, static_cast<unsigned>(*decimals));
      }
    }
  }

  // The HTTP price API, one request for all tokens that list it.
  std::map<Address, Decimal> http_prices;
  if (any_http && !options_.http_base_url.empty() && !at_block) {  // it only knows current prices
    std::string url = options_.http_base_url + "/prices/current/";
    bool first = true;
    for (const auto& t : tokens) {
      if (!pricing_.tokens.at(t).http) continue;
      url += (first ? "" : ",") + pricing_.http_chain + ":" + hex::encode(view(t));
      first = false;
    }
    auto parsed_url = chain::parse_url(url);
    auto res = parsed_url ? chain::http_get(*parsed_url, chain::HttpOptions{options_.http_timeout, 8u << 20})
                          : Result<chain::HttpResponse>(parsed_url.error());
    auto coins = res && res->status == 200 ? parse_coins_response(res->body) : std::nullopt;
    metrics.inc(kPriceFetchesMetric, {{"source", "http"}, {"outcome", coins ? "ok" : "error"}});
    if (coins) {
      for (const auto& t : tokens) {
        auto it = coins->find(pricing_.http_chain + ":" + hex::encode(view(t)));
        if (it != coins->end()) http_prices[t] = it->second;
      }
    }
  }

  for (const auto& t : tokens) {
    const auto& src = pricing_.tokens.at(t);
    for (SourceKind kind : src.order) {
      std::optional<Decimal> p;
      switch (kind) {
        case SourceKind::kChainlink:
          if (auto it = feed_prices.find(t); it != feed_prices.end()) p = it->second;
          break;
        case SourceKind::kHttp:
          if (auto it = http_prices.find(t); it != http_prices.end()) p = it->second;
          break;
        case SourceKind::kPeg:
          p = src.usd_peg;
          break;
        case SourceKind::kTip20Currency:
          if (usd_currency.count(t)) p = Decimal{1, 0};
          break;
      }
      if (p) {
        out[t] = p;
        break;
      }
    }
  }
  return out;
}

}  // namespace creditscope::pricing
