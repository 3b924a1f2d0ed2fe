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

TEST(ValidateBalances, ExtrasParseAsPydanticWould) {
  const std::string q = "chain=base&owner=0x06a9af046187895acfc7258450b15397cac67400";
  struct Case {
    std::string extra;
    std::string expect;  // "" = valid
  };
  const Case cases[] = {
      {"&block=latest", ""},
      {"&block=finalized", ""},
      {"&block=000123", ""},
      {"&block=99999999999999999999999", ""},  // above any head: decided against the chain later
      {"&block=-1", R"({"type":"value_error","loc":["query","block"],"msg":"Value error, block must be a block number or one of 'latest', 'safe', 'finalized'","input":"-1","ctx":{"error":{}}})"},
      {"&block=Latest", R"("input":"Latest")"},
      {"&block=", R"("loc":["query","block"])"},
      {"&transfers_limit=0", ""},
      {"&transfers_limit=100000", ""},
      {"&transfers_limit=100001", R"({"type":"less_than_equal","loc":["query","transfers_limit"],"msg":"Input should be less than or equal to 100000","input":"100001","ctx":{"le":100000}})"},
      {"&transfers_limit=-1", R"({"type":"greater_than_equal","loc":["query","transfers_limit"],"msg":"Input should be greater than or equal to 0","input":"-1","ctx":{"ge":0}})"},
      {"&transfers_limit=ten", R"({"type":"int_parsing","loc":["query","transfers_limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"ten"})"},
      {"&reconcile=YES&native=0", ""},
      {"&native=2", R"("type":"bool_parsing","loc":["query","native"])"},
      {"&spam=exclude", ""},
      {"&spam=FLAG", R"("msg":"Input should be 'flag', 'exclude' or 'off'","input":"FLAG")"},
  };
  for (const auto& c : cases) {
    auto v = validate_balances_query(q + c.extra);
    EXPECT_EQ(v.params.has_value(), c.expect.empty()) << c.extra << " -> " << v.error_body;
    if (!c.expect.empty()) EXPECT_NE(v.error_body.find(c.expect), std::string::npos) << c.extra << " -> " << v.error_body;
  }
  auto big = validate_balances_query(q + "&block=99999999999999999999999");
  EXPECT_TRUE(big.params->block.above_max);
}

TEST(ValidateBalances, ExtraChainsJoinTheEnumInByteOrder) {
  ChainNames names({"hyperevm", "base", "bsc"});
  EXPECT_EQ(names.expected(), "'arbitrum', 'base', 'bsc', 'ethereum', 'hyperevm' or 'tempo'");
  EXPECT_EQ(ChainNames().expected(), "'arbitrum', 'base', 'ethereum' or 'tempo'");
  auto v = validate_balances_query("chain=bsc&owner=0x06a9af046187895acfc7258450b15397cac67400", names);
  EXPECT_TRUE(v.params);
}

TEST(ValidateTransfers, CursorIsAPositionAndBadOnesAre422) {
  const std::string cursor = encode_cursor(123456, 7);
  EXPECT_EQ(decode_cursor(cursor), (std::pair<std::uint64_t, std::uint32_t>{123456, 7}));
  for (const char* bad : {"", "c1.", "c1.1e240", "c1.01e240.7", "c2.1.1", "c1.1.100000000", "c1.x.1"})
    EXPECT_FALSE(decode_cursor(bad)) << bad;
  const std::string q = "chain=base&owner=0x06a9af046187895acfc7258450b15397cac67400";
  auto v = validate_transfers_query(q + "&cursor=zz&limit=0&format=xml");
  ASSERT_FALSE(v.params);
  EXPECT_EQ(v.error_body,
            R"({"detail":[{"type":"greater_than_equal","loc":["query","limit"],"msg":"Input should be greater than or equal to 1","input":"0","ctx":{"ge":1}},)"
            R"({"type":"value_error","loc":["query","cursor"],"msg":"Value error, Invalid cursor","input":"zz","ctx":{"error":{}}},)"
            R"({"type":"enum","loc":["query","format"],"msg":"Input should be 'json' or 'csv'","input":"xml","ctx":{"expected":"'json' or 'csv'"}}]})");
  auto ok = validate_transfers_query(q + "&limit=1000&cursor=" + cursor + "&format=csv");
  ASSERT_TRUE(ok.params);
  EXPECT_EQ(ok.params->limit, 1000u);
  EXPECT_EQ(ok.params->csv, true);
  EXPECT_EQ(validate_transfers_query(q + "&format=json").params->csv, false);
  EXPECT_EQ(validate_transfers_query(q).params->csv, std::nullopt);
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
