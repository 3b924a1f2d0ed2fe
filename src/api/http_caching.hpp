#pragma once
// HTTP caching of a rendered body: a strong ETag, 304 for a matching If-None-Match, gzip made
// once per body when the client accepts it, Vary: Accept-Encoding.

#include <string>
#include <string_view>

#include "api/http_types.hpp"
#include "api/render.hpp"

namespace creditscope::api {

/// RFC 9110: If-None-Match is "*" or a list of entity tags, compared weakly.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

/// Accept-Encoding names gzip (or *, when gzip is not named) with a q above 0.
bool accepts_gzip(const std::string* accept_encoding);

/// 304 (headers only) when If-None-Match matches the body's ETag, else 200 with the body, gzipped
/// when accepted and 1 KiB or more. ETag, Cache-Control and Vary either way.
ApiResponse cached_response(const ApiRequest& request, const EncodedAnswer& body, std::string_view cache_control,
                            std::string_view content_type = "application/json");

}  // namespace creditscope::api
