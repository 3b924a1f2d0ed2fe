#pragma once
// A small blocking HTTP/1.1 client for JSON-RPC and price APIs: http and https, keep-alive
// connections reused per thread, a deadline per exchange and a cap on the response body.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace creditscope::chain {

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;  // path and query, at least "/"
};

/// Parses http://host[:port]/path and https://... URLs; kInvalidInput otherwise.
Result<Url> parse_url(std::string_view text);

/// The URL with any user-info, path and query removed: safe to log (paths often carry API keys).
std::string redact_url(std::string_view text);

struct HttpResponse {
  unsigned status = 0;
  std::string body;
  std::optional<std::chrono::seconds> retry_after;  // from a Retry-After header in seconds
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  /// Value of the first header with this (lower-case) name, or nullopt.
  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return std::nullopt;
  }
};

struct HttpOptions {
  std::chrono::milliseconds timeout{10000};   // whole exchange: connect, write, read
  std::size_t max_body_bytes = 256u << 20;    // a response larger than this is an error
  std::vector<std::pair<std::string, std::string>> headers{};  // extra request headers (they replace defaults)
};

/// POSTs body with Content-Type application/json. Transport errors and timeouts are kUpstream /
/// kTimeout; any HTTP status is a value. Thread-safe (connections are per thread).
Result<HttpResponse> http_post(const Url& url, std::string body, const HttpOptions& options = {});
/// GETs the URL. Same contract as http_post.
Result<HttpResponse> http_get(const Url& url, const HttpOptions& options = {});

}  // namespace creditscope::chain
