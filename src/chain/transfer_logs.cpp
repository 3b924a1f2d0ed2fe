#include "chain/transfer_logs.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/hex.hpp"
#include "core/keccak.hpp"
#include "core/metrics.hpp"

namespace creditscope::chain {
namespace {
constexpr MetricFamily kRpcBehindMetric{"creditscope_rpc_behind_total", "eth_getLogs answers discarded because the node lacked the range's last block"};
}  // namespace

const Hash32& transfer_topic() {
  static const Hash32 topic = keccak256(view(std::string_view("Transfer(address,address,uint256)")));
  return topic;
}

namespace {

json::value topic_list(const std::vector<Address>& accounts) {
  json::array list;
  for (const auto& a : accounts) {
    Hash32 padded{};
    std::copy(a.bytes.begin(), a.bytes.end(), padded.bytes.begin() + 12);
    list.push_back(json::string(hex::encode(view(padded))));
  }
  if (list.size() == 1) return list[0];
  return list;
}

std::optional<std::string_view> str(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string_view(v->as_string());
}

// Decodes one log; nullopt if it is not an ERC-20 Transfer touching one of the accounts.
// Malformed entries (a node bug) are reported as errors rather than skipped.
using Match = std::function<bool(const Address&)>;
Result<std::optional<TokenTransfer>> decode_log(const json::value& v, const Match& match, std::uint64_t from_block,
                                                std::uint64_t to_block) {
  auto bad = [](const char* what) { return make_error(Errc::kUpstream, std::string("malformed log from node: ") + what); };
  if (!v.is_object()) return bad("not an object");
  const auto& o = v.as_object();
  if (auto* removed = o.if_contains("removed"); removed && removed->is_bool() && removed->as_bool())
    return std::optional<TokenTransfer>{};
  auto* topics_v = o.if_contains("topics");
  if (!topics_v || !topics_v->is_array()) return bad("no topics");
  const auto& topics = topics_v->as_array();
  if (topics.size() != 3) return std::optional<TokenTransfer>{};  // ERC-721 Transfer has 4 topics
  std::array<Hash32, 3> t;
  for (std::size_t i = 0; i < 3; ++i) {
    if (!topics[i].is_string()) return bad("topic not a string");
    auto h = hex::decode_hash(topics[i].as_string());
    if (!h) return bad("topic not 32 bytes");
    t[i] = *h;
  }
  if (t[0] != transfer_topic()) return std::optional<TokenTransfer>{};
  auto to_address = [](const Hash32& h) -> std::optional<Address> {
    for (std::size_t i = 0; i < 12; ++i)
      if (h.bytes[i] != 0) return std::nullopt;
    Address a;
    std::copy(h.bytes.begin() + 12, h.bytes.end(), a.bytes.begin());
    return a;
  };
  auto from = to_address(t[1]), to = to_address(t[2]);
  if (!from || !to) return std::optional<TokenTransfer>{};
  if (!match(*from) && !match(*to)) return std::optional<TokenTransfer>{};

  auto address = str(o, "address"), data = str(o, "data"), block = str(o, "blockNumber"),
       index = str(o, "logIndex"), txn = str(o, "transactionHash");
  if (!address || !data || !block || !index || !txn) return bad("missing field");
  TokenTransfer out;
  auto token = hex::decode_address(*address);
  auto block_num = hex::decode_quantity(*block);
  auto log_index = hex::decode_quantity(*index);
  auto txn_hash = hex::decode_hash(*txn);
  if (!token || !block_num || !log_index || !txn_hash || *log_index > UINT32_MAX) return bad("bad field");
  if (*block_num < from_block || *block_num > to_block) return bad("log outside the requested range");
  auto amount = hex::decode(*data);
  if (!amount) return bad("data not hex");
  if (amount->size() != 32) return std::optional<TokenTransfer>{};  // not an ERC-20 amount
  out.token = *token;
  out.from = *from;
  out.to = *to;
  out.raw_amount = u256_from_word(view(*amount));
  out.block_num = *block_num;
  out.log_index = static_cast<std::uint32_t>(*log_index);
  out.txn_hash = *txn_hash;
  if (auto ts = str(o, "blockTimestamp")) {
    if (auto seconds = hex::decode_quantity(*ts)) out.block_timestamp = *seconds;
  }
  return std::optional<TokenTransfer>{out};
}

}  // namespace

namespace {

constexpr MetricFamily kLogsRefusalsMetric{"creditscope_logs_refusals_total",
                                           "eth_getLogs ranges refused by a provider, by kind (range, results)"};
constexpr MetricFamily kLogsBlocksMetric{"creditscope_logs_blocks_scanned_total", "Blocks covered by answered eth_getLogs ranges"};

// One scan: pending ranges are cut at the tuner's span, packed into batches, sent by the calling
// thread and helpers, and handed back in block order.
class LogScan {
 public:
  LogScan(RpcClient& rpc, const std::vector<Address>& accounts, std::uint64_t from, std::uint64_t to,
          LogRangeTuner& tuner, const ScanOptions& options)
      : rpc_(rpc),
        tuner_(tuner),
        options_(options),
        accounts_(accounts.begin(), accounts.end()),
        match_(options.match_any ? options.match_any : Match([this](const Address& a) { return accounts_.count(a) > 0; })),
        per_range_(options.match_any ? 1 : 2),
        who_(options.match_any ? json::value() : topic_list(accounts)),
        topic0_(hex::encode(view(transfer_topic()))),
        next_ordered_(from),
        max_in_flight_(std::max<std::size_t>(1, options.max_in_flight ? options.max_in_flight : rpc.parallelism())),
        ranges_per_request_(std::max<std::size_t>(1, (rpc.max_batch() - 1) / per_range_)),
        deadline_(ScopedDeadline::current()) {
    pending_[from] = to;
  }

