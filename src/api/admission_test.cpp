#include "api/admission.hpp"

#include <gtest/gtest.h>

namespace creditscope::api {
namespace {

unsigned status_of(const std::variant<std::shared_ptr<void>, ApiResponse>& v) {
  return std::holds_alternative<ApiResponse>(v) ? std::get<ApiResponse>(v).status : 200;
}
std::string retry_after(const std::variant<std::shared_ptr<void>, ApiResponse>& v) {
  for (const auto& [k, value] : std::get<ApiResponse>(v).headers)
    if (k == "Retry-After") return value;
  return {};
}

TEST(NewAccountGate, RunningBackfillsAreBoundedAndFreedByTheirTokens) {
  NewAccountGate gate(0, 2);
  auto a = gate.admit("x");
  auto b = gate.admit("y");
  ASSERT_EQ(status_of(a), 200u);
  ASSERT_EQ(status_of(b), 200u);
  EXPECT_EQ(gate.running(), 2u);
  auto c = gate.admit("z");
  EXPECT_EQ(status_of(c), 503u);
  EXPECT_EQ(retry_after(c), "5");
  std::get<std::shared_ptr<void>>(a).reset();  // that backfill ended
  EXPECT_EQ(gate.running(), 1u);
  EXPECT_EQ(status_of(gate.admit("z")), 200u);  // admitted, and its token dropped at once
  EXPECT_EQ(gate.running(), 1u);
}

TEST(NewAccountGate, EachClientHasAMinuteBudgetAndABusyRefusalCostsNothing) {
  NewAccountGate gate(3, 1);
  std::vector<std::shared_ptr<void>> held;
  auto first = gate.admit("a");
  ASSERT_EQ(status_of(first), 200u);
  // Busy: refused with 503 without spending a's budget.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(status_of(gate.admit("a")), 503u);
  std::get<std::shared_ptr<void>>(first).reset();
  EXPECT_EQ(status_of(gate.admit("a")), 200u);
  EXPECT_EQ(status_of(gate.admit("a")), 200u);
  auto over = gate.admit("a");  // the fourth in a minute
  ASSERT_EQ(status_of(over), 429u);
  EXPECT_GE(std::stol(retry_after(over)), 1);
  EXPECT_EQ(gate.running(), 0u);  // the 429 freed its slot
  EXPECT_EQ(status_of(gate.admit("b")), 200u);  // another client has its own budget
}

TEST(NewAccountGate, TokensMayOutliveTheGate) {
  std::shared_ptr<void> token;
  {
    NewAccountGate gate(0, 1);
    token = std::get<std::shared_ptr<void>>(gate.admit("a"));
  }
  token.reset();  // no use after free (ASan would say)
}

}  // namespace
}  // namespace creditscope::api
