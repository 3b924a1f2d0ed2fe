#include "chain/rpc_client.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <iostream>
#include <thread>

#include "chain/http_client.hpp"
#include "core/hex.hpp"
#include "core/metrics.hpp"

namespace creditscope::chain {
namespace {
constexpr MetricFamily kWrongChainMetric{"creditscope_rpc_wrong_chain_total", "Health checks that found a URL serving another chain id"};
constexpr MetricFamily kLaggingMetric{"creditscope_rpc_lagging_total", "Health checks that found a URL more than max_lag_blocks behind"};
constexpr MetricFamily kBreakerTripsMetric{"creditscope_rpc_breaker_trips_total", "Times a URL's circuit breaker opened after consecutive failures"};
constexpr MetricFamily kRpcCallsMetric{"creditscope_rpc_calls_total", "JSON-RPC calls (batch elements), by chain, method and outcome"};
constexpr MetricFamily kRpcHttpRequestsMetric{"creditscope_rpc_http_requests_total", "HTTP requests sent to RPC URLs (one carries a batch)"};
}  // namespace

namespace {
thread_local std::optional<std::chrono::steady_clock::time_point> t_deadline;
}

ScopedDeadline::ScopedDeadline(std::chrono::steady_clock::time_point deadline) : previous_(t_deadline) {
  if (!t_deadline || deadline < *t_deadline) t_deadline = deadline;
}
ScopedDeadline::~ScopedDeadline() { t_deadline = previous_; }
std::optional<std::chrono::steady_clock::time_point> ScopedDeadline::current() { return t_deadline; }

Result<json::value> RpcClient::call(std::string method, json::array params) {
  std::vector<RpcRequest> one;
  one.push_back({std::move(method), std::move(params)});
  auto results = batch(one);
  if (!results) return results.error();
  return std::move((*results)[0]);
}

HttpRpcClient::HttpRpcClient(RpcOptions options) : options_(std::move(options)) {
  if (options_.urls.empty()) throw std::invalid_argument("chain " + options_.chain + " has no rpc_urls");
  for (const auto& u : options_.urls) {
    auto parsed = parse_url(u);
    if (!parsed) throw std::invalid_argument("bad RPC URL " + redact_url(u) + ": " + parsed.error().message);
    urls_.push_back(*parsed);
  }
  breakers_.resize(urls_.size());
}

std::size_t HttpRpcClient::pick_url(std::size_t after) {
  std::lock_guard lock(breaker_mutex_);
  const auto now = std::chrono::steady_clock::now();
  // Prefer healthy URLs, then lagging ones with a closed breaker, then anything on the right chain.
  for (int pass = 0; pass < 3; ++pass) {
    for (std::size_t k = 0; k < urls_.size(); ++k) {
      std::size_t i = (after + k) % urls_.size();
      const auto& b = breakers_[i];
      if (b.wrong_chain) continue;
      if (pass == 0 && (b.lagging || b.open_until > now)) continue;
      if (pass == 1 && b.open_until > now) continue;
      return i;
    }
  }
  return urls_.size();  // every URL serves another chain
}

void HttpRpcClient::check_health() {
  if (!options_.expected_chain_id && !options_.max_lag_blocks) return;
  // Until the first verdict exists every caller waits for it: a request must not reach a URL of
  // another chain just because the check was still running. Later checks run in whichever
  // thread finds one due, while the others go on with the previous verdicts.
  std::unique_lock first(first_check_mutex_, std::defer_lock);
  if (!checked_once_) first.lock();
  {
    std::lock_guard lock(breaker_mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (checked_once_ && now < next_health_check_) return;
    next_health_check_ = now + options_.health_interval;
  }
  // Outside the lock: these are network calls.
  std::vector<std::optional<std::uint64_t>> chain_ids(urls_.size()), heads(urls_.size());
  for (std::size_t i = 0; i < urls_.size(); ++i) {
    auto res = http_post(urls_[i],
                         R"([{"jsonrpc":"2.0","id":0,"method":"eth_chainId","params":[]},)"
                         R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}])",
                         HttpOptions{options_.timeout});
    if (!res || res->status != 200) continue;
    boost::system::error_code ec;
    auto doc = json::parse(res->body, ec);
    if (ec || !doc.is_array()) continue;
    for (const auto& item : doc.as_array()) {
      if (!item.is_object()) continue;
      auto* id = item.as_object().if_contains("id");
      auto* result = item.as_object().if_contains("result");
      if (!id || !result || !result->is_string()) continue;
      auto value = hex::decode_quantity(result->as_string());
      if (*id == 0) chain_ids[i] = value;
      if (*id == 1) heads[i] = value;
    }
  }
  std::uint64_t best = 0;
  for (std::size_t i = 0; i < urls_.size(); ++i)
    if (heads[i] && (!options_.expected_chain_id || chain_ids[i] == options_.expected_chain_id)) best = std::max(best, *heads[i]);
  std::lock_guard lock(breaker_mutex_);
  for (std::size_t i = 0; i < urls_.size(); ++i) {
    auto& b = breakers_[i];
    const bool wrong = options_.expected_chain_id && chain_ids[i] && *chain_ids[i] != options_.expected_chain_id;
    const bool lagging = options_.max_lag_blocks && heads[i] && *heads[i] + options_.max_lag_blocks < best;
    if (wrong && !b.wrong_chain)
      std::cerr << "RPC URL " << redact_url(options_.urls[i]) << " serves chain " << *chain_ids[i] << ", not "
                << options_.expected_chain_id << ": not used\n";
    if (wrong) Metrics::global().inc(kWrongChainMetric, {{"chain", options_.chain}, {"url", redact_url(options_.urls[i])}});
    if (lagging) Metrics::global().inc(kLaggingMetric, {{"chain", options_.chain}, {"url", redact_url(options_.urls[i])}});
    // A URL that did not answer keeps its last verdict; the breaker handles it meanwhile.
    if (chain_ids[i]) b.wrong_chain = wrong;
    if (heads[i]) b.lagging = lagging;
  }
  checked_once_ = true;
}

