// Real-browser checks (Debian's chromium driven by npm playwright-core, scripts in tests/browser/)
// against a server on anvil.

#include <gtest/gtest.h>

#include <cstdio>

#include "account_fixture.hpp"

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

}  // namespace
}  // namespace creditscope::e2e
