// UnixSocketAddress: a socket at a path longer than sun_path is bound and reached through its
// directory's descriptor; one whose name alone is too long is refused.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "services/unix_socket_address.hpp"

namespace sm::services {
namespace {

namespace fs = std::filesystem;

class UnixSocketAddressTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sm-unix-address-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(UnixSocketAddressTest, ALongPathIsBoundAndReachedThroughItsDirectory) {
  auto dir = root_;
  while (dir.string().size() < 150) dir /= "a-rather-long-folder-name";
  fs::create_directories(dir);
  const auto path = (dir / "daemon.sock").string();
  ASSERT_GT(path.size(), sizeof(sockaddr_un::sun_path));

  const int server = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(server, 0);
  {
    const UnixSocketAddress address(path);
    ASSERT_TRUE(address.valid());
    ASSERT_EQ(::bind(server, address.get(), address.size()), 0) << std::strerror(errno);
  }
  ASSERT_EQ(::listen(server, 1), 0);
  EXPECT_TRUE(fs::exists(path)) << "bound at the long path itself";

  const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);
  {
    const UnixSocketAddress address(path);
    ASSERT_TRUE(address.valid());
    EXPECT_EQ(::connect(client, address.get(), address.size()), 0) << std::strerror(errno);
  }
  ::close(client);
  ::close(server);
}

TEST_F(UnixSocketAddressTest, ANameTooLongEvenThroughItsDirectoryIsRefused) {
  EXPECT_FALSE(UnixSocketAddress((root_ / std::string(200, 'n')).string()).valid());
  EXPECT_TRUE(UnixSocketAddress((root_ / "short.sock").string()).valid());
}

}  // namespace
}  // namespace sm::services
