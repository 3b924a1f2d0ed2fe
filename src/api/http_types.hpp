#pragma once
// Transport-neutral request and response: handlers are plain functions from one to the other.

#include <memory>
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
};

struct ApiResponse {
  unsigned status = 200;
  std::string body;

  std::string_view body_text() const { return shared_body ? std::string_view(*shared_body) : std::string_view(body); }
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<const std::string> shared_body = {};  // when set, sent instead of body, without a copy
};

/// {"detail":"<text>"} with the given status (Starlette's HTTPException shape).
ApiResponse detail_response(unsigned status, std::string_view detail);

}  // namespace creditscope::api
