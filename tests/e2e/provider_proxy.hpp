#pragma once
// A JSON-RPC proxy in front of anvil that behaves like a paid provider on a long chain:
// - block_offset: the chain looks that many blocks longer (anvil's block n is block n + offset;
//   the blocks before are empty, with made-up headers), so a short anvil chain stands for a
//   39-million-block one;
// - eth_getLogs caps: a block-range cap in QuickNode's words, or a result cap in Infura's or
//   Alchemy's words with the range they suggest;
// - a rate limit counting every batch element, answered 429 + Retry-After: 1;
// - latency per HTTP request;
// and counts what it saw: requests, calls per method, refusals, 429s, peak requests in flight.

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <algorithm>
#include <optional>
#include <mutex>
#include <string>
#include <thread>

#include "chain/http_client.hpp"
#include "core/hex.hpp"
#include "core/keccak.hpp"
#include "loopback_server.hpp"

namespace creditscope::e2e {

struct ProviderShape {
  enum class Words { kQuickNode, kInfura, kAlchemy };
  std::uint64_t block_offset = 0;
  std::uint64_t max_range = 0;    // eth_getLogs blocks; 0: no cap (QuickNode words)
  std::uint64_t max_results = 0;  // eth_getLogs logs; 0: no cap
  Words result_words = Words::kInfura;
  double max_rps = 0;             // calls per second; 0: no limit
  std::chrono::milliseconds latency{0};
  std::chrono::milliseconds logs_latency{0};  // extra, for requests carrying eth_getLogs
};

class ProviderProxy {
 public:
  struct Stats {
    long http_requests = 0, calls = 0, get_logs = 0, block_by_number = 0, block_number = 0, eth_call = 0, refused = 0,
         throttled = 0;
    int peak_in_flight = 0;
  };

  ProviderProxy(const std::string& upstream, ProviderShape shape)
      : upstream_(*chain::parse_url(upstream)), shape_(shape), server_([this](tcp::socket s) { session(std::move(s)); }) {}

  std::string url() const { return server_.url(); }
  Stats stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }
  void reset_stats() {
    std::lock_guard lock(mutex_);
    stats_ = {};
  }
  void set_logs_latency(std::chrono::milliseconds ms) {
    std::lock_guard lock(mutex_);
    shape_.logs_latency = ms;
  }

 private:
  using tcp = boost::asio::ip::tcp;
  using Value = boost::json::value;

  static Value error(const Value& id, std::int64_t code, const std::string& message) {
    return boost::json::object{{"jsonrpc", "2.0"}, {"id", id},
                               {"error", boost::json::object{{"code", code}, {"message", message}}}};
  }
  static Value result(const Value& id, Value v) {
    return boost::json::object{{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(v)}};
  }
  static std::optional<std::uint64_t> number(const Value& v) {
    return v.is_string() ? hex::decode_quantity(v.as_string()) : std::nullopt;
  }
  // A made-up but stable hash for a block before anvil's genesis.
  static std::string fake_hash(std::uint64_t n) {
    std::string s = "offset-block-" + std::to_string(n);
    return hex::encode(view(keccak256(view(std::string_view(s)))));
  }

  // One upstream call's answer, brought back into the client's block numbers.
  struct Pending {
    Value id;
    std::string method;
    std::uint64_t from = 0, to = 0;  // eth_getLogs, client numbers
  };

