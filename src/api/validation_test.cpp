#include "api/validation.hpp"

#include <gtest/gtest.h>

#include "core/address.hpp"

namespace creditscope::api {
namespace {

const std::string kEnumMsg = "Input should be 'arbitrum', 'base', 'ethereum' or 'tempo'";

TEST(ValidateBalances, MissingOwnerIsByteForByteFastApi) {
  auto v = validate_balances_query("chain=base");
  ASSERT_FALSE(v.params);
  EXPECT_EQ(v.error_body,
            R"({"detail":[{"type":"missing","loc":["query","owner"],"msg":"Field required","input":null}]})");
}

TEST(ValidateBalances, BothMissingListsChainFirst) {
  auto v = validate_balances_query("");
  EXPECT_EQ(v.error_body,
            R"({"detail":[{"type":"missing","loc":["query","chain"],"msg":"Field required","input":null},)"
            R"({"type":"missing","loc":["query","owner"],"msg":"Field required","input":null}]})");
}

TEST(ValidateBalances, BadChainIsEnumError) {
  auto v = validate_balances_query("chain=solana&owner=0x06A9aF046187895AcFc7258450B15397CAc67400");
  EXPECT_EQ(v.error_body, R"({"detail":[{"type":"enum","loc":["query","chain"],"msg":")" + kEnumMsg +
                              R"(","input":"solana","ctx":{"expected":"'arbitrum', 'base', 'ethereum' or 'tempo'"}}]})");
}

TEST(ValidateBalances, Table) {
  struct Case {
    std::string query;
    bool ok;
    std::string expect_in_body;
  };
  const Case cases[] = {
      {"chain=base&owner=0x06A9aF046187895AcFc7258450B15397CAc67400", true, ""},
      {"chain=base&owner=0x06a9af046187895acfc7258450b15397cac67400", true, ""},
      {"chain=tempo&owner=0x06A9AF046187895ACFC7258450B15397CAC67400", true, ""},
      {"owner=0x06A9aF046187895AcFc7258450B15397CAc67400&chain=arbitrum", true, ""},
      {"chain=base&chain=ethereum&owner=0x06a9af046187895acfc7258450b15397cac67400", true, ""},  // last wins
      {"chain=%62ase&owner=0x06a9af046187895acfc7258450b15397cac67400", true, ""},               // %62 = b
      {"chain=Base&owner=0x06a9af046187895acfc7258450b15397cac67400", false, R"("input":"Base")"},
      {"chain=&owner=0x06a9af046187895acfc7258450b15397cac67400", false, R"("type":"enum")"},
      {"chain=base&owner=0x06A9aF046187895AcFc7258450B15397CAc67401", false, "EIP-55"},
      {"chain=base&owner=0x06a9", false, R"("type":"value_error")"},
      {"chain=base&owner=", false, R"("loc":["query","owner"])"},
      {"chain=base&owner=0xZZa9af046187895acfc7258450b15397cac67400", false, "hex digits"},
      {"chain=base&owner=%00%22", false, R"("input":"\u0000\"")"},  // escaped, still valid JSON
      {"chain=base&owner=06a9af046187895acfc7258450b15397cac6740000", false, "0x-prefixed"},
  };
  for (const auto& c : cases) {
    auto v = validate_balances_query(c.query);
    EXPECT_EQ(v.params.has_value(), c.ok) << c.query;
    if (!c.ok) EXPECT_NE(v.error_body.find(c.expect_in_body), std::string::npos) << c.query << " -> " << v.error_body;
  }
}

TEST(ParseQuery, DecodesPlusAndKeepsBadEscapes) {
  auto q = parse_query("a=1+2&b=%zz&c&d=%41");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].second, "1 2");
  EXPECT_EQ(q[1].second, "%zz");
  EXPECT_EQ(q[2].second, "");
  EXPECT_EQ(q[3].second, "A");
}

}  // namespace
}  // namespace creditscope::api
