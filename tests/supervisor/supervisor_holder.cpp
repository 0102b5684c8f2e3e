// sm-test-supervisor-holder DIR COUNT: supervises COUNT copies of DIR/family.sh (each starts
// grandchildren), writes "<instance pid>..." and "guard <pid>" to DIR/holder.ready once all have
// started, then waits to be killed. Used to prove that nothing survives a SIGKILLed supervisor.
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>

#include "manager/supervisor/supervisor.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: sm-test-supervisor-holder DIR COUNT\n");
    return 2;
  }
  std::string dir = argv[1];
  int count = std::stoi(argv[2]);
  std::mutex mutex;
  std::condition_variable changed;
  int started = 0;
  sm::supervisor::Supervisor supervisor([&](const sm::supervisor::InstanceEvent& event) {
    if (event.kind != sm::supervisor::InstanceEvent::Kind::Started) return;
    std::lock_guard lock(mutex);
    ++started;
    changed.notify_all();
  });
  for (int i = 0; i < count; ++i) {
    sm::supervisor::ProcessSpec spec;
    spec.instanceId = "family" + std::to_string(i);
    spec.argv = {dir + "/family.sh", std::to_string(i)};
    spec.log.dir = dir;
    spec.restart.policy = sm::supervisor::RestartPolicy::Always;
    supervisor.start(spec);
  }
  {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return started >= count; });
  }
  {
    std::ofstream ready(dir + "/holder.ready.tmp");
    for (const auto& status : supervisor.list()) ready << "child " << status.pid << "\n";
    ready << "guard " << supervisor.orphanGuardPid() << "\n";
  }
  std::rename((dir + "/holder.ready.tmp").c_str(), (dir + "/holder.ready").c_str());
  for (;;) pause();
}
