#include "chain/quorum_client.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <optional>
#include <stdexcept>

#include "chain/contract_calls.hpp"
#include "core/metrics.hpp"

namespace creditscope::chain {
namespace {
constexpr MetricFamily kDisagreementsMetric{"creditscope_rpc_disagreements_total",
                                            "Quorum reads a URL lost (its answer differed from the majority's), by chain and URL"};
constexpr MetricFamily kNoQuorumMetric{"creditscope_rpc_no_quorum_total",
                                       "Quorum reads that failed for want of two agreeing URLs, by chain"};

bool is_quantity(const json::value& v) {
  if (!v.is_string()) return false;
  const auto& s = v.as_string();
  if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
  return std::all_of(s.begin() + 2, s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

// A block parameter that names one block whatever the node's head: a number or a hash.
bool fixed_block(const json::value& v) {
  if (is_quantity(v)) return true;
  if (!v.is_object()) return false;
  const auto& o = v.as_object();
  if (const auto* hash = o.if_contains("blockHash")) return hash->is_string();
  if (const auto* number = o.if_contains("blockNumber")) return is_quantity(*number);
  return false;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "0x000a" and "0xA" are the same quantity.
std::string quantity(const json::value& v) {
  if (!v.is_string()) return json::serialize(v);
  std::string s = lower(v.as_string());
  if (!s.starts_with("0x")) return s;
  std::size_t first = s.find_first_not_of('0', 2);
  return first == std::string::npos ? "0x0" : "0x" + s.substr(first);
}

std::string text(const json::value& v) { return v.is_string() ? lower(v.as_string()) : json::serialize(v); }

// What a call's outcome votes for: its result, or for a read a revert (an answer like any other:
// a node that reverts a balanceOf the others answer would otherwise turn a balance into 0). Other
// errors (a range to split, a block not there yet) are nothing to vote on: nullopt.
std::optional<std::string> vote(const RpcRequest& request, const Result<json::value>& outcome) {
  if (outcome) return quorum_key(request, *outcome);
  if (request.method != "eth_getLogs" && is_execution_failure(outcome.error().message)) return "<reverted>";
  return std::nullopt;
}

}  // namespace

bool needs_quorum(const RpcRequest& request) {
  const auto& p = request.params;
  if (request.method == "eth_getLogs") {
    if (p.empty() || !p[0].is_object()) return false;
    const auto& filter = p[0].as_object();
    if (const auto* hash = filter.if_contains("blockHash")) return hash->is_string();
    const auto* from = filter.if_contains("fromBlock");
    const auto* to = filter.if_contains("toBlock");
    return from && to && is_quantity(*from) && is_quantity(*to);
  }
  if (request.method == "eth_call" || request.method == "eth_getBalance" || request.method == "eth_getCode" ||
      request.method == "eth_getStorageAt")
    return !p.empty() && fixed_block(p.back());
  return false;
}

std::string quorum_key(const RpcRequest& request, const json::value& result) {
  if (request.method == "eth_getLogs" && result.is_array()) {
    std::vector<std::string> logs;
    for (const auto& log : result.as_array()) {
      if (!log.is_object()) {
        logs.push_back(json::serialize(log));
        continue;
      }
      const auto& o = log.as_object();
      auto field = [&](const char* name) -> std::string {
        const auto* v = o.if_contains(name);
        return v ? text(*v) : std::string("-");
      };
      std::string topics;
      if (const auto* t = o.if_contains("topics"); t && t->is_array())
        for (const auto& topic : t->as_array()) topics += text(topic) + ",";
      const auto* index = o.if_contains("logIndex");
      logs.push_back(field("transactionHash") + "|" + (index ? quantity(*index) : "-") + "|" + field("address") + "|" +
                     topics + "|" + field("data"));
    }
    std::sort(logs.begin(), logs.end());
    std::string key;
    for (const auto& l : logs) key += l + ";";
    return key;
  }
  if (request.method == "eth_getBalance") return quantity(result);
  return text(result);
}

QuorumRpcClient::QuorumRpcClient(std::string chain, std::vector<std::shared_ptr<RpcClient>> urls,
                                 std::vector<std::string> names, std::chrono::steady_clock::duration quarantine)
    : chain_(std::move(chain)), urls_(std::move(urls)), names_(std::move(names)), quarantine_(quarantine) {
  if (urls_.size() < 2 || names_.size() != urls_.size())
    throw std::invalid_argument("chain " + chain_ + ": verify = \"quorum\" needs at least 2 rpc_urls");
  quarantined_until_.resize(urls_.size());
}

std::vector<std::size_t> QuorumRpcClient::candidates() {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < urls_.size(); ++i)
    if (quarantined_until_[i] <= now) out.push_back(i);
  return out;
}

void QuorumRpcClient::quarantine(std::size_t url, const RpcRequest& request) {
  {
    std::lock_guard lock(mutex_);
    quarantined_until_[url] = std::chrono::steady_clock::now() + quarantine_;
  }
  Metrics::global().inc(kDisagreementsMetric, {{"chain", chain_}, {"url", names_[url]}});
  std::cerr << "chain=" << chain_ << " quorum: " << names_[url] << " was outvoted on " << request.method
            << "; not asked for " << std::chrono::duration_cast<std::chrono::seconds>(quarantine_).count() << " s\n";
}

Result<std::vector<Result<json::value>>> QuorumRpcClient::batch(const std::vector<RpcRequest>& requests) {
  using Answers = Result<std::vector<Result<json::value>>>;
  const auto order = candidates();
  std::size_t next = 0;  // the first URL of `order` not asked yet
  // The calls `which` (nullptr: the whole batch) from the next URL of `order` that answers them;
  // `used` is that URL. `none` is the error when no URL is left to ask.
  auto next_answer = [&](const std::vector<std::size_t>* which, std::size_t& used, const std::string& none) {
    std::vector<RpcRequest> subset;
    if (which)
      for (std::size_t i : *which) subset.push_back(requests[i]);
    Answers out = make_error(Errc::kUpstream, none);
    while (next < order.size()) {
      used = order[next++];
      out = urls_[used]->batch(which ? subset : requests);
      if (out) break;
    }
    return out;
  };
  auto no_quorum = [&](const std::string& why) -> Answers {
    Metrics::global().inc(kNoQuorumMetric, {{"chain", chain_}});
    return make_error(Errc::kUpstream, "chain " + chain_ + " quorum: " + why);
  };

  std::size_t primary = urls_.size(), second = urls_.size(), third = urls_.size();
  Answers first = next_answer(nullptr, primary, "chain " + chain_ + ": every RPC URL is in quarantine");
  if (!first) return first;
  auto& results = *first;

  // Calls to compare (they need it and the first URL's outcome is a vote) and that vote. Each vote
  // is computed once: a log range's key sorts every log of it.
  std::vector<std::size_t> checked;
  std::vector<std::string> first_votes;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (!needs_quorum(requests[i])) continue;
    if (auto v = vote(requests[i], results[i])) {
      checked.push_back(i);
      first_votes.push_back(std::move(*v));
    }
  }
  if (checked.empty()) return first;

  // The same calls from a second URL.
  Answers again = next_answer(&checked, second, "no second URL");
  if (!again) return no_quorum("no second URL answered (" + again.error().message + ")");

  std::vector<std::size_t> disputed;      // indexes into checked
  std::vector<std::string> second_votes;  // the second URL's vote for each disputed call
  for (std::size_t k = 0; k < checked.size(); ++k) {
    const std::size_t i = checked[k];
    auto& other = (*again)[k];
    auto other_vote = vote(requests[i], other);
    if (!other_vote) {  // the second URL refused this call: its error stands (e.g. a range to split)
      results[i] = other.error();
      continue;
    }
    if (first_votes[k] != *other_vote) {
      disputed.push_back(k);
      second_votes.push_back(std::move(*other_vote));
    }
  }
  if (disputed.empty()) return first;

  // A third URL decides each disputed call; the URL it does not side with is quarantined.
  std::vector<std::size_t> which;
  for (std::size_t k : disputed) which.push_back(checked[k]);
  Answers decided = next_answer(&which, third, "no third URL");
  if (!decided) return no_quorum(std::to_string(disputed.size()) + " call(s) differ between " + names_[primary] + " and " +
                                 names_[second] + " and no third URL answered");
  bool primary_lost = false, second_lost = false;
  for (std::size_t d = 0; d < disputed.size(); ++d) {
    const std::size_t k = disputed[d], i = checked[k];
    const auto key = vote(requests[i], (*decided)[d]);
    if (!key) return no_quorum(requests[i].method + " differs and the third URL refused it");
    if (*key == first_votes[k]) {
      second_lost = true;
    } else if (*key == second_votes[d]) {
      primary_lost = true;
      results[i] = std::move((*again)[k]);
    } else {
      return no_quorum(requests[i].method + " answered three ways");
    }
  }
  if (primary_lost) quarantine(primary, requests[checked[disputed.front()]]);
  if (second_lost) quarantine(second, requests[checked[disputed.front()]]);
  return first;
}

std::size_t QuorumRpcClient::parallelism() const {
  std::size_t sum = 0;
  for (const auto& u : urls_) sum += u->parallelism();
  return std::max<std::size_t>(1, sum / 2);  // a checked batch occupies two URLs
}

std::size_t QuorumRpcClient::max_batch() const {
  std::size_t m = urls_.front()->max_batch();
  for (const auto& u : urls_) m = std::min(m, u->max_batch());
  return m;
}

}  // namespace creditscope::chain