  // The answer to one request body (a call or a batch), or the status to answer instead.
  std::string answer(const std::string& body, bool& throttle) {
    boost::system::error_code ec;
    Value doc = boost::json::parse(body, ec);
    if (ec) return R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}})";
    const bool batch = doc.is_array();
    boost::json::array calls = batch ? doc.as_array() : boost::json::array{doc};
    const std::uint64_t offset = shape_.block_offset;
    {
      std::lock_guard lock(mutex_);
      stats_.calls += static_cast<long>(calls.size());
      for (const auto& c : calls) {
        if (!c.is_object()) continue;
        if (c.at("method") == "eth_getLogs") ++stats_.get_logs;
        if (c.at("method") == "eth_getBlockByNumber") ++stats_.block_by_number;
        if (c.at("method") == "eth_blockNumber") ++stats_.block_number;
        if (c.at("method") == "eth_call") ++stats_.eth_call;
      }
      if (shape_.max_rps > 0) {  // providers count every batch element
        const auto now = std::chrono::steady_clock::now();
        while (!window_.empty() && now - window_.front().first >= std::chrono::seconds(1)) window_.pop_front();
        std::size_t used = 0;
        for (const auto& e : window_) used += e.second;
        if (static_cast<double>(used + calls.size()) > shape_.max_rps) {
          ++stats_.throttled;
          throttle = true;
          return R"({"jsonrpc":"2.0","id":null,"error":{"code":429,"message":"Too Many Requests"}})";
        }
        window_.emplace_back(now, calls.size());
      }
    }
    std::vector<Value> out(calls.size());
    boost::json::array upstream;
    std::map<std::size_t, Pending> pending;  // upstream id -> what to do with its answer
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (!calls[i].is_object()) {
        out[i] = error(nullptr, -32600, "invalid request");
        continue;
      }
      auto call = calls[i].as_object();
      const Value id = call.at("id");
      const std::string method(call.at("method").as_string());
      auto& params = call["params"].as_array();
      auto forward = [&](Pending p) {
        call["id"] = upstream.size();
        pending[upstream.size()] = std::move(p);
        upstream.push_back(call);
      };
      if (method == "eth_getLogs") {
        auto& f = params[0].as_object();
        if (f.contains("blockHash")) {  // one block by its hash (EIP-234): no range to cap
          forward({id, method, 0, 0});
          continue;
        }
        std::optional<std::uint64_t> from, to;
        if (auto* v = f.if_contains("fromBlock")) from = number(*v);
        if (auto* v = f.if_contains("toBlock")) to = number(*v);
        if (!from || !to || *to < *from) {
          out[i] = error(id, -32602, "invalid block range");
          continue;
        }
        if (shape_.max_range && *to - *from + 1 > shape_.max_range) {
          out[i] = error(id, -32614, "eth_getLogs is limited to a " + std::to_string(shape_.max_range) + " block range");
          std::lock_guard lock(mutex_);
          ++stats_.refused;
          continue;
        }
        if (*to < offset) {  // before anvil's genesis: nothing happened there
          out[i] = result(id, boost::json::array{});
          continue;
        }
        f["fromBlock"] = hex::encode_quantity(*from < offset ? 0 : *from - offset);
        f["toBlock"] = hex::encode_quantity(*to - offset);
        forward({id, method, *from, *to});
      } else if (method == "eth_getBlockByNumber") {
        auto n = number(params[0]);
        if (n && *n < offset) {
          out[i] = result(id, boost::json::object{{"number", hex::encode_quantity(*n)},
                                                  {"hash", fake_hash(*n)},
                                                  {"parentHash", *n ? fake_hash(*n - 1) : fake_hash(UINT64_MAX)},
                                                  {"timestamp", "0x0"},
                                                  {"transactions", boost::json::array{}}});
          continue;
        }
        if (n) params[0] = hex::encode_quantity(*n - offset);
        forward({id, method});
      } else if (method == "eth_call" || method == "eth_getCode" || method == "eth_getBalance") {
        auto n = params.size() > 1 ? number(params.back()) : std::nullopt;
        if (n && *n < offset) {
          out[i] = method == "eth_call" ? error(id, -32000, "execution reverted") : result(id, "0x");
          continue;
        }
        if (n) params.back() = hex::encode_quantity(*n - offset);
        forward({id, method});
      } else {
        forward({id, method});
      }
    }
    if (!upstream.empty()) {
      auto up = chain::http_post(upstream_, boost::json::serialize(upstream));
      if (!up || up->status != 200) return {};
      Value answers = boost::json::parse(up->body, ec);
      if (ec || !answers.is_array()) return {};
      std::map<std::size_t, std::size_t> slot;  // upstream id -> index in out
      {
        std::size_t k = 0;
        for (std::size_t i = 0; i < calls.size(); ++i)
          if (out[i].is_null()) slot[k++] = i;
      }
      for (auto& a : answers.as_array()) {
        auto& obj = a.as_object();
        const std::size_t uid = static_cast<std::size_t>(obj.at("id").to_number<std::int64_t>());
        const Pending& p = pending.at(uid);
        obj["id"] = p.id;
        if (auto* r = obj.if_contains("result"); r && !r->is_null()) {
          if (p.method == "eth_blockNumber") {
            *r = hex::encode_quantity(*number(*r) + offset);
          } else if (p.method == "eth_getBlockByNumber" && r->is_object()) {
            r->as_object()["number"] = hex::encode_quantity(*number(r->at("number")) + offset);
          } else if (p.method == "eth_getLogs" && r->is_array()) {
            for (auto& log : r->as_array())
              log.as_object()["blockNumber"] = hex::encode_quantity(*number(log.at("blockNumber")) + offset);
            if (shape_.max_results && r->as_array().size() > shape_.max_results) {
              a = results_error(p, r->as_array());
              std::lock_guard lock(mutex_);
              ++stats_.refused;
            }
          }
        }
        out[slot.at(uid)] = std::move(a);
      }
    }
    if (!batch) return boost::json::serialize(out[0]);
    boost::json::array all(out.begin(), out.end());
    return boost::json::serialize(all);
  }

  // The provider's refusal of a range with too many logs, suggesting one that fits.
  Value results_error(const Pending& p, const boost::json::array& logs) const {
    std::vector<std::uint64_t> blocks;
    for (const auto& log : logs) blocks.push_back(*number(log.at("blockNumber")));
    std::sort(blocks.begin(), blocks.end());
    // The suggestion ends before the block holding the first log past the cap.
    const std::uint64_t first_over = blocks[shape_.max_results];
    const std::uint64_t end = first_over > p.from ? first_over - 1 : p.from;
    const std::string range = "[" + hex::encode_quantity(p.from) + ", " + hex::encode_quantity(end) + "]";
    const std::string cap = std::to_string(shape_.max_results);
    if (shape_.result_words == ProviderShape::Words::kAlchemy)
      return error(p.id, -32602,
                   "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no "
                   "limit on the response size, or you can request any block range with a cap of " + cap +
                       " logs in the response. Based on your parameters, this block range should work: " + range);
    return error(p.id, -32005, "query returned more than " + cap + " results. Try with this block range " + range + ".");
  }

  void session(tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      std::chrono::milliseconds delay;
      {
        std::lock_guard lock(mutex_);
        ++stats_.http_requests;
        stats_.peak_in_flight = std::max(stats_.peak_in_flight, ++in_flight_);
        delay = shape_.latency + (req.body().find("eth_getLogs") != std::string::npos ? shape_.logs_latency
                                                                                       : std::chrono::milliseconds(0));
      }
      std::this_thread::sleep_for(delay);
      bool throttle = false;
      std::string body = answer(req.body(), throttle);
      {
        std::lock_guard lock(mutex_);
        --in_flight_;
      }
      http::response<http::string_body> res{throttle ? http::status::too_many_requests
                                            : body.empty() ? http::status::bad_gateway
                                                           : http::status::ok,
                                            11};
      res.set(http::field::content_type, "application/json");
      if (throttle) res.set(http::field::retry_after, "1");
      res.body() = body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  const chain::Url upstream_;
  mutable std::mutex mutex_;
  ProviderShape shape_;  // guarded by mutex_ where it can change (logs_latency)
  Stats stats_;          // guarded by mutex_
  int in_flight_ = 0;    // guarded by mutex_
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::size_t>> window_;  // guarded by mutex_
  LoopbackServer server_;  // last: its sessions use the members above
};

}  // namespace creditscope::e2e
