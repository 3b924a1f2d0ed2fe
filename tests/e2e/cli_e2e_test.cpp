// The binary as a newcomer meets it: help for every command, one-line usage and config errors with
// exit code 2 for every command that reads a config, answers alone on stdout, and a /metrics page
// that Prometheus' own linter accepts.

#include <sys/wait.h>

#include "core/metrics.hpp"
#include "harness.hpp"

namespace creditscope::e2e {
namespace {

struct CliRun {
  int rc = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the creditscope binary with args (shell words) and extra environment assignments.
CliRun run_cli(const std::string& args, const std::string& env = "") {
  TempDir dir;
  std::string cmd = "cd " + std::string(CREDITSCOPE_SOURCE_DIR) + " && env " + env + " " + CREDITSCOPE_BINARY + " " +
                    args + " >" + dir.file("out") + " 2>" + dir.file("err") + " </dev/null";
  int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir.file("out")), slurp(dir.file("err"))};
}

std::size_t lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

TEST(CliE2E, HelpForEveryCommandAndVersion) {
  for (const char* help : {"--help", "help", "-h"}) {
    CliRun r = run_cli(help);
    EXPECT_EQ(r.rc, 0) << help;
    for (const char* command : {"serve", "balances", "derive", "devnet", "check", "config-keys"})
      EXPECT_NE(r.out.find(std::string("  ") + command), std::string::npos) << help << " lists " << command;
  }
  for (const char* command : {"serve", "balances", "derive", "devnet", "check"}) {
    CliRun r = run_cli(std::string(command) + " --help");
    EXPECT_EQ(r.rc, 0) << command;
    EXPECT_TRUE(r.out.starts_with(std::string("usage: creditscope ") + command)) << r.out;
    EXPECT_NE(r.out.find("--config FILE"), std::string::npos) << r.out;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(run_cli(std::string("help ") + command).out, r.out);
  }
  CliRun balances = run_cli("balances --help");
  EXPECT_NE(balances.out.find("--chain CHAIN"), std::string::npos);
  EXPECT_NE(balances.out.find("--owner ADDRESS"), std::string::npos);
  CliRun version = run_cli("--version");
  EXPECT_EQ(version.rc, 0);
  EXPECT_TRUE(version.out.starts_with("creditscope 0.1.0 (commit ")) << version.out;
  EXPECT_EQ(version.out.find("commit unknown"), std::string::npos) << version.out;
}

TEST(CliE2E, UsageMistakesAreOneLinePlusUsageWithExitCode2) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "creditscope: a command is required\n"},
      {"frobnicate", "creditscope: unknown command \"frobnicate\"\n"},
      {"serv --config x", "creditscope: unknown command \"serv\"; did you mean \"serve\"?\n"},
      {"serve --config config/devnet.toml --bogus 1", "creditscope: serve: unknown flag --bogus\n"},
      {"serve", "creditscope: serve: --config is required\n"},
      {"serve --config", "creditscope: serve: --config needs a value\n"},
      {"serve --config a --config=b", "creditscope: serve: --config is given twice\n"},
      {"derive --config config/devnet.toml --chain base", "creditscope: derive: --owner is required\n"},
      {"check --config config/devnet.toml extra", "creditscope: unexpected argument \"extra\"\n"},
  };
  for (const auto& [args, first_line] : cases) {
    CliRun r = run_cli(args);
    EXPECT_EQ(r.rc, 2) << args;
    EXPECT_TRUE(r.err.starts_with(first_line + "\nusage: creditscope")) << args << " -> " << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
}

TEST(CliE2E, ConfigMistakesStopEveryCommandWithTheKey) {
  TempDir dir;
  const std::string bad = dir.file("bad.toml");
  std::ofstream(bad) << slurp(std::string(CREDITSCOPE_SOURCE_DIR) + "/config/devnet.toml")
                     << "\n[[chains.base.price_feeds]]\ntoken = \"0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913\"\n";
  const std::string expected = "creditscope: " + bad +
                               ": unknown table \"chains.base.price_feeds\"; did you mean \"chains.base.prices\"?\n";
  const std::string owner = " --chain base --owner 0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
  for (const std::string& args : {"serve --config " + bad, "balances --config " + bad + owner,
                                  "derive --config " + bad + owner, "devnet --config " + bad, "check --config " + bad}) {
    CliRun r = run_cli(args);
    EXPECT_EQ(r.rc, 2) << args;
    EXPECT_EQ(r.err, expected) << args;
    EXPECT_EQ(r.out, "") << args;
  }
  // The environment is checked as strictly as the file, before anything starts.
  CliRun env = run_cli("serve --config config/devnet.toml", "CREDITSCOPE_SERVER_LISTN=127.0.0.1:0");
  EXPECT_EQ(env.rc, 2);
  EXPECT_EQ(env.err,
            "creditscope: config/devnet.toml: unknown environment variable CREDITSCOPE_SERVER_LISTN; did you mean "
            "CREDITSCOPE_SERVER_LISTEN?\n");
  CliRun range = run_cli("check --config config/devnet.toml", "CREDITSCOPE_CHAINS_BASE_RPC_MAX_BATCH=0");
  EXPECT_EQ(range.rc, 2);
  EXPECT_EQ(range.err,
            "creditscope: config/devnet.toml: CREDITSCOPE_CHAINS_BASE_RPC_MAX_BATCH (chains.base.rpc_max_batch) must be "
            "between 1 and 10000 (got 0)\n");
  CliRun ok = run_cli("check --config config/mainnet.toml");
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_EQ(ok.out, "config/mainnet.toml: valid (5 chain(s): arbitrum base bsc ethereum tempo)\n");
}

