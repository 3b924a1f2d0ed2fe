// creditscope: serve, balances, derive, devnet, check, config-keys. See README "CLI".

#include <signal.h>

#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <cstring>
#include <future>
#include <iostream>
#include <map>
#include <optional>
#include <algorithm>
#include <iomanip>
#include <sstream>
#include <variant>

#include "api/server.hpp"
#include "app/build_info.hpp"
#include "app/config.hpp"
#include "app/config_keys.hpp"
#include "app/service.hpp"
#include "chain/http_client.hpp"
#include "core/address.hpp"
#include "devnet/anvil.hpp"
#include "devnet/fixtures.hpp"

using namespace creditscope;

namespace {

// The command table drives parsing, `--help` and the errors, so a flag cannot exist undocumented.
struct Flag {
  std::string_view name;   // without the leading "--"
  std::string_view value;  // placeholder shown in help
  std::string_view doc;
  bool required = false;
  std::string_view fallback = {};  // used when absent
  std::string_view short_name = {};  // "o" for -o
};

struct Command {
  std::string_view name;
  std::string_view summary;
  std::vector<Flag> flags;
};

const Flag kConfigFlag{"config", "FILE", "TOML config (see README \"Configuration\"); CREDITSCOPE_* variables override it", true};
const Flag kChainFlag{"chain", "CHAIN", "a configured chain: arbitrum, base, ethereum, tempo or another the config names", true};
const Flag kOwnerFlag{"owner", "ADDRESS", "the owner's address (0x + 40 hex digits)", true};

const std::vector<Command> kCommands = {
    {"serve", "serve the API until SIGINT or SIGTERM", {kConfigFlag}},
    {"balances", "print the answer of /v2/credit/balances for one owner, read from the chain, and exit",
     {kConfigFlag, kChainFlag, kOwnerFlag,
      {"output", "FORMAT", "json (the API's body), table (one row per token) or csv (every transfer); default: table on a terminal, else json",
       false, "", "o"}}},
    {"derive", "print the owner's credit account address and exit", {kConfigFlag, kChainFlag, kOwnerFlag}},
    {"devnet", "start a local anvil with the Safe contracts and a seeded demo account, then serve it",
     {{"config", "FILE", "TOML config of the demo chain", false, "config/devnet.toml"}}},
    {"check", "validate a config file and the CREDITSCOPE_* environment, then exit (0 = valid)", {kConfigFlag}},
    {"config-keys", "print every configuration key (type, default, meaning) as a Markdown table", {}},
    {"help", "show this help, or a command's flags: creditscope help COMMAND", {}},
};

const Command* find_command(std::string_view name) {
  for (const auto& c : kCommands)
    if (c.name == name) return &c;
  return nullptr;
}

std::string usage() {
  std::ostringstream out;
  out << "usage: creditscope COMMAND [FLAGS]\n\ncommands:\n";
  for (const auto& c : kCommands) out << "  " << std::left << std::setw(12) << c.name << c.summary << "\n";
  out << "\n  creditscope COMMAND --help   flags of one command\n  creditscope --version        version and git commit\n";
  return out.str();
}

std::string command_help(const Command& c) {
  std::ostringstream out;
  out << "usage: creditscope " << c.name;
  for (const auto& f : c.flags)
    out << (f.required ? " --" : " [--") << f.name << " " << f.value << (f.required ? "" : "]");
  out << "\n" << c.summary << "\n";
  if (!c.flags.empty()) out << "\nflags:\n";
  for (const auto& f : c.flags) {
    std::string left = (f.short_name.empty() ? "" : "-" + std::string(f.short_name) + ", ") + "--" + std::string(f.name) +
                       " " + std::string(f.value);
    out << "  " << std::left << std::setw(22) << left << f.doc;
    if (!f.fallback.empty()) out << " (default " << f.fallback << ")";
    out << "\n";
  }
  out << "  " << std::left << std::setw(22) << "--help" << "this text\n";
  return out.str();
}

// A usage mistake: one line naming it, then the usage, exit code 2.
int usage_error(const std::string& message, const Command* command) {
  std::cerr << "creditscope: " << message << "\n\n" << (command ? command_help(*command) : usage());
  return 2;
}

struct Args {
  const Command* command = nullptr;
  std::map<std::string, std::string> options;
};

// Parses argv. Returns an exit code when nothing more should run (help shown, or a usage error).
std::variant<Args, int> parse_args(int argc, char** argv) {
  if (argc < 2) return usage_error("a command is required", nullptr);
  std::string_view first = argv[1];
  if (first == "--help" || first == "-h") {
    std::cout << usage();
    return 0;
  }
  if (first == "--version") {
    std::cout << "creditscope " << app::kVersion << " (commit " << app::kGitCommit << ")\n";
    return 0;
  }
  Args a{find_command(first), {}};
  if (!a.command) {
    std::vector<std::string> names;
    for (const auto& c : kCommands) names.emplace_back(c.name);
    const std::string close = app::closest(first, names);
    const std::string hint = close.empty() ? "" : "; did you mean \"" + close + "\"?";
    return usage_error("unknown command \"" + std::string(first) + "\"" + hint, nullptr);
  }
  if (a.command->name == "help") {
    if (argc == 2) {
      std::cout << usage();
      return 0;
    }
    const Command* about = find_command(argv[2]);
    if (!about || argc > 3) return usage_error("help takes one command name", nullptr);
    std::cout << command_help(*about);
    return 0;
  }
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << command_help(*a.command);
      return 0;
    }
    std::string name;
    if (arg.size() == 2 && arg[0] == '-' && arg[1] != '-') {  // a short flag: -o
      auto flag = std::find_if(a.command->flags.begin(), a.command->flags.end(),
                               [&](const Flag& f) { return !f.short_name.empty() && f.short_name == arg.substr(1); });
      if (flag == a.command->flags.end())
        return usage_error(std::string(a.command->name) + ": unknown flag " + std::string(arg), a.command);
      name = std::string(flag->name);
    } else if (arg.starts_with("--")) {
      name = std::string(arg.substr(2));
    } else {
      return usage_error("unexpected argument \"" + std::string(arg) + "\"", a.command);
    }
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto flag = std::find_if(a.command->flags.begin(), a.command->flags.end(), [&](const Flag& f) { return f.name == name; });
    if (flag == a.command->flags.end())
      return usage_error(std::string(a.command->name) + ": unknown flag --" + name, a.command);
    if (!value) {
      if (i + 1 >= argc) return usage_error(std::string(a.command->name) + ": --" + name + " needs a value", a.command);
      value = argv[++i];
    }
    if (!a.options.emplace(name, *value).second)
      return usage_error(std::string(a.command->name) + ": --" + name + " is given twice", a.command);
  }
  for (const auto& f : a.command->flags) {
    if (a.options.count(std::string(f.name))) continue;
    if (f.required) return usage_error(std::string(a.command->name) + ": --" + std::string(f.name) + " is required", a.command);
    if (!f.fallback.empty()) a.options[std::string(f.name)] = f.fallback;
  }
  return a;
}