void HttpRpcClient::record(std::size_t url, bool ok) {
  std::lock_guard lock(breaker_mutex_);
  auto& b = breakers_[url];
  if (ok) {
    b.failures = 0;
    return;
  }
  if (++b.failures >= options_.breaker_failures) {
    b.failures = 0;
    b.open_until = std::chrono::steady_clock::now() + options_.breaker_open;
    Metrics::global().inc(kBreakerTripsMetric,
                          {{"chain", options_.chain}, {"url", redact_url(options_.urls[url])}});
  }
}

Result<std::vector<Result<json::value>>> HttpRpcClient::batch(const std::vector<RpcRequest>& requests) {
  check_health();
  std::vector<Result<json::value>> out;
  out.reserve(requests.size());
  for (std::size_t begin = 0; begin < requests.size(); begin += options_.max_batch) {
    std::size_t end = std::min(requests.size(), begin + options_.max_batch);
    auto chunk = send_chunk(requests, begin, end);
    if (!chunk) return chunk.error();
    for (auto& r : *chunk) out.push_back(std::move(r));
  }
  return out;
}

namespace {

std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<long> dist(base.count() / 2, base.count());
  return std::chrono::milliseconds(dist(rng));
}

// Parses one response object into the result for its request.
Result<json::value> parse_item(json::object& item) {
  if (auto* err = item.if_contains("error")) {
    std::string message = "rpc error";
    if (err->is_object()) {
      auto& eo = err->as_object();
      message.clear();
      if (auto* code = eo.if_contains("code"); code && code->is_int64()) message = std::to_string(code->as_int64()) + ": ";
      if (auto* msg = eo.if_contains("message"); msg && msg->is_string()) message += msg->as_string().c_str();
      if (auto* data = eo.if_contains("data")) message += " " + json::serialize(*data);
    }
    return make_error(Errc::kUpstream, message);
  }
  if (auto* result = item.if_contains("result")) return std::move(*result);
  return make_error(Errc::kUpstream, "JSON-RPC response has neither result nor error");
}

}  // namespace

