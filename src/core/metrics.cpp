#include "core/metrics.hpp"

#include <algorithm>
#include <sstream>

namespace creditscope {
namespace {
std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// HELP text escapes only backslash and newline (exposition format 0.0.4).
std::string escape_help(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string format_labels(const std::vector<std::pair<std::string, std::string>>& labels,
                          const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"" + escape_label(v) + "\"";
  }
  if (!extra.empty()) out += (first ? "" : ",") + extra;
  return out + "}";
}
}  // namespace

Metrics& Metrics::global() {
  static Metrics instance;
  return instance;
}

void Metrics::inc(const MetricFamily& family, const Labels& labels, std::uint64_t delta) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = counters_.try_emplace(std::string(family.name));
  if (fresh) help_[it->first] = family.help;
  it->second[labels] += delta;
}

void Metrics::set(const MetricFamily& family, const Labels& labels, double value) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = gauges_.try_emplace(std::string(family.name));
  if (fresh) help_[it->first] = family.help;
  it->second[labels] = value;
}

void Metrics::observe(const MetricFamily& family, const Labels& labels, double seconds) {
  std::lock_guard lock(mutex_);
  auto [it, fresh] = histograms_.try_emplace(std::string(family.name));
  if (fresh) help_[it->first] = family.help;
  Histogram& h = it->second[labels];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

std::uint64_t Metrics::counter_sum(const std::string& name, const Labels& match) const {
  std::lock_guard lock(mutex_);
  auto it = counters_.find(name);
  if (it == counters_.end()) return 0;
  std::uint64_t total = 0;
  for (const auto& entry : it->second) {
    const Labels& labels = entry.first;  // not a structured binding: clang 14 cannot capture those
    bool ok = std::all_of(match.begin(), match.end(), [&](const auto& m) {
      return std::find(labels.begin(), labels.end(), m) != labels.end();
    });
    if (ok) total += entry.second;
  }
  return total;
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream out;
  for (const auto& [name, series] : counters_) {
    out << "# HELP " << name << ' ' << escape_help(help_.at(name)) << "\n# TYPE " << name << " counter\n";
    for (const auto& [labels, value] : series) out << name << format_labels(labels) << ' ' << value << '\n';
  }
  for (const auto& [name, series] : gauges_) {
    out << "# HELP " << name << ' ' << escape_help(help_.at(name)) << "\n# TYPE " << name << " gauge\n";
    for (const auto& [labels, value] : series) out << name << format_labels(labels) << ' ' << value << '\n';
  }
  for (const auto& [name, series] : histograms_) {
    out << "# HELP " << name << ' ' << escape_help(help_.at(name)) << "\n# TYPE " << name << " histogram\n";
    for (const auto& [labels, h] : series) {
      for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        std::ostringstream le;
        le << "le=\"" << kBuckets[i] << "\"";
        out << name << "_bucket" << format_labels(labels, le.str()) << ' ' << h.buckets[i] << '\n';
      }
      out << name << "_bucket" << format_labels(labels, "le=\"+Inf\"") << ' ' << h.count << '\n';
      out << name << "_sum" << format_labels(labels) << ' ' << h.sum << '\n';
      out << name << "_count" << format_labels(labels) << ' ' << h.count << '\n';
    }
  }
  return out.str();
}

}  // namespace creditscope
