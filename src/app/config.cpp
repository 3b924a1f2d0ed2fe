#include "app/config.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "api/validation.hpp"
#include "app/config_keys.hpp"

extern char** environ;

namespace creditscope::app {

std::string env_name(std::string_view dotted_key) {
  std::string out = "CREDITSCOPE_";
  for (char c : dotted_key) out.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

namespace {

constexpr std::string_view kChainSlot = "<chain>";
constexpr std::string_view kPriceSlot = "prices[]";

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) s.replace(pos, from.size(), to);
  return s;
}
std::string concrete(std::string_view pattern, std::string_view chain) { return replace_all(std::string(pattern), kChainSlot, chain); }

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::stringstream ss{std::string(s)};
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

std::string quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

class Parser {
 public:
  Parser(const std::string& path, const std::vector<std::pair<std::string, std::string>>& env) : file_(path) {
    for (const auto& [name, value] : env)
      if (name.starts_with("CREDITSCOPE_")) env_.emplace(name, value);
  }

  Result<AppConfig> run(std::string_view text) {
    try {
      root_ = toml::parse(text, file_);
    } catch (const toml::parse_error& e) {
      std::ostringstream msg;
      msg << file_ << ": " << e.description() << " at line " << e.source().begin.line;
      return make_error(Errc::kInvalidInput, msg.str());
    }
    if (!apply_env() || !check_known(root_, "", "")) return *error_;
    AppConfig cfg;
    ConfigTarget top{&cfg};
    for (const auto& key : config_keys())
      if (key.scope() == KeyScope::kTop && !apply(key, key.path, root_, std::string(key.path), "", top)) return *error_;
    if (cfg.store.mode == "postgres" && cfg.store.url.empty() && !fail(R"(store.url is required when store.mode = "postgres")"))
      return *error_;
    if (auto* chains = root_["chains"].as_table())
      for (const auto& [name, node] : *chains) {
        cfg.chains.emplace_back();
        if (!parse_chain(std::string(name.str()), *node.as_table(), cfg, cfg.chains.back())) return *error_;
        const auto& settings = cfg.chains.back().settings;
        if (settings.quorum && settings.rpc_urls.size() < 2 &&
            !fail("chains." + settings.name + R"(.verify = "quorum" needs at least 2 rpc_urls (got )" +
                  std::to_string(settings.rpc_urls.size()) + ")"))
          return *error_;
      }
    return cfg;
  }

 private:
  bool fail(std::string message) {
    if (!error_) error_ = make_error(Errc::kInvalidInput, file_ + ": " + std::move(message));
    return false;
  }
  // How a key is named in messages: its dotted path, and the variable when it came from there.
  std::string name_of(const std::string& dotted) const {
    auto it = from_env_.find(dotted);
    return it == from_env_.end() ? dotted : it->second + " (" + dotted + ")";
  }

  // The seed's chains and those the file names: the chains environment variables may address.
  std::set<std::string> chain_names() const {
    std::set<std::string> out(std::begin(api::kSpecChains), std::end(api::kSpecChains));
    if (auto* chains = root_["chains"].as_table())
      for (const auto& [name, _] : *chains) out.emplace(name.str());
    return out;
  }

  // Environment overrides are written into the TOML tree, so one code path checks every value.
  bool apply_env() {
    std::map<std::string, std::pair<const ConfigKey*, std::string>> known;  // variable -> key, dotted path
    for (const auto& key : config_keys()) {
      if (!key.from_env()) continue;
      if (key.scope() == KeyScope::kTop) known[env_name(key.path)] = {&key, std::string(key.path)};
      else
        for (const auto& chain : chain_names()) known[env_name(concrete(key.path, chain))] = {&key, concrete(key.path, chain)};
    }
    for (const auto& [name, value] : env_) {
      auto it = known.find(name);
      if (it == known.end()) {
        constexpr std::size_t kPrefix = std::string_view("CREDITSCOPE_").size();
        std::vector<std::string> names;
        for (const auto& k : known) names.push_back(k.first.substr(kPrefix));
        std::string hint = closest(name.substr(kPrefix), names);
        return fail("unknown environment variable " + name +
                    (hint.empty() ? "" : "; did you mean CREDITSCOPE_" + hint + "?"));
      }
      const auto& [key, dotted] = it->second;
      auto parts = split(dotted, '.');
      toml::table* table = &root_;
      for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        auto [slot, _] = table->insert(parts[i], toml::table{});
        table = slot->second.as_table();
        if (!table) return fail(name + ": " + dotted + " is not a table in the file");
      }
      const std::string& leaf = parts.back();
      switch (key->type) {
        case ValueType::kString: table->insert_or_assign(leaf, value); break;
        case ValueType::kInteger: {
          if (!key->word.empty() && value == key->word) {
            table->insert_or_assign(leaf, value);
            break;
          }
          std::int64_t n = 0;
          auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
          if (value.empty() || ec != std::errc{} || end != value.data() + value.size())
            return fail(name + " (" + dotted + ") must be an integer (got " + quote(value) + ")");
          table->insert_or_assign(leaf, n);
          break;
        }
        case ValueType::kBoolean:
          if (value != "true" && value != "false")
            return fail(name + " (" + dotted + ") must be true or false (got " + quote(value) + ")");
          table->insert_or_assign(leaf, value == "true");
          break;
        case ValueType::kStringList: {
          toml::array arr;
          for (auto& s : split(value, ','))
            if (!s.empty()) arr.push_back(s);
          table->insert_or_assign(leaf, std::move(arr));
          break;
        }
      }
      from_env_[dotted] = name;
    }
    return true;
  }

