// GET /v2/credit/balances/stream: server-sent events carrying the balances body each time it
// changes. Each stream re-asks for the answer every 250 ms: a warm account costs a cache lookup,
// a changed one the one store read every reader of it shares. Answers that read the node (native,
// a pinned block) are re-asked every 2 s.

#include "api/balances_handler.hpp"
#include "core/metrics.hpp"

namespace creditscope::api {
namespace {
constexpr MetricFamily kOpenStreamsMetric{"creditscope_open_streams", "Open /v2/credit/balances/stream responses"};

void publish(std::size_t open) { Metrics::global().set(kOpenStreamsMetric, {}, static_cast<double>(open)); }

class BalancesEvents final : public BodyStream {
 public:
  using Compute = std::function<std::variant<ApiResponse, std::pair<std::shared_ptr<const EncodedAnswer>, std::uint64_t>>()>;

  BalancesEvents(Compute compute, std::shared_ptr<std::atomic<std::size_t>> open, std::chrono::seconds ping,
                 std::chrono::milliseconds poll, std::shared_ptr<const EncodedAnswer> first, std::uint64_t first_block,
                 bool skip_first)
      : compute_(std::move(compute)), open_(std::move(open)), ping_(ping), poll_(poll), pending_(std::move(first)),
        pending_block_(first_block), last_write_(std::chrono::steady_clock::now()) {
    if (skip_first) {
      last_etag_ = pending_->etag;
      pending_.reset();
    }
  }
  ~BalancesEvents() override { publish(--*open_); }

  std::optional<std::string> next() override {
    if (pending_) {
      auto out = event(*pending_, pending_block_);
      last_etag_ = pending_->etag;
      pending_.reset();
      return out;
    }
    auto now = compute_();
    if (auto* a = std::get_if<1>(&now); a && a->first->etag != last_etag_) {
      last_etag_ = a->first->etag;
      return event(*a->first, a->second);
    }
    // An answer that failed for now (store or node down) sends nothing: the last event stands.
    if (std::chrono::steady_clock::now() - last_write_ >= ping_) {
      last_write_ = std::chrono::steady_clock::now();
      return std::string(": ping\n\n");
    }
    return std::string();
  }

  std::optional<std::string> on_shutdown() override { return ": server shutting down\n\n"; }
  std::chrono::milliseconds idle_wait() const override { return poll_; }

 private:
  std::string event(const EncodedAnswer& a, std::uint64_t block_num) {
    last_write_ = std::chrono::steady_clock::now();
    return "event: balances\nid: " + std::to_string(block_num) + "\ndata: " + *a.body + "\n\n";
  }

  const Compute compute_;
  const std::shared_ptr<std::atomic<std::size_t>> open_;
  const std::chrono::seconds ping_;
  const std::chrono::milliseconds poll_;
  std::shared_ptr<const EncodedAnswer> pending_;  // the first event, not sent yet
  std::uint64_t pending_block_ = 0;
  std::string last_etag_;
  std::chrono::steady_clock::time_point last_write_;
};
}  // namespace

ApiResponse BalancesHandler::stream(const ApiRequest& request) const {
  chain::ScopedDeadline deadline(std::chrono::steady_clock::now() + options_.deadline);
  auto validated = validate_balances_query(request.query, names_);
  if (!validated.params) return unprocessable(std::move(validated.error_body));
  BalancesParams params = *validated.params;
  params.client = request.limit_key;
  // Counted before the first answer, so a flood of opens cannot all pass the check at once.
  if (++*open_streams_ > options_.max_streams) {
    --*open_streams_;
    ApiResponse r = detail_response(503, "Too many open streams; try again later");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  auto first = answer(params);
  if (auto* done = std::get_if<ApiResponse>(&first)) {
    --*open_streams_;
    return std::move(*done);
  }
  const auto& a = std::get<Answer>(first);
  const std::string* last_id = request.header("last-event-id");
  const bool skip_first = last_id && *last_id == std::to_string(a.block_num);
  auto compute = [this, params]() -> std::variant<ApiResponse, std::pair<std::shared_ptr<const EncodedAnswer>, std::uint64_t>> {
    chain::ScopedDeadline scoped(std::chrono::steady_clock::now() + options_.deadline);
    auto now = answer(params);
    if (auto* done = std::get_if<ApiResponse>(&now)) return std::move(*done);
    auto& ans = std::get<Answer>(now);
    return std::pair{ans.encoded, ans.block_num};
  };
  ApiResponse r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("X-Accel-Buffering", "no");
  // The latest answer costs a cache lookup per poll; one that reads the node (a pinned block that
  // can still move, the native coin) is asked for less often.
  const bool reads_node = params.native || params.block.kind != BlockSpec::Kind::kLatest;
  const auto poll = reads_node ? std::chrono::milliseconds(2000) : std::chrono::milliseconds(250);
  r.stream = std::make_shared<BalancesEvents>(std::move(compute), open_streams_, options_.stream_ping, poll, a.encoded,
                                              a.block_num, skip_first);
  publish(*open_streams_);
  return r;
}

}  // namespace creditscope::api
