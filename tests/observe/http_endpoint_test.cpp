// The endpoint over real sockets: answers, 4xx for bad requests, and idle or slow clients that
// cannot starve it.
#include "manager/observe/http_endpoint.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "services/role.hpp"
#include "tests/observe/state_fixture.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class HttpEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("sm-http-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    auto state = sampleState();
    // Its lease holds for as long as the test runs (the endpoint reads the real clock).
    state.instances[0].leaseUntilMonoNs = services::monotonicNowNs() + 600'000'000'000ULL;
    state.instances[0].stdoutLog = (dir_ / "out.log").string();
    {
      std::ofstream out(state.instances[0].stdoutLog);
      for (int i = 1; i <= 50; ++i) out << "line " << i << "\n";
    }
    board_.publish(std::make_shared<const observe::ObservedState>(state));
    observe::HttpEndpointOptions options;
    options.address = {"127.0.0.1", 0};
    options.maxFollow = std::chrono::seconds(3);
    endpoint_ = std::make_unique<observe::HttpEndpoint>(board_, options);
    endpoint_->start();
    port_ = endpoint_->port();
  }
  void TearDown() override {
    endpoint_->stop();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  observe::StateBoard board_;
  std::unique_ptr<observe::HttpEndpoint> endpoint_;
  int port_ = 0;
};

TEST_F(HttpEndpointTest, Answers) {
  EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
  EXPECT_EQ(httpGet(port_, "/v1/master/Demo/0").status, 200);
  EXPECT_EQ(httpGet(port_, "/v1/master/Demo/1").status, 503);
  const auto metrics = httpGet(port_, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("servicesmgr_local_masters"), std::string::npos);
  const auto tail = httpGet(port_, "/v1/logs/" + kMasterUuid + "?tail=2");
  EXPECT_EQ(tail.status, 200);
  EXPECT_EQ(tail.body, "line 49\nline 50\n");
}

TEST_F(HttpEndpointTest, BadRequestsGet4xx) {
  EXPECT_EQ(httpGet(port_, "/v1/logs/nope").status, 400);
  EXPECT_EQ(httpGet(port_, "/v1/logs/" + kMasterUuid + "?tail=99999999999999").status, 400);
  EXPECT_EQ(httpGet(port_, "/v1/logs/%2e%2e%2f%2e%2e%2fetc%2fpasswd").status, 400);
  EXPECT_EQ(httpGet(port_, "/v1/master/Demo/x").status, 400);
  EXPECT_EQ(httpGet(port_, "/v1/master/%2e%2e/0").status, 400);
  EXPECT_EQ(httpGet(port_, "/nothing").status, 404);
  // Longer than httplib's limit: a 414, or a reset if the server closed before reading it all.
  const auto huge = httpGet(port_, "/" + std::string(20000, 'a'));
  EXPECT_TRUE(huge.status == 0 || huge.status / 100 == 4) << huge.status;
  const auto post = sendRaw(port_, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(post.rfind("HTTP/1.1 405", 0), 0u) << post;
  const auto garbage = sendRaw(port_, "\x01\x02 garbage\r\n\r\n");
  EXPECT_EQ(garbage.rfind("HTTP/1.1 4", 0), 0u) << garbage;
  // Still serving.
  EXPECT_EQ(httpGet(port_, "/healthz").status, 200);
}

// Idle connections never reach a worker; half-sent requests take one only until the read timeout.
TEST_F(HttpEndpointTest, IdleAndSlowClientsDoNotStarveIt) {
  std::vector<int> idle;
  for (int i = 0; i < 100; ++i) {
    const int fd = connectIdle(port_);
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  // As many half-requests as workers: each holds one until its read times out (2 s).
  for (int i = 0; i < 4; ++i) {
    const int fd = connectIdle(port_);
    ASSERT_GE(fd, 0);
    ASSERT_GT(::send(fd, "GET /hea", 8, MSG_NOSIGNAL), 0);
    idle.push_back(fd);
  }
  const auto start = std::chrono::steady_clock::now();
  int served = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(6)) {
    const auto reply = httpGet(port_, "/v1/master/Demo/0", milliseconds(4000));
    EXPECT_EQ(reply.status, 200) << reply.error;
    if (reply.status == 200) ++served;
    if (served >= 20) break;
  }
  EXPECT_GE(served, 20);
  // The answers never waited longer than a read timeout (2 s) behind the half-requests.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  for (int fd : idle) ::close(fd);
}

TEST_F(HttpEndpointTest, FollowStreamsAppendsAndEnds) {
  const int fd = connectIdle(port_);
  ASSERT_GE(fd, 0);
  const std::string request =
      "GET /v1/logs/" + kMasterUuid + "?tail=1&follow=1 HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string received;
  auto receive = [&] {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) == 1) {
      char buffer[4096];
      const auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n > 0) received.append(buffer, static_cast<std::size_t>(n));
      if (n == 0) return true;  // the stream ended
    }
    return false;
  };
  // The tail first; only then the append, which the follower must deliver.
  ASSERT_TRUE(waitFor([&] { receive(); return received.find("line 50\n") != std::string::npos; },
                      milliseconds(3000)))
      << received;
  EXPECT_EQ(received.find("line 49"), std::string::npos);
  std::ofstream(dir_ / "out.log", std::ios::app) << "appended\n";
  EXPECT_TRUE(waitFor([&] { receive(); return received.find("appended\n") != std::string::npos; },
                      milliseconds(3000)))
      << received;
  // It ends by itself after maxFollow (3 s here).
  EXPECT_TRUE(waitFor([&] { return receive(); }, milliseconds(6000)));
  ::close(fd);
}

TEST_F(HttpEndpointTest, NoStateYetIs503AndStopIsPrompt) {
  observe::StateBoard empty;
  observe::HttpEndpointOptions options;
  options.address = {"127.0.0.1", 0};
  observe::HttpEndpoint endpoint(empty, options);
  endpoint.start();
  EXPECT_EQ(httpGet(endpoint.port(), "/healthz").status, 503);
  const auto start = std::chrono::steady_clock::now();
  endpoint.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

TEST_F(HttpEndpointTest, ABusyPortIsAnError) {
  observe::HttpEndpointOptions options;
  options.address = {"127.0.0.1", port_};
  observe::HttpEndpoint second(board_, options);
  EXPECT_THROW(second.start(), std::runtime_error);
}

}  // namespace
}  // namespace sm::test