int fail(const std::string& message) {
  std::cerr << "creditscope: " << message << "\n";
  return 1;
}

// Blocks until SIGINT or SIGTERM.
void wait_for_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig;
  sigwait(&set, &sig);
}

void block_signals() {
  // Threads inherit this mask, so only wait_for_signal() sees SIGINT/SIGTERM.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file size limit makes writes fail (the store reports it, 503) instead of killing the process.
  signal(SIGXFSZ, SIG_IGN);
}

int serve(const app::AppConfig& config, const std::string& banner_owner = {}) {
  app::Service service(config);
  if (config.api_keys_sha256.empty())
    std::cerr << "warning: server.api_keys_sha256 is empty: /v2/credit/balances is open to anyone who can reach it\n";
  api::HttpServer server(config.server, service.router());
  service.start_readiness_checks();
  server.start();
  std::cerr << "creditscope listening on " << config.server.listen.substr(0, config.server.listen.rfind(':')) << ":"
            << server.port() << " (" << config.chains.size() << " chain(s))\n";
  if (!banner_owner.empty())
    std::cout << "\nTry:\n  curl -s 'http://127.0.0.1:" << server.port() << "/v2/credit/balances?chain="
              << config.chains.front().settings.name << "&owner=" << banner_owner << "'\n\n"
              << std::flush;
  wait_for_signal();
  // Graceful: no new connections, requests in flight (backfills they wait on included) get the
  // grace to finish, then the indexers commit what they scanned and stop, which answers any request
  // still waiting with 503, and those answers go out before the connections close.
  std::cerr << "shutting down: " << server.in_flight() << " request(s) in flight, grace "
            << config.shutdown_grace.count() << " s\n";
  server.stop_accepting();
  if (!server.wait_idle(std::chrono::steady_clock::now() + config.shutdown_grace))
    std::cerr << "shutdown grace over with " << server.in_flight() << " request(s) in flight: they get 503\n";
  service.stop();
  (void)server.wait_idle(std::chrono::steady_clock::now() + std::chrono::seconds(2));
  server.stop();
  std::cerr << "stopped\n";
  return 0;
}