  Result<std::vector<TokenTransfer>> run() {
    std::vector<TokenTransfer> out;
    work(true, out);
    for (auto& t : helpers_) t.join();
    if (failed_) return *failed_;
    return out;
  }

 private:
  struct Range {
    std::uint64_t from, to;
  };
  struct Done {
    std::uint64_t to;
    std::vector<TokenTransfer> transfers;
  };

  // The calling thread (caller = true) also delivers progress in order; helpers only fetch.
  void work(bool caller, std::vector<TokenTransfer>& out) {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (caller && deliverable()) {
        auto [through, chunk] = take_ordered();
        lock.unlock();
        Result<void> r{};
        if (options_.on_progress) r = options_.on_progress(through, chunk);
        else out.insert(out.end(), std::make_move_iterator(chunk.begin()), std::make_move_iterator(chunk.end()));
        lock.lock();
        if (!r) fail(r.error());
        continue;
      }
      if (failed_ || (pending_.empty() && in_flight_ == 0 && (!caller || done_.empty()))) break;
      if (pending_.empty() || probe_in_flight_) {
        cv_.wait(lock);
        continue;
      }
      auto plan = tuner_.plan();
      std::vector<Range> ranges;
      if (plan.probe) {
        ranges.push_back(cut(plan.span));
        probe_in_flight_ = true;
      } else {
        // The batch limit can shrink while scanning (a rate learned from 429s), and after a 413.
        const std::size_t per_request = std::min(ranges_per_request_, std::max<std::size_t>(1, (rpc_.max_batch() - 1) / per_range_));
        while (ranges.size() < per_request && !pending_.empty()) ranges.push_back(cut(plan.span));
      }
      ++in_flight_;
      // More waiting than this request carries: let another thread send it meanwhile.
      if (!pending_.empty() && !plan.probe && helpers_.size() + 1 < max_in_flight_)
        helpers_.emplace_back([this] {
          std::optional<ScopedDeadline> scope;
          if (deadline_) scope.emplace(*deadline_);
          std::vector<TokenTransfer> unused;
          work(false, unused);
        });
      lock.unlock();
      auto results = send(ranges);
      lock.lock();
      --in_flight_;
      bool verdict = false;  // the probe was answered or refused for its size
      auto pause = absorb(ranges, plan, results, verdict);
      if (plan.probe) {
        // Any other ending (a failed request, a node behind, a result cap) leaves the span unknown.
        if (!verdict) tuner_.abandon_probe();
        probe_in_flight_ = false;
      }
      cv_.notify_all();
      if (pause.count()) {
        lock.unlock();
        std::this_thread::sleep_for(pause);
        lock.lock();
      }
    }
    cv_.notify_all();
  }

