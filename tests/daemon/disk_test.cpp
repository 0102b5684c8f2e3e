// Invariant I6 on the host's disk: a work dir that cannot be written and a full disk are reported
// and retried; the daemon never exits for them, and it converges once the disk is usable again.
#include <sys/mount.h>

#include <fstream>

#include <gtest/gtest.h>

#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonDisk : public DaemonTest {
 protected:
  void TearDown() override {
    DaemonTest::TearDown();  // the daemons stop first: nothing of theirs is open on the mount
    if (!mounted_.empty()) ::umount2(mounted_.c_str(), MNT_DETACH);
  }
  // A tmpfs of `kb` KiB at `dir`; false when this machine does not allow it (not root).
  bool mountSmallDisk(const std::filesystem::path& dir, int kb) {
    std::filesystem::create_directories(dir);
    const auto options = "size=" + std::to_string(kb) + "k";
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) return false;
    mounted_ = dir;
    return true;
  }
  // Writes until the disk is full.
  static void fill(const std::filesystem::path& file) {
    std::ofstream out(file, std::ios::binary);
    const std::string block(4096, 'f');
    while (out.write(block.data(), static_cast<std::streamsize>(block.size())) && out.flush()) {
    }
  }
  // Applies a one-replica Demo whose crash-loop cooldown (which reports the failure) ends soon, and
  // waits until its status mentions `needle`; false (the test failed, saying why) if it never did.
  bool applyDemoAndWaitForStatus(const std::string& needle, DaemonProcess& daemon) {
    DemoType demo;
    demo.replicas = 1;
    demo.crashLoop = "{failures: 3, windowSeconds: 5}";
    apply(demo);
    std::string reason;
    const bool said = waitFor(
        [&] {
          reason = statusReason("Demo");
          return reason.find(needle) != std::string::npos;
        },
        milliseconds(15000), milliseconds(50));
    EXPECT_TRUE(said) << "Demo's status does not mention \"" << needle << "\": \"" << reason
                      << "\"\n"
                      << daemon.logTail(20);
    return said;
  }
  std::string statusReason(const std::string& type) {
    const auto tree = snapshot();
    const auto* view = tree.type(type);
    if (!view || view->logical.empty()) return "";
    const auto& status = view->logical.begin()->second.status;
    if (!status) return "";
    std::string all = status->reason;
    for (const auto& f : status->failures) all += " | " + f.host + ": " + f.message;
    return all;
  }
  std::filesystem::path mounted_;
};

TEST_F(DaemonDisk, UnwritableWorkDirIsReportedAndRetried) {
  // The instances folder cannot be created: a file is in its way (root ignores permissions).
  auto options = daemonOptions("h1");
  std::filesystem::create_directories(options.workDir);
  std::ofstream(options.workDir / "instances") << "in the way";
  auto& h1 = startDaemon(options);
  applyDemoAndWaitForStatus("h1", h1);
  EXPECT_TRUE(h1.running()) << h1.logTail(20);

  std::filesystem::remove(options.workDir / "instances");
  EXPECT_TRUE(waitConverged("Demo", 1, 1, milliseconds(30000)));
}

TEST_F(DaemonDisk, FullDiskIsReportedAndRetried) {
  // The instances' folder (logs, role files) on a small disk; the daemon's own log stays readable.
  auto options = daemonOptions("h1");
  const auto disk = options.workDir / "instances";
  if (!mountSmallDisk(disk, 512)) GTEST_SKIP() << "cannot mount a tmpfs here";
  auto& h1 = startDaemon(options);
  fill(disk / "filler");
  applyDemoAndWaitForStatus("space", h1);
  EXPECT_TRUE(h1.running()) << h1.logTail(20);

  std::filesystem::remove(disk / "filler");
  EXPECT_TRUE(waitConverged("Demo", 1, 1, milliseconds(30000)));
  EXPECT_TRUE(h1.running()) << h1.logTail(20);
}

}  // namespace
}  // namespace sm::test
