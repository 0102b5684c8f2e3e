#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "manager/supervisor/instance_event.hpp"
#include "manager/supervisor/process_spec.hpp"
#include "manager/supervisor/supervisor.hpp"
#include "tests/support/wait_for.hpp"

// Shared by the supervisor's tests: waiting on conditions (never sleeping as synchronisation),
// temporary directories, scripts, and a record of the supervisor's events.
namespace sm::supervisor::testing {

using namespace std::chrono_literals;

using sm::test::waitFor;

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes an executable /bin/sh script and returns its path.
std::string writeScript(const TempDir& dir, const std::string& name, const std::string& body);
std::string readFile(const std::string& path);
std::vector<std::string> readLines(const std::string& path);
// Gone: no such process, or a zombie (dead, only waiting to be reaped by whoever inherited it).
bool processGone(pid_t pid);
// Connects to 127.0.0.1:port, sends `request` and returns everything read until the peer closes.
std::string askLoopback(int port, const std::string& request);

// A spec that runs `argv` with its logs in `dir`, restart policy never, and short timeouts.
ProcessSpec testSpec(const std::string& instanceId, const TempDir& dir,
                     std::vector<std::string> argv);

// Records every event; the handler it gives is safe to call from the supervisor's thread.
class EventRecorder {
 public:
  std::function<void(const InstanceEvent&)> handler();
  std::vector<InstanceEvent> events() const;
  std::vector<InstanceEvent> events(InstanceEvent::Kind kind,
                                    const std::string& instanceId = {}) const;
  int count(InstanceEvent::Kind kind, const std::string& instanceId = {}) const;
  // Waits until at least `n` events of `kind` (for `instanceId`, if given) were seen; returns the
  // n-th.
  std::optional<InstanceEvent> waitFor(InstanceEvent::Kind kind, const std::string& instanceId,
                                       int n = 1, std::chrono::milliseconds timeout = 10s) const;

 private:
  mutable std::mutex mutex_;
  std::vector<InstanceEvent> events_;
};

// One supervisor per test recording its events, and a temporary directory for logs and scripts.
// Members are destroyed in reverse: the supervisor stops everything before the directory goes.
class SupervisedTest : public ::testing::Test {
 protected:
  TempDir dir;
  EventRecorder recorder;
  Supervisor supervisor{recorder.handler()};
};

std::string demoServicePath();
std::string holderPath();

}  // namespace sm::supervisor::testing