  Range cut(std::uint64_t span) {  // REQUIRES: mutex_ held, pending_ not empty
    auto it = pending_.begin();
    const std::uint64_t from = it->first, end = it->second;
    pending_.erase(it);
    const std::uint64_t to = end - from >= span ? from + span - 1 : end;
    if (to < end) pending_[to + 1] = end;
    return {from, to};
  }

  Result<std::vector<Result<json::value>>> send(const std::vector<Range>& ranges) {
    std::vector<RpcRequest> requests;
    std::uint64_t highest = 0;
    for (const auto& r : ranges) {
      requests.push_back({"eth_getLogs", filter(r, true)});
      if (per_range_ == 2) requests.push_back({"eth_getLogs", filter(r, false)});
      highest = std::max(highest, r.to);
    }
    // The highest block from the same node: one that has not seen it yet answers an empty log list
    // that is simply wrong, so its answer is only taken when it knows the block.
    requests.push_back({"eth_getBlockByNumber", json::array{hex::encode_quantity(highest), false}});
    return rpc_.batch(requests);
  }

  json::array filter(const Range& r, bool as_sender) const {
    json::array topics{json::string(topic0_)};
    if (per_range_ == 1) {
      // every Transfer of the range: matched locally
    } else if (as_sender) {
      topics.push_back(who_);
    } else {
      topics.push_back(nullptr);
      topics.push_back(who_);
    }
    return json::array{json::object{{"fromBlock", hex::encode_quantity(r.from)},
                                    {"toBlock", hex::encode_quantity(r.to)},
                                    {"topics", std::move(topics)}}};
  }