Result<std::vector<Result<json::value>>> HttpRpcClient::send_chunk(const std::vector<RpcRequest>& requests,
                                                                   std::size_t begin, std::size_t end) {
  auto& metrics = Metrics::global();
  const bool single = end - begin == 1;
  json::array body;
  for (std::size_t i = begin; i < end; ++i) {
    body.push_back(json::object{{"jsonrpc", "2.0"}, {"id", i - begin}, {"method", requests[i].method},
                                {"params", requests[i].params}});
  }
  const std::string payload = single ? json::serialize(body[0]) : json::serialize(body);
  auto count_calls = [&](const std::string& outcome) {
    for (std::size_t i = begin; i < end; ++i)
      metrics.inc(kRpcCallsMetric,
                  {{"chain", options_.chain}, {"method", requests[i].method}, {"outcome", outcome}});
  };

  Error last{Errc::kUpstream, "no attempt made"};
  auto delay = options_.backoff;
  std::size_t url_index = pick_url(0);
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    // Fail over: after a failure the next attempt goes to the next URL with a closed breaker.
    if (attempt > 0) url_index = pick_url(url_index + 1);
    if (url_index == urls_.size())
      return make_error(Errc::kUpstream, "no RPC URL of " + options_.chain + " serves chain id " +
                                             std::to_string(options_.expected_chain_id));
    const Url& url = urls_[url_index];
    const auto deadline = ScopedDeadline::current();
    auto left = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
    };
    if (attempt > 0) {
      auto pause = jittered(delay);
      if (deadline) pause = std::min(pause, left());
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
      delay *= 2;
    }
    // After the pause, so that the attempt's timeout ends by the deadline too.
    auto timeout = options_.timeout;
    if (deadline) {
      if (left() <= std::chrono::milliseconds(0))
        return make_error(Errc::kTimeout, "request deadline passed during RPC retries: " + last.message);
      timeout = std::min(timeout, left());
    }
    metrics.inc(kRpcHttpRequestsMetric, {{"chain", options_.chain}, {"url", redact_url(options_.urls[url_index])}});
    auto res = http_post(url, payload, HttpOptions{timeout});
    if (!res) {
      last = res.error();
      count_calls(res.error().code == Errc::kTimeout ? "timeout" : "transport_error");
      record(url_index, false);
      continue;
    }
    if (res->status != 200) {
      record(url_index, res->status == 413);
      last = make_error(Errc::kUpstream, "RPC node answered HTTP " + std::to_string(res->status));
      count_calls("http_" + std::to_string(res->status));
      if (res->status == 429 && res->retry_after)
        delay = std::max(delay, std::min<std::chrono::milliseconds>(*res->retry_after, std::chrono::seconds(5)));
      // 413 is about this payload: another URL would say the same, so let the caller split.
      if (res->status == 413) return make_error(Errc::kRangeTooLarge, "RPC node answered HTTP 413");
      continue;
    }
    boost::system::error_code ec;
    json::value parsed = json::parse(res->body, ec);
    if (ec) {
      last = make_error(Errc::kUpstream, "RPC node returned invalid JSON");
      count_calls("bad_response");
      record(url_index, false);
      continue;
    }
    std::vector<Result<json::value>> out(end - begin, make_error(Errc::kUpstream, "missing from batch response"));
    std::vector<bool> seen(end - begin, false);
    auto place = [&](json::value& v) {
      if (!v.is_object()) return false;
      auto& obj = v.as_object();
      auto* id = obj.if_contains("id");
      if (!id || !id->is_number()) return false;
      boost::system::error_code conv;
      auto index = id->to_number<std::size_t>(conv);
      if (conv || index >= out.size() || seen[index]) return false;
      seen[index] = true;
      out[index] = parse_item(obj);
      return true;
    };
    bool complete = true;
    if (single && parsed.is_object()) {
      complete = place(parsed);
    } else if (parsed.is_array()) {
      for (auto& v : parsed.as_array()) complete &= place(v);
      complete &= std::all_of(seen.begin(), seen.end(), [](bool b) { return b; });
    } else if (parsed.is_object() && parsed.as_object().contains("error")) {
      // Some nodes answer a whole batch with one error object (e.g. batch too large).
      auto err = parse_item(parsed.as_object());
      last = err.error();
      count_calls("rpc_error");
      continue;
    } else {
      complete = false;
    }
    if (!complete) {
      last = make_error(Errc::kUpstream, "RPC node returned an incomplete batch response");
      count_calls("bad_response");
      record(url_index, false);
      continue;
    }
    record(url_index, true);
    for (std::size_t i = 0; i < out.size(); ++i)
      metrics.inc(kRpcCallsMetric, {{"chain", options_.chain},
                                                  {"method", requests[begin + i].method},
                                                  {"outcome", out[i] ? "ok" : "rpc_error"}});
    return out;
  }
  return last;
}

}  // namespace creditscope::chain
