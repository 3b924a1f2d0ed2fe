#include "core/json_writer.hpp"

#include <gtest/gtest.h>

namespace creditscope {
namespace {

TEST(JsonWriter, EscapesControlAndQuoteCharacters) {
  std::string out;
  append_json_string(out, std::string("a\"b\\c\n\x01", 7));
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
}

TEST(JsonWriter, ReplacesInvalidUtf8) {
  std::string out;
  append_json_string(out, "ok\xff\xc3\xa9");  // invalid byte, then a valid "é"
  EXPECT_EQ(out, "\"ok\xEF\xBF\xBD\xC3\xA9\"");
  EXPECT_EQ(to_valid_utf8("\xed\xa0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
}

TEST(JsonWriter, NestsWithCommas) {
  JsonWriter w;
  w.begin_object().key("a").number(1).key("b").begin_array().string("x").null().end_array().end_object();
  EXPECT_EQ(w.str(), R"({"a":1,"b":["x",null]})");
}

}  // namespace
}  // namespace creditscope