  // Every key and table in the file must be one the key table declares.
  bool check_known(const toml::table& table, const std::string& pattern, const std::string& dotted) {
    static const std::set<std::string> keys = [] {
      std::set<std::string> s;
      for (const auto& k : config_keys()) s.emplace(k.path);
      return s;
    }();
    static const std::set<std::string> tables = [] {
      std::set<std::string> s;
      for (const auto& k : config_keys())
        for (auto dot = k.path.find('.'); dot != std::string_view::npos; dot = k.path.find('.', dot + 1))
          s.emplace(k.path.substr(0, dot));
      return s;
    }();
    for (const auto& [k, node] : table) {
      std::string name(k.str());
      std::string child_dotted = dotted.empty() ? name : dotted + "." + name;
      if (pattern == "chains") {
        // Any name of the pattern is served under that name (its chain_id is required like any
        // chain's); the seed's four are merely the ones the defaults are written for.
        const bool well_formed = !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
                                 std::all_of(name.begin(), name.end(), [](char c) {
                                   return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
                                 });
        if (!well_formed)
          return fail("chain name " + quote(child_dotted) + " must match [a-z][a-z0-9-]* (lower-case letters, digits, '-')");
        if (!node.is_table()) return fail(child_dotted + " must be a table");
        if (!check_known(*node.as_table(), "chains.<chain>", child_dotted)) return false;
        continue;
      }
      std::string child_pattern = pattern.empty() ? name : pattern + "." + name;
      if (keys.count(child_pattern)) continue;  // its type is checked when it is applied
      if (tables.count(child_pattern)) {
        if (!node.is_table()) return fail(child_dotted + " must be a table");
        if (!check_known(*node.as_table(), child_pattern, child_dotted)) return false;
        continue;
      }
      if (tables.count(child_pattern + "[]")) {  // an array of tables: [[chains.base.prices]]
        auto* arr = node.as_array();
        if (!arr) return fail(child_dotted + " must be a list of tables ([[" + child_dotted + "]])");
        for (std::size_t i = 0; i < arr->size(); ++i) {
          std::string item = child_dotted + "[" + std::to_string(i) + "]";
          if (!arr->get(i)->is_table()) return fail(item + " must be a table");
          if (!check_known(*arr->get(i)->as_table(), child_pattern + "[]", item)) return false;
        }
        continue;
      }
      return unknown(name, pattern, dotted, node.is_table() || node.is_array_of_tables());
    }
    return true;
  }

  bool unknown(const std::string& name, const std::string& pattern, const std::string& dotted, bool is_table) {
    std::string full = dotted.empty() ? name : dotted + "." + name;
    // A sibling within a small edit distance, else the same name somewhere else (a misplaced key).
    std::vector<std::string> siblings;
    std::vector<std::string> elsewhere;
    const std::string prefix = pattern.empty() ? "" : pattern + ".";
    for (const auto& key : config_keys()) {
      std::string_view p = key.path;
      if (p.starts_with(prefix)) {
        std::string_view rest = p.substr(prefix.size());
        std::string first(rest.substr(0, rest.find('.')));
        if (first.ends_with("[]")) first.resize(first.size() - 2);
        siblings.push_back(first);
      }
      if (p.substr(p.rfind('.') + 1) == name) elsewhere.emplace_back(p);
    }
    std::string hint;
    if (auto s = closest(name, siblings); !s.empty()) hint = dotted.empty() ? s : dotted + "." + s;
    else if (!elsewhere.empty()) {
      std::string chain = dotted.starts_with("chains.") ? split(dotted, '.')[1] : "base";
      hint = replace_all(concrete(elsewhere.front(), chain), kPriceSlot, "prices[0]");
    }
    return fail("unknown " + std::string(is_table ? "table " : "key ") + quote(full) +
                (hint.empty() ? "" : "; did you mean " + quote(hint) + "?"));
  }

