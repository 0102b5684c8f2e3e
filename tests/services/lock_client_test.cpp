// The lock client of services/ (lock_client.hpp) against a scripted daemon on a Unix socket: what
// it makes of each answer and notice, and the lease it checks on its own clock.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "services/lock_client.hpp"

namespace sm::services {
namespace {

using std::chrono::milliseconds;

// One listening socket in a fresh directory; accept() hands out the daemon's end of a connection.
class ScriptedDaemon {
 public:
  ScriptedDaemon() {
    char tmpl[] = "/tmp/sm-lock-client-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/daemon.sock";
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
  }
  ~ScriptedDaemon() {
    if (peer_ >= 0) ::close(peer_);
    ::close(fd_);
    std::filesystem::remove_all(dir_);
  }
  const std::string& path() const { return path_; }
  void accept() { peer_ = ::accept(fd_, nullptr, nullptr); }
  std::string readLine() {
    std::string line;
    char c;
    while (::read(peer_, &c, 1) == 1 && c != '\n') line += c;
    return line;
  }
  void send(const std::string& text) {
    EXPECT_EQ(::write(peer_, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  }
  void closePeer() {
    ::close(peer_);
    peer_ = -1;
  }

 private:
  std::string dir_;
  std::string path_;
  int fd_ = -1;
  int peer_ = -1;
};

std::string in(milliseconds ms) {
  return std::to_string(lockClockNowNs() + static_cast<std::uint64_t>(ms.count()) * 1000000);
}

TEST(LockClient, HeldRenewedLostBusyAndRefusedRequests) {
  ScriptedDaemon daemon;
  LockClient client(daemon.path());
  daemon.accept();
  std::thread script([&] {
    EXPECT_EQ(daemon.readLine(), "acquire -1 a");
    daemon.send("held a 5 " + in(milliseconds(10000)) + "\n");
    EXPECT_EQ(daemon.readLine(), "acquire 0 c");
    daemon.send("lease a " + in(milliseconds(20000)) + "\nbusy c\n");
    EXPECT_EQ(daemon.readLine(), "release zzz");
    daemon.send("error zzz name:%20zzz%20is%20not%20held\n");
    EXPECT_EQ(daemon.readLine(), "acquire 250 d");
    daemon.send("held d 9 " + in(milliseconds(60)) + "\nlost a gone\n");
  });
  auto a = client.acquire("a", milliseconds(-1));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->token, 5);
  EXPECT_TRUE(client.held("a"));
  EXPECT_FALSE(client.tryAcquire("c"));
  try {
    client.release("zzz");
    ADD_FAILURE() << "release of a lock not held did not throw";
  } catch (const LockError& e) {
    EXPECT_STREQ(e.what(), "name: zzz is not held");
  }
  auto d = client.acquire("d", milliseconds(250));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->token, 9);
  script.join();
  // "lost a" arrived with d's answer; d's lease (60 ms) passes on our own clock, and the wait
  // ends then.
  EXPECT_FALSE(client.held("a"));
  auto ended = client.waitForChange(milliseconds(2000));
  EXPECT_EQ(ended, (std::vector<std::string>{"a", "d"}));
  EXPECT_EQ(client.lostReason("a"), "gone");
  EXPECT_EQ(client.lostReason("d"), "its lease passed (the daemon did not renew it)");
  EXPECT_TRUE(client.waitForChange(milliseconds(0)).empty());
  EXPECT_FALSE(client.held("d"));
}

TEST(LockClient, ARefusedConnectionSaysWhy) {
  ScriptedDaemon daemon;
  LockClient client(daemon.path());
  daemon.accept();
  daemon.send("refused peer:%20pid%2042%20is%20not%20a%20process%20this%20daemon%20manages\n");
  daemon.closePeer();
  try {
    client.tryAcquire("x");
    ADD_FAILURE() << "no error";
  } catch (const LockError& e) {
    EXPECT_NE(std::string(e.what()).find("refused the connection: peer: pid 42"), std::string::npos)
        << e.what();
  }
}

TEST(LockClient, NoSocketNoDaemon) {
  ::unsetenv("SM_DAEMON_SOCKET");
  EXPECT_THROW(LockClient(), LockError);
  EXPECT_THROW(LockClient("/nonexistent/daemon.sock"), LockError);
}

}  // namespace
}  // namespace sm::services
