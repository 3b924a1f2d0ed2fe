#include "chain/log_limits.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "core/hex.hpp"

namespace creditscope::chain {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool contains_any(const std::string& text, std::initializer_list<const char*> needles) {
  return std::any_of(needles.begin(), needles.end(), [&](const char* n) { return text.find(n) != std::string::npos; });
}

// Decimal numbers in text, in order: "10,000" and "10000" are 10000, "2k" is 2000. Hex quantities
// (inside a suggested range) and the leading JSON-RPC code ("-32005: ") are not numbers here.
std::vector<std::pair<std::size_t, std::uint64_t>> numbers(const std::string& text, std::size_t from) {
  std::vector<std::pair<std::size_t, std::uint64_t>> out;
  for (std::size_t i = from; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    if (text.compare(i, 2, "0x") == 0) {
      i += 2;
      while (i < text.size() && std::isxdigit(static_cast<unsigned char>(text[i]))) ++i;
      continue;
    }
    std::uint64_t value = 0;
    bool overflow = false;
    auto digit = [&](std::size_t k) { return k < text.size() && std::isdigit(static_cast<unsigned char>(text[k])); };
    while (digit(i) || (text[i] == ',' && digit(i + 1) && digit(i + 2) && digit(i + 3) && !digit(i + 4))) {
      if (text[i] != ',') {
        if (value > UINT64_MAX / 10 - 10) overflow = true;
        value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
      }
      ++i;
    }
    if (i < text.size() && text[i] == 'k' && (i + 1 == text.size() || !std::isalpha(static_cast<unsigned char>(text[i + 1])))) {
      value *= 1000;
      ++i;
    }
    if (!overflow) out.emplace_back(start, value);
  }
  return out;
}

std::optional<std::pair<std::uint64_t, std::uint64_t>> suggestion(const std::string& text) {
  // "[0x1, 0x2710]" (Infura, Alchemy)
  if (auto open = text.find("[0x"); open != std::string::npos) {
    auto comma = text.find(',', open), close = text.find(']', open);
    if (comma != std::string::npos && close != std::string::npos && comma < close) {
      std::string a = text.substr(open + 1, comma - open - 1), b = text.substr(comma + 1, close - comma - 1);
      b.erase(0, b.find_first_not_of(' '));
      auto from = hex::decode_quantity(a), to = hex::decode_quantity(b);
      if (from && to && *from <= *to) return std::pair{*from, *to};
    }
  }
  // "retry with the range 1-20" (reth)
  if (auto at = text.find("with the range "); at != std::string::npos) {
    auto nums = numbers(text, at);
    if (nums.size() >= 2 && text[nums[1].first - 1] == '-' && nums[0].second <= nums[1].second)
      return std::pair{nums[0].second, nums[1].second};
  }
  return std::nullopt;
}

}  // namespace

LogLimit classify_logs_error(std::string_view message) {
  std::string text = lower(message);
  // Skip the JSON-RPC code RpcClient puts in front ("-32005: ").
  std::size_t body = 0;
  if (auto colon = text.find(": "); colon != std::string::npos && colon < 8 &&
                                    text.find_first_not_of("-0123456789") == colon)
    body = colon + 2;
  const std::string rest = text.substr(body);
  LogLimit out;
  if (contains_any(rest, {"rate limit", "too many requests", "capacity", "header not found", "unknown block"}))
    return out;
  out.suggested = suggestion(rest);
  if (contains_any(rest, {"more than", "max results", "response size", "too many logs", "logs in the response",
                          "query timeout", "timed out"})) {
    out.kind = LogLimit::Kind::kResultCap;
    return out;
  }
  if (!contains_any(rest, {"block range", "blocks range", "range too large", "range is too large", "limited to",
                           "max range", "range limit", "maximum block range", "too wide", "range exceeds",
                           "exceed max block", "exceeds max block", "range should work", "block span"})) {
    out.suggested.reset();
    return out;
  }
  out.kind = LogLimit::Kind::kRangeCap;
  // The number after "max" when there is one ("range: 5000, max: 1024"), else the first one.
  std::size_t max_at = rest.find("max");
  auto after_max = max_at == std::string::npos ? std::vector<std::pair<std::size_t, std::uint64_t>>{} : numbers(rest, max_at);
  auto all = numbers(rest, 0);
  if (!after_max.empty()) out.max_blocks = after_max.front().second;
  else if (!all.empty()) out.max_blocks = all.front().second;
  if (out.max_blocks && *out.max_blocks == 0) out.max_blocks.reset();
  return out;
}

LogRangeTuner::LogRangeTuner(std::uint64_t initial_span, std::uint64_t max_span)
    : initial_(initial_span ? initial_span : kUnlimited), max_(max_span ? max_span : kUnlimited) {}

std::uint64_t LogRangeTuner::clamp(std::uint64_t span) const { return std::clamp<std::uint64_t>(span, 1, max_); }

LogRangeTuner::Plan LogRangeTuner::plan(Clock::time_point now) {
  std::lock_guard lock(mutex_);
  const std::uint64_t safe = good_ ? good_ : clamp(bad_ == kUnlimited ? initial_ : bad_ / 2);
  if (probe_out_) return {safe, false};
  std::optional<std::uint64_t> probe;
  if (bad_ == kUnlimited) {
    if (good_ == 0) probe = clamp(initial_);
    else if (clamp(good_ > kUnlimited / 8 ? kUnlimited : good_ * 8) > good_) probe = clamp(good_ > kUnlimited / 8 ? kUnlimited : good_ * 8);
  } else if (good_ == 0) {
    probe = std::max<std::uint64_t>(1, bad_ / 2);
  } else if (bad_ - good_ > std::max<std::uint64_t>(1, good_ / 32)) {
    probe = good_ + (bad_ - good_) / 2;  // bisect towards an unnamed cap
  } else if (now - last_refusal_ >= kReprobeInterval) {
    probe = clamp(bad_);  // has the provider raised its cap?
  }
  if (!probe) return {safe, false};
  probe_out_ = true;
  return {*probe, true};
}

void LogRangeTuner::on_success(std::uint64_t span, bool probe) {
  std::lock_guard lock(mutex_);
  if (probe) probe_out_ = false;
  if (span >= bad_) bad_ = kUnlimited;  // the cap moved up
  good_ = std::max(good_, span);
}

void LogRangeTuner::on_refused(std::uint64_t span, const LogLimit& limit, bool probe, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (probe) probe_out_ = false;
  last_refusal_ = now;
  if (limit.max_blocks) {
    // Trust a named cap; "limited to 10000" said of a 10000-block range means inclusive ends differ.
    std::uint64_t cap = *limit.max_blocks >= span ? span - 1 : *limit.max_blocks;
    good_ = std::max<std::uint64_t>(1, cap);
    bad_ = good_ + 1;
    return;
  }
  bad_ = std::min(bad_, span);
  if (limit.suggested) {
    const std::uint64_t size = limit.suggested->second - limit.suggested->first + 1;
    if (size < bad_ && (good_ == 0 || good_ >= bad_)) good_ = size;
  }
  if (good_ >= bad_) good_ = bad_ / 2;
}

void LogRangeTuner::abandon_probe() {
  std::lock_guard lock(mutex_);
  probe_out_ = false;
}

std::uint64_t LogRangeTuner::known_good() const {
  std::lock_guard lock(mutex_);
  return good_;
}

}  // namespace creditscope::chain