TEST(CliE2E, BalancesPrintsJsonTableOrCsv) {
  Harness h;
  const Address owner = devnet::dev_account(3), funder = devnet::dev_account(0);
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  const Address account = must(deriver.derive(owner), "derive");
  const Address usdc = must(devnet::deploy_token(h.chain(), h.artifacts(), "USDC", 6), "deploy");
  const Address odd = must(devnet::deploy_token(h.chain(), h.artifacts(), "A,\"B", 18), "deploy");
  must(h.chain().send(funder, usdc, devnet::mint_call(account, 1234500)), "mint");
  must(h.chain().send(funder, usdc, devnet::mint_call(account, 1)), "second mint");
  must(h.chain().send(funder, odd, devnet::mint_call(account, 7)), "mint odd");
  TempDir dir;
  const std::string cfg = dir.file("c.toml");
  std::ofstream(cfg) << h.toml(h.config());
  const std::string base = "balances --config " + cfg + " --chain base --owner " + to_checksum(owner);

  CliRun plain = run_cli(base);  // stdout is a file here: json
  ASSERT_EQ(plain.rc, 0) << plain.err;
  EXPECT_EQ(run_cli(base + " -o json").out, plain.out);
  EXPECT_EQ(run_cli(base + " --output=json").out, plain.out);

  CliRun table = run_cli(base + " -o table");
  ASSERT_EQ(table.rc, 0) << table.err;
  EXPECT_EQ(table.err, "");
  EXPECT_TRUE(table.out.starts_with("credit account " + to_checksum(account) + " at block ")) << table.out;
  std::istringstream rows(table.out);
  std::map<std::string, std::vector<std::string>> cells;  // first word -> the rest
  for (std::string line; std::getline(rows, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    if (!w.empty()) cells[w[0]] = std::vector<std::string>(w.begin() + 1, w.end());
  }
  EXPECT_EQ(cells["USDC"], (std::vector<std::string>{"1.234501", "-", "2"}));  // balance, no price, 2 transfers
  EXPECT_EQ(cells["TOTAL"], (std::vector<std::string>{"-"}));
  EXPECT_EQ(cells["TOKEN"], (std::vector<std::string>{"BALANCE", "USD", "TRANSFERS"}));

  CliRun csv = run_cli(base + " -o csv");
  ASSERT_EQ(csv.rc, 0) << csv.err;
  EXPECT_TRUE(csv.out.starts_with("block_number,block_timestamp,transaction_hash,log_index,token_address,token_symbol,"
                                  "direction,from_address,to_address,amount,amount_formatted\r\n"));
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 4);  // header + 3 transfers
  EXPECT_NE(csv.out.find(",\"A,\"\"B\",in,"), std::string::npos) << "a symbol with a comma and a quote is quoted";
  EXPECT_NE(csv.out.find(",1234500,1.2345\r\n"), std::string::npos) << csv.out;

  CliRun bad = run_cli(base + " -o xml");
  EXPECT_EQ(bad.rc, 2);
  EXPECT_TRUE(bad.err.starts_with("creditscope: balances: --output must be json, table or csv (got \"xml\")")) << bad.err;
  EXPECT_EQ(run_cli(base + " -x table").rc, 2);
}

