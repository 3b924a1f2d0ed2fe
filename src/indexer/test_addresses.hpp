#pragma once
// Distinct addresses for indexer unit tests: addr(n) ends in the byte n.

#include "core/bytes.hpp"

namespace creditscope::indexer::testing {

inline Address addr(std::uint8_t n) {
  Address a;
  a.bytes[19] = n;
  return a;
}

}  // namespace creditscope::indexer::testing