// On a terminal, a first read that takes more than a second draws the scan's progress on stderr
// until the answer is there, then clears its line.
void show_progress(app::Service& service, api::ApiRequest request, std::future<api::ApiResponse>& pending) {
  const auto started = std::chrono::steady_clock::now();
  bool drawn = false;
  request.path = "/v2/credit/status";
  while (pending.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready) {
    if (std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) continue;
    auto status = service.balances().status(request);
    auto doc = boost::json::parse(status.body_text(), boost::json::storage_ptr(), {});
    if (!doc.is_object() || doc.as_object().if_contains("state") == nullptr) continue;
    const auto& s = doc.as_object();
    if (s.at("state") != "backfilling") continue;
    const double progress = s.at("progress").to_number<double>();
    const int filled = static_cast<int>(progress * 30);
    std::ostringstream line;
    line << "\r[" << std::string(static_cast<std::size_t>(filled), '#') << std::string(static_cast<std::size_t>(30 - filled), '.')
         << "] " << std::fixed << std::setprecision(1) << progress * 100 << "%  block " << s.at("scanned_through").as_int64()
         << " of " << s.at("to_block").as_int64();
    if (s.at("eta_s").is_int64()) line << ", about " << s.at("eta_s").as_int64() << " s left";
    std::cerr << line.str() << "\033[K" << std::flush;
    drawn = true;
  }
  if (drawn) std::cerr << "\r\033[K" << std::flush;
}

// The balances answer for a person: the account and block, one row per token (key, balance, USD
// value, transfers), the total last.
std::string balances_table(std::string_view body, const std::vector<std::pair<std::string, std::string>>& headers) {
  auto doc = boost::json::parse(body).as_object();
  auto text = [](const boost::json::value& v) { return v.is_string() ? std::string(v.as_string()) : std::string("-"); };
  std::vector<std::array<std::string, 4>> rows = {{"TOKEN", "BALANCE", "USD", "TRANSFERS"}};
  for (const auto& [key, entry] : doc.at("balances").as_object())
    rows.push_back({std::string(key), text(entry.at("balance_formatted")), text(entry.at("usd_value")),
                    std::to_string(entry.at("transfers").as_array().size())});
  rows.push_back({"TOTAL", "", text(doc.at("total_usd_value")), ""});
  std::array<std::size_t, 4> width{};
  for (const auto& r : rows)
    for (std::size_t i = 0; i < 4; ++i) width[i] = std::max(width[i], r[i].size());
  std::ostringstream out;
  std::string block;
  for (const auto& [k, v] : headers)
    if (k == "X-Block-Number") block = v;
  out << "credit account " << text(doc.at("credit_account_address")) << " at block " << block << "\n\n";
  for (std::size_t n = 0; n < rows.size(); ++n) {
    const auto& r = rows[n];
    if (n + 1 == rows.size()) out << std::string(width[0] + width[1] + width[2] + width[3] + 6, '-') << "\n";
    // The token left-aligned, the numbers right-aligned so their digits line up.
    std::ostringstream line;
    line << std::left << std::setw(static_cast<int>(width[0])) << r[0] << "  " << std::right
         << std::setw(static_cast<int>(width[1])) << r[1] << "  " << std::setw(static_cast<int>(width[2])) << r[2] << "  "
         << std::setw(static_cast<int>(width[3])) << r[3];
    std::string row = line.str();
    row.erase(row.find_last_not_of(' ') + 1);
    out << row << "\n";
  }
  return out.str();
}

int one_shot(app::AppConfig config, const Args& args, bool derive_only) {
  // One answer, read from the chain: no index to open, no follower to start.
  config.store.mode = "none";
  app::Service service(config);
  if (derive_only) {
    auto owner = parse_address(args.options.at("owner"));
    if (!owner) return usage_error("derive: --owner " + owner.error().message, args.command);
    auto account = service.derive(args.options.at("chain"), *owner);
    if (!account) return account.error().code == Errc::kNotConfigured ? usage_error(account.error().message, args.command)
                                                                       : fail(account.error().message);
    std::cout << to_checksum(*account) << "\n";
    return 0;
  }
  std::string output = args.options.count("output") ? args.options.at("output") : (::isatty(1) ? "table" : "json");
  if (output != "json" && output != "table" && output != "csv")
    return usage_error("balances: --output must be json, table or csv (got \"" + output + "\")", args.command);
  api::ApiRequest request;
  request.method = "GET";
  request.path = output == "csv" ? "/v2/credit/transfers" : "/v2/credit/balances";
  request.query = "chain=" + args.options.at("chain") + "&owner=" + args.options.at("owner") +
                  (output == "csv" ? "&format=csv" : "");
  auto pending = std::async(std::launch::async, [&] {
    return output == "csv" ? service.balances().transfers(request) : service.balances().handle(request);
  });
  if (::isatty(2)) show_progress(service, request, pending);
  auto response = pending.get();
  if (response.status != 200) {
    std::cerr << response.body_text() << "\n";
    return 2;
  }
  if (output == "csv") {
    while (auto piece = response.stream->next()) std::cout << *piece;
  } else if (output == "table") {
    std::cout << balances_table(response.body_text(), response.headers);
  } else {
    std::cout << response.body_text() << "\n";
  }
  return 0;
}

