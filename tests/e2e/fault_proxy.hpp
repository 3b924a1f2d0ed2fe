#pragma once
// A JSON-RPC proxy for tests that sits between creditscope and anvil and misbehaves on demand the
// way real providers do: 429/500/503, stalls, connection resets, truncated bodies, eth_getLogs
// result-count and block-range refusals, and a lagging head.

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <atomic>
#include <iostream>
#include <mutex>
#include <set>
#include <sys/socket.h>
#include <string>
#include <thread>
#include <vector>

#include "chain/http_client.hpp"
#include "core/hex.hpp"
#include "loopback_server.hpp"

namespace creditscope::e2e {

class FaultProxy {
 public:
  enum class Fault {
    kNone, k429, k500, k503, kStall, kReset, kTruncate, kTooManyResults, kRangeTooLarge, kLagHead,
    kBehind,  // a backend 3 blocks behind: empty log lists and unknown blocks for the newest blocks
    kSlow,    // every request answered correctly after slow_ms
    kLieLogs,     // a lying node: every eth_getLogs answered [] with status 200
    kLieCalls,    // a lying node: every eth_call result with its last nonzero hex digit changed
    kRevertCalls,  // a lying node: every eth_call answered "execution reverted" instead of its result
  };

  explicit FaultProxy(const std::string& upstream)
      : upstream_(*chain::parse_url(upstream)), server_([this](tcp::socket s) { session(std::move(s)); }) {}

  std::string url() const { return server_.url(); }

  /// From now on every `every`-th request gets `fault` (1: all of them); range faults only hit
  /// eth_getLogs requests spanning more than max_span blocks.
  void set(Fault fault, int every = 1, std::uint64_t max_span = 5) {
    fault_ = fault;
    every_ = every;
    max_span_ = max_span;
    counter_ = 0;
  }
  int faults_injected() const { return injected_; }
  void set_slow_ms(int ms) { slow_ms_ = ms; }

 private:
  using tcp = boost::asio::ip::tcp;

  static bool spans_too_much(const boost::json::value& call, std::uint64_t max_span) {
    if (!call.is_object() || call.as_object().if_contains("method") == nullptr ||
        call.at("method") != "eth_getLogs")
      return false;
    const auto& f = call.at("params").as_array()[0].as_object();
    auto from = hex::decode_quantity(f.at("fromBlock").as_string());
    auto to = hex::decode_quantity(f.at("toBlock").as_string());
    return from && to && *to - *from + 1 > max_span;
  }

  // The body to answer a request whose eth_getLogs span is refused, or empty to pass it on.
  std::string refuse_range(const std::string& body) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(body, ec);
    if (ec) return {};
    auto calls = doc.is_array() ? doc.as_array() : boost::json::array{doc};
    bool refuse = false;
    for (const auto& c : calls) refuse |= spans_too_much(c, max_span_);
    if (!refuse) return {};
    boost::json::array out;
    for (const auto& c : calls) {
      std::string message = "block range too large";
      if (fault_ == Fault::kTooManyResults && spans_too_much(c, max_span_)) {
        auto from = *hex::decode_quantity(c.at("params").as_array()[0].at("fromBlock").as_string());
        message = "query returned more than 10000 results. Try with this block range [" + hex::encode_quantity(from) +
                  ", " + hex::encode_quantity(from + max_span_ - 1) + "].";
      }
      out.push_back(boost::json::object{{"jsonrpc", "2.0"}, {"id", c.at("id")},
                                        {"error", boost::json::object{{"code", -32005}, {"message", message}}}});
    }
    return doc.is_array() ? boost::json::serialize(out) : boost::json::serialize(out[0]);
  }

  // Reports a head 5 blocks lower in every eth_blockNumber answer, single or batched.
  std::string lag_head(const std::string& body, const std::string& upstream_answer) {
    boost::system::error_code ec;
    auto req = boost::json::parse(body, ec);
    auto res = ec ? boost::json::value() : boost::json::parse(upstream_answer, ec);
    if (ec) return upstream_answer;
    auto calls = req.is_array() ? req.as_array() : boost::json::array{req};
    auto results = res.is_array() ? res.as_array() : boost::json::array{res};
    for (auto& r : results) {
      for (const auto& c : calls) {
        if (!c.is_object() || !r.is_object() || c.at("id") != r.at("id") || c.at("method") != "eth_blockNumber") continue;
        auto head = hex::decode_quantity(r.at("result").as_string());
        if (head) r.as_object()["result"] = hex::encode_quantity(*head > 5 ? *head - 5 : 0);
      }
    }
    return boost::json::serialize(res.is_array() ? boost::json::value(results) : results[0]);
  }

