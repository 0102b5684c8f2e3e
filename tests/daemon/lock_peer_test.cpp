// The lock server's view of a peer process (manager/daemon/lock_peer.hpp).
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <set>

#include "manager/daemon/lock_peer.hpp"

namespace sm::daemon {
namespace {

TEST(LockPeer, ParsesProcStatWithAnOddCommandName) {
  auto stat = parseProcStat("1234 (a (b) c) S 77 1234 1234 0 -1 4194560 ...");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->ppid, 77);
  EXPECT_EQ(stat->pgid, 1234);
  EXPECT_FALSE(parseProcStat("garbage"));
  EXPECT_FALSE(parseProcStat("12 (x) S"));
}

TEST(LockPeer, ThisProcessLineageEndsWithItsAncestors) {
  auto lineage = processLineage(::getpid());
  ASSERT_TRUE(lineage);
  ASSERT_GE(lineage->ancestry.size(), 1u);
  EXPECT_EQ(lineage->ancestry[0], ::getpid());
  if (::getppid() > 1) {
    ASSERT_GE(lineage->ancestry.size(), 2u);
    EXPECT_EQ(lineage->ancestry[1], ::getppid());
  }
  EXPECT_EQ(lineage->pgid, ::getpgrp());
}

TEST(LockPeer, OwnerIsTheNearestManagedAncestorElseTheGroup) {
  const std::set<pid_t> managed{100, 200};
  EXPECT_EQ(managedOwner(ProcessLineage{300, {300, 200, 100, 7}}, managed), 200);
  EXPECT_EQ(managedOwner(ProcessLineage{100, {100, 7}}, managed), 100);
  // Left its parent (re-parented to a subreaper), still in its managed process's group.
  EXPECT_EQ(managedOwner(ProcessLineage{200, {450, 9}}, managed), 200);
  EXPECT_EQ(managedOwner(ProcessLineage{450, {451, 450, 9}}, managed), std::nullopt);
  EXPECT_TRUE(descendsFrom(ProcessLineage{5, {5, 4, 3}}, 4));
  EXPECT_FALSE(descendsFrom(ProcessLineage{5, {5, 4, 3}}, 2));
}

TEST(LockPeer, CredentialsOfASocketPairAreOurOwn) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  auto peer = peerCredentials(fds[0]);
  ::close(fds[0]);
  ::close(fds[1]);
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->pid, ::getpid());
  EXPECT_EQ(peer->uid, ::geteuid());
}

}  // namespace
}  // namespace sm::daemon
