#include "api/http_caching.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace creditscope::api {

bool etag_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item == "*") return true;
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
  }
  return false;
}

bool accepts_gzip(const std::string* header) {
  if (!header) return false;
  std::string_view rest = *header;
  bool star = false, gzip = false, gzip_named = false;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    auto semi = item.find(';');
    std::string_view coding = item.substr(0, semi);
    while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
    while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
    double q = 1;
    if (semi != std::string_view::npos) {
      auto qpos = item.find("q=", semi);
      if (qpos != std::string_view::npos) q = std::atof(std::string(item.substr(qpos + 2)).c_str());
    }
    std::string lower(coding);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "gzip" || lower == "x-gzip") {
      gzip_named = true;
      gzip = q > 0;
    } else if (lower == "*") {
      star = q > 0;
    }
  }
  return gzip_named ? gzip : star;
}

ApiResponse cached_response(const ApiRequest& request, const EncodedAnswer& body, std::string_view cache_control,
                            std::string_view content_type) {
  ApiResponse r;
  r.content_type = std::string(content_type);
  r.headers.emplace_back("ETag", body.etag);
  r.headers.emplace_back("Cache-Control", std::string(cache_control));
  r.headers.emplace_back("Vary", "Accept-Encoding");
  if (const std::string* inm = request.header("if-none-match"); inm && etag_matches(*inm, body.etag)) {
    r.status = 304;
    r.no_body = true;
    return r;
  }
  if (body.body->size() >= 1024 && accepts_gzip(request.header("accept-encoding"))) {
    r.shared_body = body.gzip();
    r.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    r.shared_body = body.body;
  }
  return r;
}

}  // namespace creditscope::api
