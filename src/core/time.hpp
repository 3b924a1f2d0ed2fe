#pragma once

#include <cstdint>
#include <string>

namespace creditscope {

/// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ" (UTC, no fractional seconds).
std::string format_utc(std::uint64_t unix_seconds);

}  // namespace creditscope