  // Rewrites an upstream answer as a backend 3 blocks behind the head would have given it.
  std::string behind(const std::string& request, const std::string& answer) {
    boost::system::error_code ec;
    auto req = boost::json::parse(request, ec);
    auto res = boost::json::parse(answer, ec);
    if (ec) return answer;
    auto head_answer = chain::http_post(upstream_, R"({"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]})");
    if (!head_answer) return answer;
    auto head = *hex::decode_quantity(boost::json::parse(head_answer->body).at("result").as_string());
    auto calls = req.is_array() ? req.as_array() : boost::json::array{req};
    auto results = res.is_array() ? res.as_array() : boost::json::array{res};
    bool changed = false;
    for (auto& r : results) {
      if (!r.is_object()) continue;
      for (const auto& c : calls) {
        if (!c.is_object() || c.at("id") != r.at("id")) continue;
        const auto& method = c.at("method");
        if (method == "eth_getLogs") {
          auto to = hex::decode_quantity(c.at("params").as_array()[0].at("toBlock").as_string());
          if (to && *to + 3 > head) r.as_object()["result"] = boost::json::array{}, changed = true;
        } else if (method == "eth_getBlockByNumber") {
          auto n = hex::decode_quantity(c.at("params").as_array()[0].as_string());
          if (n && *n + 3 > head) r.as_object()["result"] = nullptr, changed = true;
        }
      }
    }
    if (changed) ++injected_;
    return boost::json::serialize(res.is_array() ? boost::json::value(results) : results[0]);
  }

  // The modes whose answers lie() rewrites.
  static bool lies(Fault f) { return f == Fault::kLieLogs || f == Fault::kLieCalls || f == Fault::kRevertCalls; }
  // The upstream answer with every eth_getLogs result emptied, or every eth_call result altered or
  // turned into a revert.
  std::string lie(const std::string& request, const std::string& answer, Fault fault) {
    boost::system::error_code ec;
    auto req = boost::json::parse(request, ec);
    auto res = ec ? boost::json::value() : boost::json::parse(answer, ec);
    if (ec) return answer;
    auto calls = req.is_array() ? req.as_array() : boost::json::array{req};
    auto results = res.is_array() ? res.as_array() : boost::json::array{res};
    bool changed = false;
    for (auto& r : results) {
      if (!r.is_object() || !r.as_object().contains("result")) continue;
      for (const auto& c : calls) {
        if (!c.is_object() || c.at("id") != r.at("id")) continue;
        if (fault == Fault::kLieLogs && c.at("method") == "eth_getLogs" && !r.at("result").as_array().empty()) {
          r.as_object()["result"] = boost::json::array{};
          changed = true;
        } else if (fault == Fault::kLieCalls && c.at("method") == "eth_call" && r.at("result").is_string()) {
          std::string word(r.at("result").as_string());
          if (word.size() <= 2) continue;
          // The last digit that is not padding: a balance word's, or a byte of returned code.
          const auto at = word.find_last_not_of('0') > 1 ? word.find_last_not_of('0') : word.size() - 1;
          word[at] = word[at] == '1' ? '2' : '1';
          r.as_object()["result"] = word;
          changed = true;
        } else if (fault == Fault::kRevertCalls && c.at("method") == "eth_call") {
          r.as_object().erase("result");
          r.as_object()["error"] = boost::json::object{{"code", 3}, {"message", "execution reverted"}};
          changed = true;
        }
      }
    }
    if (changed) ++injected_;
    return boost::json::serialize(res.is_array() ? boost::json::value(results) : results[0]);
  }

  void session(tcp::socket socket) {
    namespace http = boost::beast::http;
    boost::beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      boost::system::error_code ec;
      http::read(socket, buffer, req, ec);
      if (ec) return;
      const Fault fault = fault_;
      // kBehind counts only eth_getLogs requests and hits the first of every `every`, so the
      // request after a hit (the client's retry) is served by an up-to-date backend.
      const bool hit = fault == Fault::kBehind
                           ? req.body().find("eth_getLogs") != std::string::npos && (++counter_ % every_ == 1 % every_)
                           : fault != Fault::kNone && (++counter_ % every_ == 0);
      http::response<http::string_body> res{http::status::ok, 11};
      res.set(http::field::content_type, "application/json");
      std::string refused = hit && (fault == Fault::kTooManyResults || fault == Fault::kRangeTooLarge)
                                ? refuse_range(req.body()) : std::string{};
      const bool rewrites = fault == Fault::kLagHead || fault == Fault::kBehind || lies(fault) || fault == Fault::kSlow;
      if (hit && fault != Fault::kTooManyResults && fault != Fault::kRangeTooLarge && !rewrites) ++injected_;
      if (hit && fault == Fault::kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms_.load()));
      if (!refused.empty()) ++injected_;
      if (hit && fault == Fault::kReset) {
        socket.set_option(boost::asio::socket_base::linger(true, 0));  // RST, not FIN
        socket.close(ec);
        return;
      }
      if (hit && fault == Fault::kStall) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        socket.close(ec);
        return;
      }
      if (hit && (fault == Fault::k429 || fault == Fault::k500 || fault == Fault::k503)) {
        res.result(fault == Fault::k429 ? http::status::too_many_requests
                   : fault == Fault::k500 ? http::status::internal_server_error : http::status::service_unavailable);
        if (fault == Fault::k429) res.set(http::field::retry_after, "1");
        res.body() = R"({"error":"injected"})";
      } else if (!refused.empty()) {
        res.body() = refused;
      } else {
        auto up = chain::http_post(upstream_, req.body());
        if (!up) {
          socket.close(ec);
          return;
        }
        res.result(up->status);
        res.body() = !hit                      ? up->body
                     : fault == Fault::kLagHead ? lag_head(req.body(), up->body)
                     : fault == Fault::kBehind  ? behind(req.body(), up->body)
                     : lies(fault)              ? lie(req.body(), up->body, fault)
                                                : up->body;
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      if (hit && fault == Fault::kTruncate) {
        std::string all = res.body();
        res.body() = all.substr(0, all.size() / 2);
        res.content_length(all.size());  // promise more than is sent
        http::serializer<false, http::string_body> sr{res};
        http::write(socket, sr, ec);
        socket.close(ec);
        return;
      }
      http::write(socket, res, ec);
      if (ec || !req.keep_alive()) return;
    }
  }

  const chain::Url upstream_;
  std::atomic<Fault> fault_{Fault::kNone};
  std::atomic<int> every_{1};
  std::atomic<std::uint64_t> max_span_{5};
  std::atomic<int> counter_{0};
  std::atomic<int> injected_{0};
  std::atomic<int> slow_ms_{200};
  LoopbackServer server_;  // last: its sessions use the members above
};

}  // namespace creditscope::e2e
