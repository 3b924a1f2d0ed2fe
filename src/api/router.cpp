#include "api/router.hpp"

namespace creditscope::api {

const Route* Router::find(std::string_view path) const {
  for (const auto& r : routes_) {
    if (r.path == path) return &r;
    if (r.path.ends_with('*') && path.starts_with(std::string_view(r.path).substr(0, r.path.size() - 1))) return &r;
  }
  return nullptr;
}

std::optional<ApiResponse> Router::precheck(const ApiRequest& request, const Route* route) const {
  if (!route) return detail_response(404, "Not Found");
  if (request.method != "GET" && request.method != "HEAD") {
    ApiResponse r = detail_response(405, "Method Not Allowed");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (route->needs_api_key && !keys_.accepts(request.has_api_key ? std::optional<std::string_view>(request.api_key)
                                                                 : std::nullopt))
    return detail_response(401, "Invalid or missing API key");
  if (route->needs_api_key && limiter_.enabled()) {
    if (auto wait = limiter_.acquire(limit_key(request))) {
      ApiResponse r = detail_response(429, "Too Many Requests");
      r.headers.emplace_back("Retry-After", std::to_string(*wait));
      return r;
    }
  }
  return std::nullopt;
}

std::string Router::limit_key(const ApiRequest& request) const {
  // Keyed by the key itself only after it was accepted; never logged.
  return keys_.open() ? "ip:" + request.client : "key:" + request.api_key;
}

}  // namespace creditscope::api
