#include "chain/rpc_client.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <iostream>
#include <thread>

#include "chain/http_client.hpp"
#include "chain/log_limits.hpp"
#include "core/hex.hpp"
#include "core/metrics.hpp"

namespace creditscope::chain {
namespace {
constexpr MetricFamily kWrongChainMetric{"creditscope_rpc_wrong_chain_total", "Health checks that found a URL serving another chain id"};
constexpr MetricFamily kLaggingMetric{"creditscope_rpc_lagging_total", "Health checks that found a URL more than max_lag_blocks behind"};
constexpr MetricFamily kBreakerTripsMetric{"creditscope_rpc_breaker_trips_total", "Times a URL's circuit breaker opened after consecutive failures"};
constexpr MetricFamily kRpcCallsMetric{"creditscope_rpc_calls_total", "JSON-RPC calls (batch elements), by chain, method, outcome (ok, refused, rpc_error, http_N, ...) and URL"};
constexpr MetricFamily kRpcHttpRequestsMetric{"creditscope_rpc_http_requests_total", "HTTP requests sent to RPC URLs (one carries a batch)"};
}  // namespace

namespace {
thread_local std::optional<std::chrono::steady_clock::time_point> t_deadline;
// The span over which calls are counted against a rate. A little over a second: a request's
// arrival at the provider lags its departure, and a window of exactly one second drew 429s.
constexpr auto kWindow = std::chrono::milliseconds(1020);
// The share of max_rps used: the rest absorbs arrival jitter at the provider.
constexpr double kBudgetShare = 0.98;
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
  budgets_.resize(urls_.size());
  chunk_size_ = std::max<std::size_t>(1, options_.max_batch);
  // With a known budget, two requests fit a window beside the small ones (head polls, health
  // checks); requests of half the rate would leave room for only one once a small one is in it.
  if (options_.max_rps > 0)
    chunk_size_ = std::min(chunk_size_, std::max<std::size_t>(1, static_cast<std::size_t>((kBudgetShare - 0.03) * options_.max_rps / 2)));
}

std::vector<std::size_t> HttpRpcClient::preferred_urls() {
  std::lock_guard lock(breaker_mutex_);
  const auto now = std::chrono::steady_clock::now();
  for (int pass = 0; pass < 3; ++pass) {
    std::vector<std::size_t> tier;
    for (std::size_t i = 0; i < urls_.size(); ++i) {
      const auto& b = breakers_[i];
      if (b.wrong_chain) continue;
      if (pass == 0 && (b.lagging || b.open_until > now)) continue;
      if (pass == 1 && b.open_until > now) continue;
      tier.push_back(i);
    }
    if (!tier.empty()) return tier;
  }
  return {};
}

std::optional<std::size_t> HttpRpcClient::acquire(std::optional<std::size_t> avoid, std::size_t calls,
                                                  std::optional<std::size_t> only) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = ScopedDeadline::current();
  for (;;) {
    auto candidates = only ? std::vector<std::size_t>{*only} : preferred_urls();
    if (candidates.empty()) return urls_.size();
    std::unique_lock lock(budget_mutex_);
    const auto now = Clock::now();
    std::rotate(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(rotation_ % candidates.size()),
                candidates.end());
    if (avoid && candidates.size() > 1)
      std::stable_partition(candidates.begin(), candidates.end(), [&](std::size_t i) { return i != *avoid; });
    auto wake = now + kWindow;
    for (std::size_t i : candidates) {
      Budget& b = budgets_[i];
      std::erase_if(b.sent, [&](const auto& e) { return now - e.first >= kWindow; });
      std::size_t window = 0;
      for (const auto& e : b.sent) window += e.second;
      if (b.rate > 0 && now - b.last_raise >= kWindow) {  // additive recovery after a 429
        b.rate += b.raise;
        b.last_raise = now;
      }
      const double limit = options_.max_rps > 0 ? kBudgetShare * options_.max_rps : b.rate > 0 ? b.rate : 1e18;
      const bool rate_ok = window == 0 || static_cast<double>(window + calls) <= limit;
      if (now >= b.paused_until && b.in_flight < options_.max_in_flight && rate_ok) {
        ++b.in_flight;
        b.sent.emplace_back(now, calls);
        ++rotation_;
        return i;
      }
      if (now < b.paused_until) wake = std::min(wake, b.paused_until);
      else if (!rate_ok && !b.sent.empty()) wake = std::min(wake, b.sent.front().first + kWindow);
    }
    if (deadline && *deadline <= now) return std::nullopt;
    budget_cv_.wait_until(lock, deadline ? std::min(wake, *deadline) : wake);
  }
}

