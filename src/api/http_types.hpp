#pragma once
// Transport-neutral request and response: handlers are plain functions from one to the other.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace creditscope::api {

struct ApiRequest {
  std::string method;  // "GET", "HEAD", ...
  std::string path;    // target before '?'
  std::string query;   // target after '?', undecoded
  std::string api_key; // value of x-api-key, empty if absent
  bool has_api_key = false;
  std::string client;  // remote address, for per-client limits when no API keys are configured
  std::string limit_key;  // who per-client limits count against (Router::limit_key); set by the server
  // The request headers a handler reads (Accept, Accept-Encoding, If-None-Match, Last-Event-ID),
  // names in lower case.
  std::vector<std::pair<std::string, std::string>> headers;

  /// The header's value, or nullptr. name in lower case.
  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return &v;
    return nullptr;
  }
};

/// A body produced piece by piece (sent chunked): a CSV export, an event stream.
/// The transport calls next() on a worker thread, never twice at once, until it returns nullopt.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  /// The next piece to send; an empty string when there is nothing yet (asked again after
  /// idle_wait()); nullopt at the end. Should not block for long.
  virtual std::optional<std::string> next() = 0;
  virtual std::chrono::milliseconds idle_wait() const { return std::chrono::milliseconds(250); }
  /// The server is shutting down: the last piece to send before the end (may be empty), or
  /// nullopt when stopping here would leave the body incomplete: then the connection is cut
  /// without the final chunk, so the client cannot mistake a part for the whole.
  virtual std::optional<std::string> on_shutdown() { return std::nullopt; }
};

struct ApiResponse {
  unsigned status = 200;
  std::string body;

  std::string_view body_text() const { return shared_body ? std::string_view(*shared_body) : std::string_view(body); }
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<const std::string> shared_body = {};  // when set, sent instead of body, without a copy
  std::shared_ptr<BodyStream> stream = {};  // when set, the body is this stream, sent chunked
  bool no_body = false;  // 304: headers only, no Content-Length
};

/// {"detail":"<text>"} with the given status (Starlette's HTTPException shape).
ApiResponse detail_response(unsigned status, std::string_view detail);
/// A 422 with a validation error body (validation.hpp writes them).
ApiResponse unprocessable(std::string body);

}  // namespace creditscope::api