int run_devnet(app::AppConfig config, const std::string& path) {
  if (config.chains.size() != 1) {
    std::cerr << "creditscope: " << path << ": a devnet config configures exactly one chain\n";
    return 2;
  }
  auto& chain = config.chains.front().settings;
  auto url = chain::parse_url(chain.rpc_urls.front());
  if (!url) return fail("bad devnet rpc url");
  std::cerr << "starting anvil on 127.0.0.1:" << url->port << " (chain id " << chain.chain_id << ")\n";
  auto anvil = devnet::Anvil::start({"", static_cast<unsigned short>(std::stoul(url->port)), chain.chain_id, {}});
  if (!anvil) return fail(anvil.error().message);
  auto artifacts = devnet::Artifacts::load();
  if (!artifacts) return fail(artifacts.error().message);
  devnet::DevChain dev(anvil->url());
  auto demo = devnet::seed_demo(dev, *artifacts);
  if (!demo) return fail("seeding the demo failed: " + demo.error().message);
  // The shipped config names the addresses a fresh anvil gives; say so loudly if they drift.
  // Only the derivation is wanted here: no store, so no second indexer beside the one serve starts.
  app::AppConfig stateless = config;
  stateless.store.mode = "none";
  app::Service wiring(stateless);
  auto derived = wiring.derive(chain.name, demo->owner);
  if (!derived || *derived != demo->credit_account)
    return fail("config's credit_account addresses do not match the devnet deployment: proxy_factory=" +
                to_checksum(demo->params.proxy_factory) + " singleton=" + to_checksum(demo->params.singleton) +
                " fallback_handler=" + to_checksum(demo->params.fallback_handler));
  // The shipped config prices the demo tokens through these feeds; they must be the ones deployed.
  const auto& prices = config.chains.front().prices.tokens;
  for (std::size_t i = 0; i < demo->feeds.size(); ++i) {
    const auto& [symbol, feed] = demo->feeds[i];
    auto token = std::find_if(demo->tokens.begin(), demo->tokens.end(), [&](const auto& t) { return t.first == symbol; });
    auto listed = prices.find(token->second);
    if (listed == prices.end() || listed->second.chainlink_feed != feed)
      return fail("config/devnet.toml does not price " + symbol + " " + to_checksum(token->second) + " with its feed " +
                  to_checksum(feed));
  }
  std::cerr << "demo owner " << to_checksum(demo->owner) << " -> credit account " << to_checksum(demo->credit_account)
            << "\n";
  return serve(config, to_checksum(demo->owner));
}

}  // namespace

int main(int argc, char** argv) {
  block_signals();
  auto parsed = parse_args(argc, argv);
  if (auto* code = std::get_if<int>(&parsed)) return *code;
  const Args& args = std::get<Args>(parsed);
  const std::string_view command = args.command->name;
  if (command == "config-keys") {
    std::cout << app::config_keys_markdown();
    return 0;
  }
  try {
    const std::string& path = args.options.at("config");
    auto config = app::load_config(path);
    if (!config) {  // a config mistake: one line naming the file and the key
      std::cerr << "creditscope: " << config.error().message << "\n";
      return 2;
    }
    if (command == "check") {
      std::cout << path << ": valid (" << config->chains.size() << " chain(s):";
      for (const auto& c : config->chains) std::cout << " " << c.settings.name;
      std::cout << ")\n";
      return 0;
    }
    if (command == "serve") return serve(*config);
    if (command == "balances") return one_shot(*config, args, false);
    if (command == "derive") return one_shot(*config, args, true);
    return run_devnet(*config, path);
  } catch (const ErrorException& e) {
    // A store unusable as configured (read-only, corrupt, full disk) is a set-up mistake: exit 2.
    const int code = fail(e.what());
    return e.error().code == Errc::kInvalidInput ? 2 : code;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