  // Applies key from table (or its default when absent). dotted names it in messages.
  bool apply(const ConfigKey& key, std::string_view relative, const toml::table& table, const std::string& dotted,
             std::string_view chain, ConfigTarget& target) {
    const toml::node* node = table.at_path(relative).node();
    std::optional<toml::table> default_holder;
    if (!node) {
      std::string_view literal = key.default_for(chain);
      if (key.required) return fail(dotted + " is required");
      if (literal.empty()) return true;
      default_holder = toml::parse("v = " + std::string(literal));
      node = default_holder->get("v");
    }
    ConfigValue value;
    switch (key.type) {
      case ValueType::kString:
        if (!node->is_string()) return fail(name_of(dotted) + " must be a string (got " + describe(*node) + ")");
        value = node->as_string()->get();
        break;
      case ValueType::kInteger: {
        if (!key.word.empty() && node->is_string() && node->as_string()->get() == key.word) {
          value = std::string(key.word);
          break;
        }
        if (!node->is_integer())
          return fail(name_of(dotted) + " must be an integer" + (key.word.empty() ? "" : " or \"" + std::string(key.word) + "\"") +
                      " (got " + describe(*node) + ")");
        std::int64_t n = node->as_integer()->get();
        if (n < key.min || n > key.max) {
          std::string range = key.max == std::numeric_limits<std::int64_t>::max()
                                  ? std::to_string(key.min) + " or more"
                                  : "between " + std::to_string(key.min) + " and " + std::to_string(key.max);
          return fail(name_of(dotted) + " must be " + range + " (got " + std::to_string(n) + ")");
        }
        value = n;
        break;
      }
      case ValueType::kBoolean:
        if (!node->is_boolean()) return fail(name_of(dotted) + " must be true or false (got " + describe(*node) + ")");
        value = node->as_boolean()->get();
        break;
      case ValueType::kStringList: {
        auto* arr = node->as_array();
        std::vector<std::string> items;
        if (arr)
          for (const auto& e : *arr)
            if (e.is_string()) items.push_back(e.as_string()->get());
        if (!arr || items.size() != arr->size())
          return fail(name_of(dotted) + " must be a list of strings (got " + describe(*node) + ")");
        value = std::move(items);
        break;
      }
    }
    if (auto problem = key.set(target, value); !problem.empty()) return fail(name_of(dotted) + " " + problem);
    return true;
  }

  static std::string describe(const toml::node& node) {
    std::ostringstream out;
    switch (node.type()) {
      case toml::node_type::string: out << "string " << quote(node.as_string()->get()); break;
      case toml::node_type::integer: out << "integer " << node.as_integer()->get(); break;
      case toml::node_type::floating_point: out << "float " << node.as_floating_point()->get(); break;
      case toml::node_type::boolean: out << (node.as_boolean()->get() ? "true" : "false"); break;
      case toml::node_type::array: out << "an array"; break;
      case toml::node_type::table: out << "a table"; break;
      default: out << "a date or time"; break;
    }
    return out.str();
  }

  bool parse_chain(const std::string& name, const toml::table& table, AppConfig& cfg, ChainConfig& cc) {
    cc.settings.name = name;
    cc.prices.http_chain = name;
    ConfigTarget target{&cfg, &cc};
    const std::string prefix = "chains." + name + ".";
    for (const auto& key : config_keys()) {
      if (key.scope() != KeyScope::kChain) continue;
      std::string_view relative = key.path.substr(std::string_view("chains.<chain>.").size());
      if (!apply(key, relative, table, prefix + std::string(relative), name, target)) return false;
    }
    cc.prices.multicall3 = cc.settings.multicall3;
    cc.prices.eth_call_gas_cap = cc.settings.eth_call_gas_cap;
    auto* list = table["prices"].as_array();
    if (!list) return true;
    std::map<Address, std::size_t> seen;
    for (std::size_t i = 0; i < list->size(); ++i) {
      pricing::TokenSources sources;
      std::optional<Address> token;
      ConfigTarget entry{&cfg, &cc, &sources, &token};
      const std::string where = prefix + "prices[" + std::to_string(i) + "].";
      for (const auto& key : config_keys()) {
        if (key.scope() != KeyScope::kPrice) continue;
        std::string_view relative = key.path.substr(key.path.find(kPriceSlot) + kPriceSlot.size() + 1);
        if (!apply(key, relative, *list->get(i)->as_table(), where + std::string(relative), name, entry)) return false;
      }
      if (auto [it, fresh] = seen.emplace(*token, i); !fresh)
        return fail(where + "token lists a token already listed at " + prefix + "prices[" + std::to_string(it->second) + "]");
      cc.prices.tokens[*token] = sources;
    }
    return true;
  }

  const std::string file_;
  std::map<std::string, std::string> env_;        // CREDITSCOPE_* variables, by name
  std::map<std::string, std::string> from_env_;   // dotted path -> the variable that set it
  toml::table root_;
  std::optional<Error> error_;
};

}  // namespace

Result<AppConfig> parse_config(std::string_view toml_text, const std::string& path,
                               const std::vector<std::pair<std::string, std::string>>& env) {
  return Parser(path, env).run(toml_text);
}

Result<AppConfig> load_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(Errc::kInvalidInput, path + ": cannot read the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<std::pair<std::string, std::string>> env;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    if (!kv.starts_with("CREDITSCOPE_")) continue;
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return parse_config(ss.str(), path, env);
}

}  // namespace creditscope::app
