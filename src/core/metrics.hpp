#pragma once
// Process-wide Prometheus metrics: labelled counters and latency histograms.
// Thread-safe; recording costs one mutex acquisition, which is small next to the work measured.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace creditscope {

/// One metric family: its name and the `# HELP` line /metrics prints for it. Declare each beside
/// the code that records it, as a constexpr.
struct MetricFamily {
  std::string_view name;
  std::string_view help;
};

class Metrics {
 public:
  static Metrics& global();

  /// Adds delta to counter `family` with the given label set, e.g. {{"method","eth_call"}}.
  void inc(const MetricFamily& family, const std::vector<std::pair<std::string, std::string>>& labels,
           std::uint64_t delta = 1);
  /// Records one observation (seconds) in histogram `family`.
  void observe(const MetricFamily& family, const std::vector<std::pair<std::string, std::string>>& labels,
               double seconds);
  /// Sets gauge `family` (a value that goes up and down) for the given label set.
  void set(const MetricFamily& family, const std::vector<std::pair<std::string, std::string>>& labels, double value);
  /// Sum of counter `name` over all label sets whose labels include `match` (for tests and /readyz).
  std::uint64_t counter_sum(const std::string& name,
                            const std::vector<std::pair<std::string, std::string>>& match = {}) const;

  /// Prometheus text exposition format 0.0.4.
  std::string render() const;

  static constexpr std::array<double, 12> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   1.0,    10.0};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  using Labels = std::vector<std::pair<std::string, std::string>>;
  mutable std::mutex mutex_;
  std::map<std::string, std::map<Labels, std::uint64_t>> counters_;  // guarded by mutex_
  std::map<std::string, std::map<Labels, Histogram>> histograms_;    // guarded by mutex_
  std::map<std::string, std::map<Labels, double>> gauges_;          // guarded by mutex_
  std::map<std::string, std::string> help_;                          // guarded by mutex_
};

}  // namespace creditscope
