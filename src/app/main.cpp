// creditscope: serve, balances, derive, devnet. See README "CLI".

#include <signal.h>

#include <cstring>
#include <iostream>
#include <map>
#include <optional>
#include <algorithm>

#include "api/server.hpp"
#include "app/config.hpp"
#include "app/service.hpp"
#include "chain/http_client.hpp"
#include "core/address.hpp"
#include "devnet/anvil.hpp"
#include "devnet/fixtures.hpp"

using namespace creditscope;

namespace {

constexpr const char* kUsage = R"(usage:
  creditscope serve    --config FILE
  creditscope balances --config FILE --chain CHAIN --owner ADDRESS
  creditscope derive   --config FILE --chain CHAIN --owner ADDRESS
  creditscope devnet   [--config FILE]      (default config/devnet.toml)
Every config key can also be set by environment variable; see README "Configuration".
)";

struct Args {
  std::string command;
  std::map<std::string, std::string> options;
};

std::optional<Args> parse_args(int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  Args a{argv[1], {}};
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--") || i + 1 >= argc) return std::nullopt;
    a.options[std::string(arg.substr(2))] = argv[++i];
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
}

int serve(const app::AppConfig& config, const std::string& banner_owner = {}) {
  app::Service service(config);
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
  std::cerr << "shutting down\n";
  server.stop();
  return 0;
}

int one_shot(app::AppConfig config, const Args& args, bool derive_only) {
  if (!args.options.count("chain") || !args.options.count("owner")) return fail("--chain and --owner are required");
  // One answer, read from the chain: no index to open, no follower to start.
  config.store.mode = "none";
  app::Service service(config);
  if (derive_only) {
    auto owner = parse_address(args.options.at("owner"));
    if (!owner) return fail("--owner " + owner.error().message);
    auto account = service.derive(args.options.at("chain"), *owner);
    if (!account) return fail(account.error().message);
    std::cout << to_checksum(*account) << "\n";
    return 0;
  }
  api::ApiRequest request;
  request.method = "GET";
  request.path = "/v2/credit/balances";
  request.query = "chain=" + args.options.at("chain") + "&owner=" + args.options.at("owner");
  auto response = service.balances().handle(request);
  (response.status == 200 ? std::cout : std::cerr) << response.body_text() << "\n";
  return response.status == 200 ? 0 : 2;
}

int run_devnet(app::AppConfig config) {
  if (config.chains.size() != 1) return fail("the devnet config must configure exactly one chain");
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
  app::Service check(config);
  auto derived = check.derive(chain.name, demo->owner);
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
  auto args = parse_args(argc, argv);
  if (!args) {
    std::cerr << kUsage;
    return 64;
  }
  try {
    std::string config_path = args->options.count("config") ? args->options.at("config")
                              : args->command == "devnet"  ? "config/devnet.toml"
                                                           : "";
    if (config_path.empty()) return fail("--config FILE is required");
    auto config = app::load_config(config_path);
    if (!config) return fail(config.error().message);
    if (args->command == "serve") return serve(*config);
    if (args->command == "balances") return one_shot(*config, *args, false);
    if (args->command == "derive") return one_shot(*config, *args, true);
    if (args->command == "devnet") return run_devnet(*config);
    std::cerr << kUsage;
    return 64;
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