  // Takes in one request's answer. REQUIRES: mutex_ held. Returns how long to pause before more;
  // verdict: the tuner was told how a probe fared.
  std::chrono::milliseconds absorb(const std::vector<Range>& ranges, const LogRangeTuner::Plan& plan,
                                   Result<std::vector<Result<json::value>>>& results, bool& verdict) {
    auto requeue = [&] {
      for (const auto& r : ranges) pending_[r.from] = r.to;
    };
    if (!results) {
      if (results.error().code == Errc::kRangeTooLarge && ranges.size() > 1) {  // HTTP 413: smaller batches
        ranges_per_request_ = std::max<std::size_t>(1, ranges.size() / 2);
        requeue();
        return {};
      }
      fail(results.error());
      return {};
    }
    // Refusals are read whatever the block answer says (some nodes answer a whole batch with the
    // refusal); logs are only taken from a node that has the request's highest block.
    const auto& block = results->back();
    const bool has_block = block && block->is_object();
    bool lacked_block = false;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const Range& r = ranges[i];
      const std::uint64_t span = r.to - r.from + 1;
      auto& sent = (*results)[per_range_ * i];
      auto& received = (*results)[per_range_ * i + per_range_ - 1];
      const Result<json::value>* refused = !sent ? &sent : !received ? &received : nullptr;
      if (refused) {
        const std::string& message = refused->error().message;
        LogLimit limit = classify_logs_error(message);
        if (limit.kind == LogLimit::Kind::kNone) {
          fail(make_error(Errc::kUpstream, "eth_getLogs failed: " + message));
          return {};
        }
        if (span == 1) {
          fail(make_error(Errc::kUpstream, "eth_getLogs refused even a single block: " + message));
          return {};
        }
        const bool results_cap = limit.kind == LogLimit::Kind::kResultCap;
        Metrics::global().inc(kLogsRefusalsMetric, {{"kind", results_cap ? "results" : "range"}});
        if (results_cap) {
          // Only this range is too busy: split it, at the provider's suggestion when it fits.
          std::uint64_t mid = r.from + span / 2 - 1;
          if (limit.suggested && limit.suggested->first == r.from && limit.suggested->second < r.to) mid = limit.suggested->second;
          pending_[r.from] = mid;
          pending_[mid + 1] = r.to;
        } else {
          tuner_.on_refused(span, limit, plan.probe);
          verdict |= plan.probe;
          pending_[r.from] = r.to;
        }
        continue;
      }
      if (!has_block) {
        pending_[r.from] = r.to;
        lacked_block = true;
        continue;
      }
      std::map<std::pair<std::uint64_t, std::uint32_t>, TokenTransfer> unique;  // a self-transfer matches twice
      for (std::size_t k = 0; k < per_range_; ++k) {  // the out list, then the in list (or the one list)
        auto* answer = &(*results)[per_range_ * i + k];
        if (!(*answer)->is_array()) {
          fail(make_error(Errc::kUpstream, "eth_getLogs returned a non-array result"));
          return {};
        }
        for (const auto& log : (*answer)->as_array()) {
          auto decoded = decode_log(log, match_, r.from, r.to);
          if (!decoded) {
            fail(decoded.error());
            return {};
          }
          if (*decoded) unique.emplace(std::pair{(*decoded)->block_num, (*decoded)->log_index}, **decoded);
        }
      }
      Done d{r.to, {}};
      d.transfers.reserve(unique.size());
      for (auto& [key, t] : unique) d.transfers.push_back(std::move(t));
      done_[r.from] = std::move(d);
      tuner_.on_success(span, plan.probe);
      verdict |= plan.probe;
      Metrics::global().inc(kLogsBlocksMetric, {}, span);
    }
    if (!lacked_block) {
      behind_ = 0;
      return {};
    }
    Metrics::global().inc(kRpcBehindMetric, {});
    if (++behind_ > 5)
      fail(make_error(Errc::kUpstream, "RPC node keeps answering for block " + std::to_string(ranges.back().to) +
                                           " without having it"));
    return std::chrono::milliseconds(100 * behind_);
  }

  bool deliverable() const { return !done_.empty() && done_.begin()->first == next_ordered_; }

  // REQUIRES: mutex_ held and deliverable().
  std::pair<std::uint64_t, std::vector<TokenTransfer>> take_ordered() {
    std::vector<TokenTransfer> chunk;
    std::uint64_t through = next_ordered_;
    while (deliverable()) {
      auto node = done_.extract(done_.begin());
      through = node.mapped().to;
      chunk.insert(chunk.end(), std::make_move_iterator(node.mapped().transfers.begin()),
                   std::make_move_iterator(node.mapped().transfers.end()));
      next_ordered_ = through + 1;
    }
    return {through, std::move(chunk)};
  }

  void fail(Error e) {  // REQUIRES: mutex_ held
    if (!failed_) failed_ = std::move(e);
    cv_.notify_all();
  }

  RpcClient& rpc_;
  LogRangeTuner& tuner_;
  const ScanOptions& options_;
  const std::set<Address> accounts_;
  const Match match_;
  const std::size_t per_range_;  // eth_getLogs per range: in and out, or one for every Transfer
  const json::value who_;
  const std::string topic0_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::uint64_t, std::uint64_t> pending_;  // ranges not yet sent, from -> to; guarded by mutex_
  std::map<std::uint64_t, Done> done_;              // answered, not yet delivered; guarded by mutex_
  std::uint64_t next_ordered_;                      // first block not delivered; guarded by mutex_
  std::size_t in_flight_ = 0;                       // guarded by mutex_
  bool probe_in_flight_ = false;                    // guarded by mutex_
  int behind_ = 0;                                  // consecutive answers lacking their block; guarded by mutex_
  std::optional<Error> failed_;                     // guarded by mutex_
  const std::size_t max_in_flight_;
  std::size_t ranges_per_request_;                  // guarded by mutex_
  const std::optional<std::chrono::steady_clock::time_point> deadline_;
  std::vector<std::thread> helpers_;                // started and joined by the calling thread
};

}  // namespace

