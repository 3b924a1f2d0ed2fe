#pragma once
// What providers' eth_getLogs limits look like, and the per-chain memory of them.
//
// Providers cap either the block range of one eth_getLogs (QuickNode 10,000 blocks, reth 100,000,
// Alchemy's free tier 10, ...) or the number of logs it returns (Infura and Alchemy 10,000 for any
// range, reth 20,000, Arbitrum's and geth's "more than 10000 results"). A range cap applies to every
// range, so the tuner learns it once for the chain; a result cap depends on how busy the range is,
// so only the range that hit it is split.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

namespace creditscope::chain {

/// A provider's refusal of one eth_getLogs, read from its error text.
struct LogLimit {
  enum class Kind { kNone, kRangeCap, kResultCap };
  Kind kind = Kind::kNone;
  /// Range caps: the number of blocks the provider names ("limited to a 10,000 block range").
  std::optional<std::uint64_t> max_blocks;
  /// Result caps (and Alchemy's range caps): the inclusive range the provider suggests instead
  /// ("[0x1, 0x2710]", reth's "retry with the range 1-20").
  std::optional<std::pair<std::uint64_t, std::uint64_t>> suggested;
};

/// Classifies a JSON-RPC error text ("code: message data", as RpcClient reports it). kNone for
/// anything that is not a size limit (rate limits, missing blocks, ...). Never throws.
LogLimit classify_logs_error(std::string_view message);

/// Remembers how many blocks one eth_getLogs may span on a chain, and when to try more.
/// Thread-safe; shared by every scan of a chain.
///
/// Until a range is refused it grows eightfold after each accepted probe. A refusal that names a
/// cap is trusted; one that does not is bisected between the largest accepted and the smallest
/// refused span. Once the two meet, nothing above the cap is asked for again until
/// kReprobeInterval has passed, so a long scan wastes almost no calls on refusals.
class LogRangeTuner {
 public:
  static constexpr std::uint64_t kUnlimited = UINT64_MAX / 4;
  static constexpr std::chrono::minutes kReprobeInterval{10};
  using Clock = std::chrono::steady_clock;

  /// initial_span 0: try the whole range first. max_span 0: no configured cap.
  explicit LogRangeTuner(std::uint64_t initial_span = 0, std::uint64_t max_span = 0);

  struct Plan {
    std::uint64_t span;  // blocks per range
    bool probe;          // true: send one range of this span alone and wait for its answer
  };
  /// The span to cut ranges at now. A probe plan is handed out once until it is answered.
  Plan plan(Clock::time_point now = Clock::now());
  /// A range of `span` blocks was answered. probe: it was the range plan() marked as a probe.
  void on_success(std::uint64_t span, bool probe);
  /// A range of `span` blocks was refused for its size (limit.kind == kRangeCap or unclassified).
  void on_refused(std::uint64_t span, const LogLimit& limit, bool probe, Clock::time_point now = Clock::now());

  /// A probe plan() handed out got no verdict (its request failed for another reason).
  void abandon_probe();

  /// The largest span known to be accepted (0: none yet). For tests and metrics.
  std::uint64_t known_good() const;

 private:
  std::uint64_t clamp(std::uint64_t span) const;

  const std::uint64_t initial_;  // constant after construction
  const std::uint64_t max_;      // constant after construction
  mutable std::mutex mutex_;
  std::uint64_t good_ = 0;            // largest accepted span; guarded by mutex_
  std::uint64_t bad_ = kUnlimited;    // smallest refused span; guarded by mutex_
  bool probe_out_ = false;            // a probe is in flight; guarded by mutex_
  Clock::time_point last_refusal_{};  // guarded by mutex_
};

}  // namespace creditscope::chain
