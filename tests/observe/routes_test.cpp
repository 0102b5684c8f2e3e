// Every route's answer from a published state, and the 4xx of bad requests, without a socket.
#include "manager/observe/routes.hpp"

#include <gtest/gtest.h>

#include "manager/observe/http_address.hpp"
#include "tests/observe/state_fixture.hpp"

namespace sm::test {
namespace {

using observe::QueryParams;
using observe::route;
using observe::routeLog;

const observe::RouteClock kClock{std::chrono::steady_clock::now(), kNowNs};

int status(const observe::ObservedState* state, const std::string& path) {
  return route(state, path, {}, kClock).status;
}

TEST(Routes, MasterAndSecondaryChecks) {
  const auto state = sampleState();
  EXPECT_EQ(status(&state, "/v1/master/Demo/logicalService0000000000"), 200);
  EXPECT_EQ(status(&state, "/v1/master/Demo/0"), 200);
  EXPECT_EQ(status(&state, "/v1/master/Demo/1"), 503);  // a secondary here
  EXPECT_EQ(status(&state, "/v1/secondary/Demo/1"), 200);
  EXPECT_EQ(status(&state, "/v1/secondary/Demo/0"), 503);
  EXPECT_EQ(status(&state, "/v1/master/Nope/0"), 503);
  // A lease that has passed is no master.
  const observe::RouteClock later{kClock.steadyNow, kNowNs + 5'000'000'000};
  EXPECT_EQ(route(&state, "/v1/master/Demo/0", {}, later).status, 503);
}

TEST(Routes, MalformedPathsAre4xx) {
  const auto state = sampleState();
  for (const auto* path : {"/v1/master/Demo", "/v1/master/Demo/", "/v1/master//0",
                           "/v1/master/Demo/0/extra", "/v1/master/Demo/logicalService12",
                           "/v1/master/Demo/-1", "/v1/master/Demo/99999999999",
                           "/v1/master/..%2F/0", "/v1/master/../0", "/v1/secondary/x"}) {
    const auto reply = route(&state, path, {}, kClock);
    EXPECT_EQ(reply.status, 400) << path << ": " << reply.body;
  }
  EXPECT_EQ(status(&state, "/"), 404);
  EXPECT_EQ(status(&state, "/v2/master/Demo/0"), 404);
}

TEST(Routes, HealthReadinessAndNoStateYet) {
  auto state = sampleState();
  EXPECT_EQ(status(&state, "/healthz"), 200);
  EXPECT_EQ(status(&state, "/readyz"), 200);
  state.zkConnected = false;
  state.zkSessionState = "connecting";
  EXPECT_EQ(status(&state, "/readyz"), 503);
  state.publishedAt = kClock.steadyNow - std::chrono::seconds(60);
  EXPECT_EQ(status(&state, "/healthz"), 503);
  for (const auto* path : {"/healthz", "/readyz", "/metrics", "/v1/instances", "/v1/master/Demo/0"}) {
    EXPECT_EQ(status(nullptr, path), 503) << path;
  }
}

TEST(Routes, InstancesJson) {
  const auto state = sampleState();
  const auto reply = route(&state, "/v1/instances", {}, kClock);
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.contentType, "application/json");
  EXPECT_NE(reply.body.find(kMasterUuid), std::string::npos);
  EXPECT_NE(reply.body.find("\"leaseRemainingMs\": 2000"), std::string::npos) << reply.body;
}

TEST(Routes, LogRequestsAreChecked) {
  auto state = sampleState();
  state.instances[0].stdoutLog = "/x/out.log";
  state.instances[0].stderrLog = "/x/err.log";
  auto ok = routeLog(&state, kMasterUuid, QueryParams{{"tail", "5"}, {"follow", "1"}});
  ASSERT_TRUE(ok.request);
  EXPECT_EQ(ok.request->path, "/x/out.log");
  EXPECT_EQ(ok.request->tail, 5);
  EXPECT_TRUE(ok.request->follow);
  EXPECT_EQ(routeLog(&state, kMasterUuid, QueryParams{{"stream", "stderr"}}).request->path,
            "/x/err.log");

  auto error = [&](const std::string& uuid, QueryParams query) {
    auto r = routeLog(&state, uuid, query);
    EXPECT_FALSE(r.request) << uuid;
    return r.error.status;
  };
  EXPECT_EQ(error("not-a-uuid", {}), 400);
  EXPECT_EQ(error("../../etc/passwd", {}), 400);
  EXPECT_EQ(error(kMasterUuid + "/x", {}), 400);
  EXPECT_EQ(error("0F0E0D0C-0B0A-4908-8706-050403020100", {}), 400);  // not canonical
  EXPECT_EQ(error(kMasterUuid, {{"tail", "100000000000000000000"}}), 400);
  EXPECT_EQ(error(kMasterUuid, {{"tail", "10001"}}), 400);
  EXPECT_EQ(error(kMasterUuid, {{"tail", "-1"}}), 400);
  EXPECT_EQ(error(kMasterUuid, {{"tail", "5x"}}), 400);
  EXPECT_EQ(error(kMasterUuid, {{"follow", "yes"}}), 400);
  EXPECT_EQ(error(kMasterUuid, {{"stream", "/etc/passwd"}}), 400);
  EXPECT_EQ(error(kMasterUuid, {{"tail", "1"}, {"tail", "2"}}), 400);
  EXPECT_EQ(error(kMasterUuid, {{"lines", "1"}}), 400);
  EXPECT_EQ(error("2f0e0d0c-0b0a-4908-8706-050403020100", {}), 404);  // not here
}

TEST(HttpAddress, ParsesAndRefuses) {
  std::string error;
  auto a = observe::parseHttpAddress("127.0.0.1:9464", error);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 9464);
  EXPECT_TRUE(observe::parseHttpAddress("localhost:0", error));
  EXPECT_TRUE(observe::parseHttpAddress("0.0.0.0:80", error));
  for (const auto* bad : {"9464", ":9464", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:x",
                          "example.com:80", "127.0.0.1:-1", "[::1]:80"}) {
    EXPECT_FALSE(observe::parseHttpAddress(bad, error)) << bad;
    EXPECT_FALSE(error.empty());
  }
}

}  // namespace
}  // namespace sm::test
