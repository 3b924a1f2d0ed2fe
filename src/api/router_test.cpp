#include "api/router.hpp"

#include <gtest/gtest.h>

namespace creditscope::api {
namespace {

Router make_router(std::vector<std::string> hashes) {
  auto keys = ApiKeys::from_hex_hashes(hashes);
  EXPECT_TRUE(keys);
  std::vector<Route> routes;
  routes.push_back({"/v2/credit/balances", [](const ApiRequest&) { return ApiResponse{}; }, true, true});
  routes.push_back({"/healthz", [](const ApiRequest&) { return ApiResponse{}; }, false, false});
  return Router(std::move(routes), *keys);
}

ApiRequest get(std::string path) {
  ApiRequest r;
  r.method = "GET";
  r.path = std::move(path);
  return r;
}

TEST(Router, UnknownPathIs404AndWrongMethod405) {
  Router router = make_router({});
  auto r404 = router.precheck(get("/nope"), router.find("/nope"));
  ASSERT_TRUE(r404);
  EXPECT_EQ(r404->status, 404u);
  EXPECT_EQ(r404->body, R"({"detail":"Not Found"})");
  ApiRequest post = get("/healthz");
  post.method = "POST";
  auto r405 = router.precheck(post, router.find("/healthz"));
  ASSERT_TRUE(r405);
  EXPECT_EQ(r405->status, 405u);
  EXPECT_EQ(r405->body, R"({"detail":"Method Not Allowed"})");
}

TEST(Router, ApiKeyIsCheckedAgainstHashes) {
  // sha256("secret-key"), computed with coreutils sha256sum.
  Router router = make_router({"85dbe15d75ef9308c7ae0f33c7a324cc6f4bf519a2ed2f3027bd33c140a4f9aa"});
  const Route* route = router.find("/v2/credit/balances");
  auto missing = router.precheck(get("/v2/credit/balances"), route);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 401u);
  EXPECT_EQ(missing->body, R"({"detail":"Invalid or missing API key"})");
  ApiRequest wrong = get("/v2/credit/balances");
  wrong.has_api_key = true;
  wrong.api_key = "guess";
  EXPECT_EQ(router.precheck(wrong, route)->status, 401u);
  EXPECT_FALSE(router.precheck(get("/healthz"), router.find("/healthz")));  // open route
}

TEST(ApiKeys, AcceptsTheKeyWhoseHashIsConfigured) {
  auto keys = ApiKeys::from_hex_hashes({"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"});
  ASSERT_TRUE(keys);  // sha256("secret")
  EXPECT_TRUE(keys->accepts("secret"));
  EXPECT_FALSE(keys->accepts("secret "));
  EXPECT_FALSE(keys->accepts(std::nullopt));
  EXPECT_FALSE(ApiKeys::from_hex_hashes({"xyz"}));
}

}  // namespace
}  // namespace creditscope::api
