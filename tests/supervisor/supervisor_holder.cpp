// sm-test-supervisor-holder DIR COUNT [--replace-guard]: supervises COUNT copies of DIR/family.sh
// (each starts grandchildren), writes "child <pid>" lines and "guard <pid>" to DIR/holder.ready
// once all have started, then waits to be killed. Used to prove that nothing survives a SIGKILLed
// supervisor. With --replace-guard it first SIGKILLs its own orphan guard and waits for the
// supervisor to start a new one, which must then do the job.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>

#include "manager/supervisor/supervisor.hpp"

int main(int argc, char** argv) {
  bool replaceGuard = argc == 4 && std::string(argv[3]) == "--replace-guard";
  if (argc != 3 && !replaceGuard) {
    std::fprintf(stderr, "usage: sm-test-supervisor-holder DIR COUNT [--replace-guard]\n");
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
  if (replaceGuard) {
    pid_t first = supervisor.orphanGuardPid();
    kill(first, SIGKILL);
    while (supervisor.orphanGuardPid() == first)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  {
    std::ofstream ready(dir + "/holder.ready.tmp");
    for (const auto& status : supervisor.list()) ready << "child " << status.pid << "\n";
    ready << "guard " << supervisor.orphanGuardPid() << "\n";
  }
  std::rename((dir + "/holder.ready.tmp").c_str(), (dir + "/holder.ready").c_str());
  for (;;) pause();
}