Result<std::vector<TokenTransfer>> fetch_transfer_logs(RpcClient& rpc, const std::vector<Address>& accounts,
                                                       std::uint64_t from_block, std::uint64_t to_block,
                                                       LogRangeTuner& tuner, const ScanOptions& options) {
  if ((accounts.empty() && !options.match_any) || from_block > to_block) return std::vector<TokenTransfer>{};
  return LogScan(rpc, accounts, from_block, to_block, tuner, options).run();
}

Result<std::vector<TokenTransfer>> fetch_block_transfer_logs(RpcClient& rpc, const Hash32& block_hash,
                                                             std::uint64_t block_num, const std::vector<Address>& accounts,
                                                             const std::function<bool(const Address&)>& match_any) {
  if (accounts.empty() && !match_any) return std::vector<TokenTransfer>{};
  const std::set<Address> members(accounts.begin(), accounts.end());
  const Match match = match_any ? match_any : Match([&](const Address& a) { return members.count(a) > 0; });
  const std::string topic0 = hex::encode(view(transfer_topic()));
  auto filter = [&](json::array topics) {
    return json::array{json::object{{"blockHash", hex::encode(view(block_hash))}, {"topics", std::move(topics)}}};
  };
  std::vector<RpcRequest> requests;
  if (match_any) {
    requests.push_back({"eth_getLogs", filter(json::array{json::string(topic0)})});
  } else {
    const json::value who = topic_list(accounts);
    requests.push_back({"eth_getLogs", filter(json::array{json::string(topic0), who})});
    requests.push_back({"eth_getLogs", filter(json::array{json::string(topic0), nullptr, who})});
  }
  auto results = rpc.batch(requests);
  if (!results) return results.error();
  std::map<std::pair<std::uint64_t, std::uint32_t>, TokenTransfer> unique;  // a self-transfer matches twice
  for (auto& r : *results) {
    if (!r) return make_error(Errc::kUpstream, "eth_getLogs by block hash failed: " + r.error().message);
    if (!r->is_array()) return make_error(Errc::kUpstream, "eth_getLogs returned a non-array result");
    for (const auto& log : r->as_array()) {
      auto decoded = decode_log(log, match, block_num, block_num);
      if (!decoded) return decoded.error();
      if (*decoded) unique.emplace(std::pair{(*decoded)->block_num, (*decoded)->log_index}, **decoded);
    }
  }
  std::vector<TokenTransfer> out;
  for (auto& [_, t] : unique) out.push_back(std::move(t));
  return out;
}

Result<void> fill_block_timestamps(RpcClient& rpc, std::vector<TokenTransfer>& transfers) {
  std::vector<std::uint64_t> blocks;
  for (const auto& t : transfers)
    if (t.block_timestamp == 0) blocks.push_back(t.block_num);
  std::sort(blocks.begin(), blocks.end());
  blocks.erase(std::unique(blocks.begin(), blocks.end()), blocks.end());
  if (blocks.empty()) return {};
  std::vector<RpcRequest> requests;
  for (auto b : blocks) requests.push_back({"eth_getBlockByNumber", json::array{hex::encode_quantity(b), false}});
  auto results = rpc.batch(requests);
  if (!results) return results.error();
  std::map<std::uint64_t, std::uint64_t> timestamps;
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    auto& r = (*results)[i];
    if (!r) return make_error(Errc::kUpstream, "eth_getBlockByNumber failed: " + r.error().message);
    if (!r->is_object()) return make_error(Errc::kUpstream, "node does not know block " + std::to_string(blocks[i]));
    auto ts = str(r->as_object(), "timestamp");
    auto seconds = ts ? hex::decode_quantity(*ts) : std::nullopt;
    if (!seconds) return make_error(Errc::kUpstream, "block without timestamp");
    timestamps[blocks[i]] = *seconds;
  }
  for (auto& t : transfers)
    if (t.block_timestamp == 0) t.block_timestamp = timestamps[t.block_num];
  return {};
}

}  // namespace creditscope::chain
