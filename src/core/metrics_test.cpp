#include "core/metrics.hpp"

#include <gtest/gtest.h>

namespace creditscope {
namespace {

constexpr MetricFamily kWidgets{"test_widgets_total", "Widgets made\\n by kind"};
constexpr MetricFamily kLatency{"test_latency_seconds", "Time per widget"};

TEST(Metrics, EveryFamilyHasHelpThenTypeThenSamples) {
  Metrics m;
  m.inc(kWidgets, {{"kind", "a\"b"}}, 2);
  m.inc(kWidgets, {{"kind", "c"}});
  m.observe(kLatency, {}, 0.003);
  const std::string text = m.render();
  EXPECT_NE(text.find("# HELP test_widgets_total Widgets made\\\\n by kind\n# TYPE test_widgets_total counter\n"
                      "test_widgets_total{kind=\"a\\\"b\"} 2\ntest_widgets_total{kind=\"c\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# HELP test_latency_seconds Time per widget\n# TYPE test_latency_seconds histogram\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("test_latency_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("test_latency_seconds_bucket{le=\"0.0025\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("test_latency_seconds_count 1\n"), std::string::npos) << text;
  EXPECT_EQ(m.counter_sum("test_widgets_total"), 3u);
  constexpr MetricFamily kQueue{"test_queue", "Items waiting"};
  m.set(kQueue, {}, 4);
  m.set(kQueue, {}, 2);
  EXPECT_NE(m.render().find("# HELP test_queue Items waiting\n# TYPE test_queue gauge\ntest_queue 2\n"), std::string::npos);
  EXPECT_EQ(m.counter_sum("test_widgets_total", {{"kind", "c"}}), 1u);
}

}  // namespace
}  // namespace creditscope
