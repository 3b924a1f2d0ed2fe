#pragma once
// A small append-only JSON writer for responses we render on the hot path. It always produces
// valid JSON: strings are escaped and invalid UTF-8 is replaced by U+FFFD.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace creditscope {

/// Appends s as a quoted JSON string.
void append_json_string(std::string& out, std::string_view s);

/// Keeps valid UTF-8 sequences, replaces each invalid byte with U+FFFD.
std::string to_valid_utf8(std::string_view s);

class JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& string(std::string_view v);
  JsonWriter& number(std::uint64_t v);
  JsonWriter& null();
  /// Inserts already-valid JSON text as one value.
  JsonWriter& raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void before_value();
  JsonWriter& open(char bracket);
  JsonWriter& close(char bracket);
  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
};

}  // namespace creditscope
