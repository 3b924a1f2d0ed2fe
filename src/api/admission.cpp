#include "api/admission.hpp"

#include <algorithm>

#include "core/metrics.hpp"

namespace creditscope::api {
namespace {
constexpr MetricFamily kRefusedMetric{"creditscope_new_accounts_refused_total",
                                      "First requests for untracked accounts refused, by reason (rate, busy)"};
constexpr MetricFamily kRunningMetric{"creditscope_request_backfills_running",
                                      "Backfills started by requests and not finished (max_concurrent_backfills bounds it)"};
}  // namespace

NewAccountGate::NewAccountGate(double per_minute, std::size_t max_running)
    : max_running_(std::max<std::size_t>(1, max_running)),
      running_(std::make_shared<std::atomic<std::size_t>>(0)),
      // A bucket of a minute's worth, refilled evenly: at most per_minute in any minute.
      per_client_(per_minute / 60.0, per_minute) {}

std::variant<std::shared_ptr<void>, ApiResponse> NewAccountGate::admit(const std::string& client) {
  std::size_t now = running_->load();
  do {
    if (now >= max_running_) {
      Metrics::global().inc(kRefusedMetric, {{"reason", "busy"}});
      ApiResponse r = detail_response(503, "Too many new accounts are being indexed; try again shortly");
      r.headers.emplace_back("Retry-After", "5");
      return r;
    }
  } while (!running_->compare_exchange_weak(now, now + 1));
  auto running = running_;
  std::shared_ptr<void> token(running.get(), [running](void*) {
    const auto left = --*running;
    Metrics::global().set(kRunningMetric, {}, static_cast<double>(left));
  });
  Metrics::global().set(kRunningMetric, {}, static_cast<double>(now + 1));
  if (auto wait = per_client_.acquire(client)) {
    Metrics::global().inc(kRefusedMetric, {{"reason", "rate"}});
    ApiResponse r = detail_response(429, "Too many new accounts from this client; try again later");
    r.headers.emplace_back("Retry-After", std::to_string(*wait));
    return r;  // the token goes with it: the slot is free again
  }
  return token;
}

}  // namespace creditscope::api
