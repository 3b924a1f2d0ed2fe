#include "core/time.hpp"

#include <chrono>
#include <cstdio>

namespace creditscope {

std::string format_utc(std::uint64_t unix_seconds) {
  using namespace std::chrono;
  sys_seconds tp{seconds{static_cast<long long>(unix_seconds)}};
  auto day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss hms{tp - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace creditscope
