// The multi-host tests' cleanup check, run after all of them: fails when any namespace or link of a
// host network (name prefix smh-) is still there, and removes it, so that a failed run leaves the
// machine clean anyway. Without root there is nothing to check (the tests were skipped).
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <iostream>

#include "tests/support/host_network.hpp"

int main() {
  if (::geteuid() != 0) {
    std::cout << "not root: the multi-host tests were skipped, nothing to check\n";
    return 0;
  }
  // A host network in use (a test run by hand meanwhile) holds the lock: its names are not ours.
  const int lock = ::open(sm::test::HostNetwork::kLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    std::cout << "a host network is in use by another process: not checked\n";
    return 0;
  }
  const auto left = sm::test::HostNetwork::leftovers();
  for (const auto& what : left) std::cerr << "left behind by a multi-host test: " << what << "\n";
  sm::test::HostNetwork::sweepLeftovers();
  const auto still = sm::test::HostNetwork::leftovers();
  for (const auto& what : still) std::cerr << "cannot remove: " << what << "\n";
  return left.empty() && still.empty() ? 0 : 1;
}
