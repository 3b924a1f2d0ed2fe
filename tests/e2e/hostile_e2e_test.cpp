// Tokens written to hurt: huge or gas-burning symbol(), wrong ABI types, 255 decimals, a
// balanceOf that reverts or loops, a contract faking Transfer events, zero-value transferFrom
// "address poisoning". The answer stays valid, bounded and right for the honest token, with and
// without Multicall3, and the server keeps serving other accounts.

#include <gtest/gtest.h>

#include "chain/abi.hpp"
#include "core/hex.hpp"
#include "harness.hpp"

namespace creditscope::e2e {
namespace {
using devnet::dev_account;
using devnet::mint_call;
namespace abi = chain::abi;
namespace json = boost::json;

TEST(HostileTokensE2E, AnswerStaysValidAndHonestTokensStayRight) {
  Harness h;
  const Address funder = dev_account(0), owner = dev_account(3), attacker = dev_account(5);
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  const Address account = must(deriver.derive(owner), "derive");
  auto deploy = [&](const std::string& name, Bytes args = {}) {
    Bytes code = h.artifacts().bytecode(name);
    code.insert(code.end(), args.begin(), args.end());
    return must(h.chain().deploy(code), name.c_str());
  };
  auto string_and_bool = [](std::string_view s, bool b) {
    Bytes args;
    abi::put(args, abi::uint_word(64));
    abi::put(args, abi::uint_word(b ? 1 : 0));
    abi::put_bytes(args, view(s));
    return args;
  };

  const Address usdc = must(devnet::deploy_token(h.chain(), h.artifacts(), "USDC", 6), "USDC");
  const Address huge_symbol = deploy("HugeSymbolToken");
  const Address gas_burner = deploy("GasBurnerToken");
  const Address wrong_types = deploy("WrongTypesToken");
  const Address huge_decimals = deploy("HugeDecimalsToken");
  const Address reverting_balance = deploy("BadBalanceToken", string_and_bool("REV", false));
  const Address looping_balance = deploy("BadBalanceToken", string_and_bool("LOOP", true));
  const Address faker = deploy("FakeTransferEmitter");
  for (const Address& t : {usdc, huge_symbol, gas_burner, wrong_types, huge_decimals, reverting_balance, looping_balance})
    must(h.chain().send(funder, t, mint_call(account, 1000000)), "mint");
  must(h.chain().send(attacker, faker, devnet::encode_call("emitTransfer(address,address,uint256)",
                                                           {abi::address_word(attacker), abi::address_word(account),
                                                            abi::uint_word(U256("1000000000000000000000000"))})),
       "fake transfer");
  // Zero-value transferFrom needs no allowance: anyone can put an "out" transfer in the history.
  auto poison = must(h.chain().send(attacker, usdc, devnet::encode_call("transferFrom(address,address,uint256)",
                                                                        {abi::address_word(account), abi::address_word(attacker),
                                                                         abi::uint_word(0)})),
                     "poisoning transferFrom");

  std::string with_multicall;
  for (bool multicall : {true, false}) {
    Server server(h.config(multicall));
    auto res = server.get("/v2/credit/balances?chain=base&owner=" + to_checksum(owner));
    ASSERT_EQ(res.status, 200u) << res.body;
    EXPECT_EQ(schema_errors(res.body), "");
    EXPECT_LT(res.body.size(), 32u * 1024) << "a hostile token inflated the answer";
    auto doc = json::parse(res.body).as_object();
    const auto& balances = doc.at("balances").as_object();
    auto entry = [&](const Address& token) -> const json::object& {
      for (const auto& [key, v] : balances)
        if (v.at("token_address").as_string() == to_checksum(token)) return v.as_object();
      throw std::runtime_error("no entry for " + to_checksum(token) + " in " + res.body);
    };
    // The honest token: minted 1, poisoned with a 0 out.
    const auto& u = entry(usdc);
    EXPECT_EQ(u.at("token_symbol").as_string(), "USDC");
    EXPECT_EQ(u.at("balance").as_string(), "1000000");
    EXPECT_EQ(u.at("balance_formatted").as_string(), "1");
    ASSERT_EQ(u.at("transfers").as_array().size(), 2u);
    const auto& poisoned = u.at("transfers").as_array()[1].as_object();
    EXPECT_EQ(poisoned.at("amount").as_string(), "0");
    EXPECT_EQ(poisoned.at("direction").as_string(), "out");
    EXPECT_EQ(poisoned.at("transaction_hash").as_string(), hex::encode(view(poison.txn_hash)));

    EXPECT_EQ(entry(huge_symbol).at("token_symbol").as_string(), "UNKNOWN");  // 1 MiB answer
    EXPECT_EQ(entry(gas_burner).at("token_symbol").as_string(), "UNKNOWN");
    EXPECT_EQ(entry(gas_burner).at("balance").as_string(), "1000000");          // its balanceOf is fine
    EXPECT_EQ(entry(wrong_types).at("token_symbol").as_string(), "UNKNOWN");
    EXPECT_EQ(entry(wrong_types).at("token_decimals").as_int64(), 0);
    EXPECT_EQ(entry(huge_decimals).at("token_decimals").as_int64(), 0);
    EXPECT_EQ(entry(huge_decimals).at("balance_formatted").as_string(), "1000000");
    EXPECT_EQ(entry(reverting_balance).at("balance").as_string(), "0");
    EXPECT_EQ(entry(looping_balance).at("balance").as_string(), "0");
    EXPECT_EQ(entry(looping_balance).at("token_symbol").as_string(), "LOOP");
    const auto& fake = entry(faker);
    EXPECT_EQ(fake.at("token_symbol").as_string(), "UNKNOWN");
    EXPECT_EQ(fake.at("balance").as_string(), "0");  // it emits, but holds nothing for anyone
    EXPECT_TRUE(fake.at("usd_value").is_null());
    // Shared "UNKNOWN" symbols are told apart by address.
    EXPECT_TRUE(balances.contains("UNKNOWN (" + to_checksum(faker) + ")"));

    // Other accounts are still served.
    auto other = server.get("/v2/credit/balances?chain=base&owner=" + to_checksum(dev_account(2)));
    EXPECT_EQ(other.status, 200u);
    if (multicall) {
      with_multicall = res.body;
    } else {
      EXPECT_EQ(res.body, with_multicall) << "the answer depends on whether Multicall3 was used";
    }
  }
}

}  // namespace
}  // namespace creditscope::e2e