std::size_t HttpRpcClient::max_batch() const {
  // A request carries at most half a second of a rate learned from 429s, so it fits under it.
  std::lock_guard lock(budget_mutex_);
  double rate = 0;
  for (const auto& b : budgets_)
    if (b.rate > 0) rate = rate > 0 ? std::min(rate, b.rate) : b.rate;
  if (rate <= 0) return chunk_size_;
  return std::clamp<std::size_t>(static_cast<std::size_t>(rate / 2), 1, chunk_size_);
}

void HttpRpcClient::release(std::size_t url, bool rate_limited, std::optional<std::chrono::seconds> retry_after) {
  {
    std::lock_guard lock(budget_mutex_);
    Budget& b = budgets_[url];
    --b.in_flight;
    if (rate_limited) {
      const auto now = std::chrono::steady_clock::now();
      b.paused_until = now + std::min<std::chrono::steady_clock::duration>(retry_after.value_or(std::chrono::seconds(1)),
                                                                            std::chrono::seconds(30));
      if (options_.max_rps <= 0) {
        // Multiplicative decrease: half of what was sent to this URL in the last second, then half
        // of the learned rate.
        std::size_t window = 0;
        for (const auto& e : b.sent)
          if (now - e.first < kWindow) window += e.second;
        // Concurrent requests see the same 429s: cut once per window.
        if (b.rate == 0) b.rate = std::max(5.0, 0.5 * static_cast<double>(window));
        else if (now - b.last_cut >= kWindow) b.rate = std::max(5.0, 0.5 * b.rate);
        b.last_cut = now;
        b.raise = std::max(1.0, 0.05 * b.rate);
        b.last_raise = b.paused_until;
      }
    }
  }
  budget_cv_.notify_all();
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
    // Within the URL's budget like any other request: providers count these calls too.
    auto slot = acquire(std::nullopt, 2, i);
    if (!slot) continue;
    auto res = http_post(urls_[i],
                         R"([{"jsonrpc":"2.0","id":0,"method":"eth_chainId","params":[]},)"
                         R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}])",
                         HttpOptions{options_.timeout});
    release(i, res && res->status == 429, res ? res->retry_after : std::nullopt);
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
  for (std::size_t begin = 0; begin < requests.size();) {
    // The limit is read per chunk: a 429 can lower it, and then the rest goes in smaller chunks.
    const std::size_t end = std::min(requests.size(), begin + max_batch());
    bool resplit = false;
    auto chunk = send_chunk(requests, begin, end, resplit);
    if (resplit) continue;
    if (!chunk) return chunk.error();
    for (auto& r : *chunk) out.push_back(std::move(r));
    begin = end;
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
                                                                   std::size_t begin, std::size_t end, bool& resplit) {
  auto& metrics = Metrics::global();
  const bool single = end - begin == 1;
  json::array body;
  for (std::size_t i = begin; i < end; ++i) {
    body.push_back(json::object{{"jsonrpc", "2.0"}, {"id", i - begin}, {"method", requests[i].method},
                                {"params", requests[i].params}});
  }
  const std::string payload = single ? json::serialize(body[0]) : json::serialize(body);
  auto count_calls = [&](const std::string& outcome, const std::string& url) {
    for (std::size_t i = begin; i < end; ++i)
      metrics.inc(kRpcCallsMetric,
                  {{"chain", options_.chain}, {"method", requests[i].method}, {"outcome", outcome}, {"url", url}});
  };

  Error last{Errc::kUpstream, "no attempt made"};
  auto delay = options_.backoff;
  std::optional<std::size_t> failed_url;  // fail over: the next attempt prefers another URL
  int throttled = 0;                      // 429s; the budget holds the URL back for their Retry-After
  for (int attempt = 0; attempt < options_.max_attempts;) {
    const auto deadline = ScopedDeadline::current();
    auto left = [&] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
    };
    if (attempt > 0 && failed_url) {
      auto pause = jittered(delay);
      if (deadline) pause = std::min(pause, left());
      if (pause.count() > 0) std::this_thread::sleep_for(pause);
      delay *= 2;
    }
    auto acquired = acquire(failed_url, end - begin);
    if (!acquired)
      return make_error(Errc::kTimeout, "request deadline passed waiting for an RPC URL's budget: " + last.message);
    const std::size_t url_index = *acquired;
    if (url_index == urls_.size())
      return make_error(Errc::kUpstream, "no RPC URL of " + options_.chain + " serves chain id " +
                                             std::to_string(options_.expected_chain_id));
    const Url& url = urls_[url_index];
    // After the pause and the wait, so that the attempt's timeout ends by the deadline too.
    auto timeout = options_.timeout;
    if (deadline) {
      if (left() <= std::chrono::milliseconds(0)) {
        release(url_index, false, std::nullopt);
        return make_error(Errc::kTimeout, "request deadline passed during RPC retries: " + last.message);
      }
      timeout = std::min(timeout, left());
    }
    const std::string url_label = redact_url(options_.urls[url_index]);
    metrics.inc(kRpcHttpRequestsMetric, {{"chain", options_.chain}, {"url", url_label}});
    auto res = http_post(url, payload, HttpOptions{timeout});
    const bool rate_limited = res && res->status == 429;
    release(url_index, rate_limited, res ? res->retry_after : std::nullopt);
    if (rate_limited) {
      // The budget now holds this URL back for Retry-After; another URL may take the request.
      last = make_error(Errc::kUpstream, "RPC node answered HTTP 429");
      count_calls("http_429", url_label);
      // A request (it has a deadline) counts a 429 as an attempt and soon answers 503; background
      // work (backfills) waits them out, within reason.
      if (deadline) ++attempt;
      if (++throttled > 50) return last;
      if (end - begin > max_batch()) {  // larger than the rate now allows: the caller splits it
        resplit = true;
        return last;
      }
      failed_url.reset();
      continue;
    }
    ++attempt;
    failed_url = url_index;
    if (!res) {
      last = res.error();
      count_calls(res.error().code == Errc::kTimeout ? "timeout" : "transport_error", url_label);
      record(url_index, false);
      continue;
    }
    if (res->status != 200) {
      record(url_index, res->status == 413);
      last = make_error(Errc::kUpstream, "RPC node answered HTTP " + std::to_string(res->status));
      count_calls("http_" + std::to_string(res->status), url_label);
      // 413 is about this payload: another URL would say the same, so let the caller split.
      if (res->status == 413) return make_error(Errc::kRangeTooLarge, "RPC node answered HTTP 413");
      continue;
    }
    boost::system::error_code ec;
    json::value parsed = json::parse(res->body, ec);
    if (ec) {
      last = make_error(Errc::kUpstream, "RPC node returned invalid JSON");
      count_calls("bad_response", url_label);
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
      count_calls("rpc_error", url_label);
      continue;
    } else {
      complete = false;
    }
    if (!complete) {
      last = make_error(Errc::kUpstream, "RPC node returned an incomplete batch response");
      count_calls("bad_response", url_label);
      record(url_index, false);
      continue;
    }
    record(url_index, true);
    for (std::size_t i = 0; i < out.size(); ++i) {
      // A provider's size limit on eth_getLogs is counted apart: the scan splits and asks again.
      const char* outcome = out[i] ? "ok"
                            : requests[begin + i].method == "eth_getLogs" &&
                                      classify_logs_error(out[i].error().message).kind != LogLimit::Kind::kNone
                                ? "refused"
                                : "rpc_error";
      metrics.inc(kRpcCallsMetric, {{"chain", options_.chain}, {"method", requests[begin + i].method},
                                    {"outcome", outcome}, {"url", url_label}});
    }
    return out;
  }
  return last;
}

}  // namespace creditscope::chain
