#pragma once
// What the chaos suite runs: a 3-server ensemble (shared by the binary), and per seed a fresh root
// with three `servicesmgr` daemons h1..h3, each behind its own SessionTap, the service types of the
// run applied with the real `servicesctl`. Daemons are children of the test (PR_SET_PDEATHSIG)
// and are stopped by PID; the test is a child subreaper so that processes orphaned by a killed
// daemon come to it and can be found, reaped and, at the end, stopped.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "manager/zk/session.hpp"
#include "tests/chaos/chaos_ensemble.hpp"
#include "tests/chaos/checker.hpp"
#include "tests/chaos/session_tap.hpp"
#include "tests/ctl/ctl_runner.hpp"
#include "tests/daemon/support/daemon_process.hpp"

namespace sm::test::chaos {

struct ClusterOptions {
  std::string zroot;
  std::filesystem::path dir;  // work dirs, YAML files, daemon logs
  std::vector<std::string> hostIds = {"h1", "h2", "h3"};
  std::vector<TypeSpec> types;
  int sessionTimeoutMs = 3000;
};

class ChaosCluster {
 public:
  ChaosCluster(ChaosEnsemble& ensemble, ClusterOptions options);
  ~ChaosCluster();  // heals every cut, stops every daemon (SIGCONT, SIGTERM, SIGKILL after a grace) by PID
  ChaosCluster(const ChaosCluster&) = delete;
  ChaosCluster& operator=(const ChaosCluster&) = delete;

  ChaosEnsemble& ensemble() { return ensemble_; }
  const ClusterOptions& options() const { return options_; }
  config::Layout layout() const { return config::Layout(options_.zroot); }
  std::chrono::milliseconds sessionTimeout() const {
    return std::chrono::milliseconds(options_.sessionTimeoutMs);
  }
  zk::Session& admin() { return *admin_; }
  std::shared_ptr<zk::Session> connect();  // a new session straight to the ensemble

  // Starts every daemon and waits until each registered its host (false and `error` if not).
  bool startDaemons(std::string& error);
  bool applyTypes(std::string& error, bool force = false);
  std::string typesYaml() const;

  std::vector<HostState> hostStates();
  DaemonProcess& daemon(const std::string& hostId);
  // Daemons that exited although the suite did not stop them (every fault heals before it ends):
  // "h1 exited with 0", one per host.
  std::vector<std::string> exitedDaemons();
  SessionTap& tap(const std::string& hostId) { return *taps_.at(hostId); }
  // Starts the daemon of a host again (after it was killed) and waits until it registered.
  bool restartDaemon(const std::string& hostId, std::string& error);
  void setFrozen(const std::string& hostId, bool frozen);
  // Waits until hosts/<id> is gone or belongs to another session than `session`.
  bool waitHostSessionGone(const std::string& hostId, std::int64_t session,
                           std::chrono::milliseconds timeout);

  CtlResult ctl(const std::vector<std::string>& args);
  // Managed processes (and orphan guards) whose parent is now the test (their daemon died), alive
  // or not.
  static std::vector<pid_t> strayChildren();
  // Reaps processes orphaned to us that have exited (zombies of managed processes).
  void reapStrays();
  // The last lines of every daemon's log (every start of it), for failure reports.
  std::string logTails(size_t lines);

 private:
  DaemonOptions daemonOptions(const std::string& hostId) const;
  bool waitRegistered(const std::string& hostId, std::string& error);

  ChaosEnsemble& ensemble_;
  ClusterOptions options_;
  std::shared_ptr<zk::Session> admin_;
  std::map<std::string, std::unique_ptr<SessionTap>> taps_;
  std::mutex mutex_;  // daemons_ and frozen_, read by the checker's thread
  std::vector<std::unique_ptr<DaemonProcess>> daemons_;  // every start; the last per host is live
  std::map<std::string, bool> frozen_;
  int files_ = 0;
};

}  // namespace sm::test::chaos
