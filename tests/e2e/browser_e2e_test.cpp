// Real-browser checks (Debian's chromium driven by npm playwright-core, scripts in tests/browser/)
// against a server on anvil.

#include <gtest/gtest.h>

#include <cstdio>

#include "account_fixture.hpp"
#include "pricing/usd.hpp"

namespace creditscope::e2e {
namespace {

// Runs a tests/browser script with its arguments; its exit code and everything it printed.
std::pair<int, std::string> run_browser_script(const std::string& script, const std::string& args) {
  const std::string cmd = "cd " + std::string(CREDITSCOPE_SOURCE_DIR) + " && node tests/browser/" + script + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class BrowserE2E : public FundedAccount {};

TEST_F(BrowserE2E, DocsRenderTheOperationAndTryItOutAnswers200) {
  Server server(h.config());
  auto docs = server.get("/docs");
  ASSERT_EQ(docs.status, 200u);
  EXPECT_EQ(docs.header("content-type"), "text/html; charset=utf-8");
  auto bundle = server.get("/docs/swagger-ui-bundle.js");
  ASSERT_EQ(bundle.status, 200u);
  EXPECT_GT(bundle.body.size(), 100000u);
  auto [rc, out] = run_browser_script("docs.mjs", server.base() + " " + to_checksum(owner) + " " + to_checksum(account));
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("docs ok"), std::string::npos) << out;
}

TEST_F(BrowserE2E, ExplorerShowsWhatTheApiAnswers) {
  must(h.chain().mine(3000), "a longer chain, so a one-block-per-request backfill takes seconds");
  auto cfg = h.config();
  cfg.chains[0].prices.tokens[tokens[0]].usd_peg = pricing::parse_decimal("1");  // USD values on the page
  Server server(cfg);
  // A server that indexes, scanning one block per request: the first request for the account
  // outlasts its 300 ms deadline, and the page shows the backfill's progress.
  auto cold_cfg = h.indexed_config(dir.file("cold.db"), 100);
  cold_cfg.request_deadline = std::chrono::milliseconds(300);
  auto& c = cold_cfg.chains[0].settings;
  c.logs_initial_span = c.logs_max_span = 1;
  c.rpc_max_batch = 1;
  c.max_in_flight = 1;
  Server cold(cold_cfg);
  auto keyed_cfg = h.config();
  keyed_cfg.api_keys_sha256 = {"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"};  // sha256("secret")
  Server keyed(keyed_cfg);
  const std::string shots = std::string(CREDITSCOPE_SOURCE_DIR) + "/docs/screenshots";
  std::filesystem::create_directories(shots);
  auto [rc, out] = run_browser_script(
      "explorer.mjs", server.base() + " " + cold.base() + " " + to_checksum(owner) + " " + h.rpc_url() + " " +
                          to_checksum(funder) + " " + to_checksum(tokens[0]) + " " + to_checksum(account) + " " + shots + " " +
                          keyed.base() + " secret");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("explorer ok"), std::string::npos) << out;
}

}  // namespace
}  // namespace creditscope::e2e