TEST(CliE2E, ALongFirstReadShowsProgressOnATerminalOnly) {
  Harness h;
  const Address owner = devnet::dev_account(3), funder = devnet::dev_account(0);
  chain::CreditAccountDeriver deriver(h.params(), h.chain().rpc());
  const Address usdc = must(devnet::deploy_token(h.chain(), h.artifacts(), "USDC", 6), "deploy");
  must(h.chain().send(funder, usdc, devnet::mint_call(must(deriver.derive(owner), "derive"), 5)), "mint");
  must(h.chain().mine(3000), "a chain that takes seconds to scan one block per request");
  auto cfg = h.config();
  auto& c = cfg.chains[0].settings;
  c.logs_max_span = 1;
  c.rpc_max_batch = 1;
  c.max_in_flight = 1;
  c.max_rps = 3000;  // a scan of a few seconds
  TempDir dir;
  const std::string path = dir.file("c.toml");
  std::ofstream(path) << h.toml(cfg);
  const std::string args = "balances --config " + path + " --chain base --owner " + to_checksum(owner) + " -o table";
  // script(1) gives the command a terminal and copies what it writes there.
  const std::string cmd = "cd " + std::string(CREDITSCOPE_SOURCE_DIR) + " && script -qfec \"" + std::string(CREDITSCOPE_BINARY) +
                          " " + args + "\" /dev/null > " + dir.file("tty") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  const std::string shown = slurp(dir.file("tty"));
  EXPECT_NE(shown.find("%  block "), std::string::npos) << "no progress bar on the terminal: " << shown;
  EXPECT_NE(shown.find("\r\033[K"), std::string::npos) << "the bar's line is cleared before the answer";
  EXPECT_NE(shown.find("USDC"), std::string::npos) << shown;
  const auto started = std::chrono::steady_clock::now();
  CliRun piped = run_cli(args);
  std::cerr << "the piped read took " << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() << " s\n";
  EXPECT_EQ(piped.rc, 0) << piped.err;
  EXPECT_EQ(piped.err, "") << "off a terminal only the answer";
  EXPECT_NE(piped.out.find("USDC"), std::string::npos);
}

TEST(CliE2E, OneShotCommandsPrintOnlyTheirAnswer) {
  Harness h;
  const Address owner = devnet::dev_account(3);
  app::Service library(h.config());  // derivation itself is checked against the real factory elsewhere
  const Address account = must(library.derive("base", owner), "derive");
  TempDir dir;
  const std::string cfg = dir.file("c.toml");
  std::ofstream(cfg) << h.toml(h.config());
  CliRun derive = run_cli("derive --config " + cfg + " --chain base --owner " + to_checksum(owner));
  EXPECT_EQ(derive.rc, 0) << derive.err;
  EXPECT_EQ(derive.out, to_checksum(account) + "\n");
  EXPECT_EQ(derive.err, "");  // no server warnings for a one-shot read
  CliRun balances = run_cli("balances --config " + cfg + " --chain base --owner " + to_checksum(owner));
  EXPECT_EQ(balances.rc, 0) << balances.err;
  EXPECT_EQ(balances.err, "");
  EXPECT_EQ(lines(balances.out), 1u);
  EXPECT_EQ(schema_errors(balances.out), "");
  EXPECT_NE(balances.out.find(to_checksum(account)), std::string::npos);
  CliRun bad_owner = run_cli("balances --config " + cfg + " --chain base --owner 0x12");
  EXPECT_EQ(bad_owner.rc, 2);
  EXPECT_EQ(bad_owner.out, "");
  EXPECT_NE(bad_owner.err.find("\"loc\":[\"query\",\"owner\"]"), std::string::npos) << bad_owner.err;
}

TEST(CliE2E, MetricsPassPromtool) {
  Harness h;
  TempDir dir;
  Server server(h.indexed_config(dir.file("index.db")));
  ASSERT_TRUE(eventually([&] { return server.get("/readyz").status == 200; }));
  // Requests that create every family: HTTP counters and histograms, RPC calls, backfills.
  // The index answers 503 until it has loaded; then the first request backfills.
  const std::string target = "/v2/credit/balances?chain=base&owner=" + to_checksum(devnet::dev_account(3));
  EXPECT_TRUE(eventually([&] { return server.get(target).status == 200; }));
  EXPECT_EQ(server.get("/v2/credit/balances?chain=base&owner=0x12").status, 422);
  EXPECT_EQ(server.get("/nope").status, 404);
  // The answer is released before the backfill's last commit; its counter moves after that.
  EXPECT_TRUE(eventually([] { return Metrics::global().counter_sum("creditscope_backfills_total") > 0; }));
  auto metrics = server.get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const char* family : {"creditscope_http_requests_total", "creditscope_http_request_duration_seconds",
                             "creditscope_rpc_calls_total", "creditscope_backfills_total"})
    EXPECT_NE(metrics.body.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
  // Every # TYPE line follows its # HELP line.
  std::istringstream text(metrics.body);
  std::string line, previous;
  while (std::getline(text, line)) {
    if (line.starts_with("# TYPE ")) {
      std::string name = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(previous.starts_with("# HELP " + name + " ")) << line;
    }
    previous = line;
  }
  const std::string page = dir.file("metrics.txt");
  std::ofstream(page) << metrics.body;
  const std::string cmd = "promtool check metrics < " + page + " > " + dir.file("lint") + " 2>&1";
  int status = std::system(cmd.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(dir.file("lint"));
}

}  // namespace
}  // namespace creditscope::e2e
