#pragma once
// The web pages the binary serves (Swagger UI at /docs), embedded at build time from the project's
// own files and npm packages (scripts/embed-assets.mjs), so nothing is fetched at run time.

#include <string_view>
#include <vector>

namespace creditscope::web {

struct Asset {
  std::string_view path;          // URL path, "/docs"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view body;
};

/// Every embedded asset; constant, valid for the life of the program.
const std::vector<Asset>& assets();

}  // namespace creditscope::web
