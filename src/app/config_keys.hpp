#pragma once
// Every configuration key, declared once: its dotted path, type, default, bounds, one line of
// documentation and how it lands in AppConfig. This table drives the TOML parser, the
// CREDITSCOPE_* environment overrides, the defaults, the unknown-key check and the README's
// configuration table (`creditscope config-keys`), so none of them can drift from the others.

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "app/config.hpp"

namespace creditscope::app {

enum class ValueType { kString, kInteger, kBoolean, kStringList };

/// A value as read from TOML or the environment, already of the key's type.
using ConfigValue = std::variant<std::string, std::int64_t, bool, std::vector<std::string>>;

/// What a setter writes into. chain and price are null for keys outside their scope.
struct ConfigTarget {
  AppConfig* app = nullptr;
  ChainConfig* chain = nullptr;
  pricing::TokenSources* price = nullptr;
  std::optional<Address>* price_token = nullptr;
};

/// Where a key lives: top level, under chains.<chain>, or in a [[chains.<chain>.prices]] entry.
enum class KeyScope { kTop, kChain, kPrice };

struct ConfigKey {
  std::string_view path;  // "server.listen", "chains.<chain>.rpc_urls", "chains.<chain>.prices[].token"
  ValueType type;
  std::string_view default_toml;  // TOML literal applied when the key is absent; "" = no default
  std::string_view doc;
  bool required = false;
  std::int64_t min = std::numeric_limits<std::int64_t>::min();  // integers only
  std::int64_t max = std::numeric_limits<std::int64_t>::max();
  std::string_view chain_defaults;  // per-chain default literals, "ethereum=6000 base=1000"
  /// Writes the value; an error message (without the key) when the value is not acceptable.
  std::string (*set)(ConfigTarget&, const ConfigValue&) = nullptr;
  std::string_view word{};  // integers only: one string also accepted ("factory"), passed as a string

  KeyScope scope() const;
  bool from_env() const { return scope() != KeyScope::kPrice; }  // price lists are file-only
  /// The default literal for a chain (chain_defaults first, then default_toml).
  std::string_view default_for(std::string_view chain) const;
};

/// The table, in README order.
std::span<const ConfigKey> config_keys();

/// The README's configuration table (Markdown), generated from config_keys().
std::string config_keys_markdown();

/// Levenshtein distance, for "did you mean" suggestions.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate to suggest for a misspelt word: within 2 edits, or within half its length when
/// the two share a 3-character prefix (price_feeds -> prices); "" when none is that close.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace creditscope::app
