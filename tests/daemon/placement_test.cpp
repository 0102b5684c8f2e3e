// servicesmgr daemons place instances: convergence with one master per logical service and role
// files that agree with the tree, every constraint kind, dependsOn, describe, and a host id that is
// already live.
#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/physical_service_data.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonPlacement : public DaemonTest {};

// The line of `text` that contains `needle`, "" if none.
std::string lineWith(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = text.rfind('\n', at);
  const size_t end = text.find('\n', at);
  return text.substr(begin == std::string::npos ? 0 : begin + 1,
                     end == std::string::npos ? std::string::npos
                                              : end - (begin == std::string::npos ? 0 : begin + 1));
}

std::string trimLeft(const std::string& s) {
  const size_t first = s.find_first_not_of(' ');
  return first == std::string::npos ? "" : s.substr(first);
}

// Acceptance 1 and 8: 2 logical services x 3 replicas on h1 h2 h3 within 10 s, each spread over
// the three hosts, exactly one master each, role files agreeing with the tree; describe names every
// instance's host and the master.
TEST_F(DaemonPlacement, TwoLogicalServicesOfThreeConvergeWithOneMasterEach) {
  startDaemons();
  ASSERT_FALSE(HasFailure());
  DemoType demo;
  demo.services = 2;
  demo.replicas = 3;
  const auto start = std::chrono::steady_clock::now();
  apply(demo);
  ASSERT_TRUE(waitConverged("Demo", 2, 3, milliseconds(10000), /*distinctHosts=*/true));
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                             start);
  std::cout << "converged 2 x 3 in " << took.count() << " ms\n";

  const auto tree = snapshot();
  const auto* type = tree.type("Demo");
  ASSERT_NE(type, nullptr);
  std::set<long long> pids;
  for (const auto& [seq, logical] : type->logical) {
    ASSERT_NE(logical.master(), nullptr) << tree.str();
    int masters = 0;
    for (const auto& [uuid, instance] : logical.instances) {
      EXPECT_TRUE(pidAlive(static_cast<pid_t>(instance.pid)))
          << uuid << " pid " << instance.pid << " in the tree but not running";
      EXPECT_TRUE(pids.insert(instance.pid).second) << "pid " << instance.pid << " twice";
      auto role = readRole(instance.host, uuid);
      ASSERT_TRUE(role.has_value());
      if (services::effectiveRole(*role) == services::Role::Master) ++masters;
    }
    EXPECT_EQ(masters, 1) << logical.key();
  }

  // describe: every instance's line names its host and its role; the logical line names the master.
  auto described = ctl({"describe", "Demo"});
  ASSERT_EQ(described.exitCode, 0) << described.out << described.err;
  const auto after = snapshot();
  ASSERT_EQ(convergenceProblem(after, "Demo", 2, 3), "") << "changed while describing";
  for (const auto& [seq, logical] : after.type("Demo")->logical) {
    const auto* master = logical.master();
    ASSERT_NE(master, nullptr);
    const std::string header = lineWith(described.out, config::Layout::logicalServiceName(seq));
    EXPECT_NE(header.find(fmt::format("master {}/{}", master->host, master->pid)),
              std::string::npos)
        << header << "\n" << described.out;
    EXPECT_NE(header.find(fmt::format("epoch {}", logical.masterEntry()->sequence)),
              std::string::npos)
        << header;
    for (const auto& [uuid, instance] : logical.instances) {
      const std::string line = trimLeft(lineWith(described.out, uuid));
      ASSERT_FALSE(line.empty()) << "instance " << uuid << " missing:\n" << described.out;
      EXPECT_NE(line.find(" " + instance.host + " "), std::string::npos) << line;
      EXPECT_NE(line.find(" " + std::to_string(instance.pid) + " "), std::string::npos) << line;
      const std::string role = uuid == master->uuid ? "master " : "secondary ";
      EXPECT_TRUE(line.starts_with(role)) << "want " << role << "first: " << line;
    }
  }
}

// Acceptance 4: each constraint kind keeps instances off the hosts that fail it.
TEST_F(DaemonPlacement, EveryConstraintKindKeepsInstancesOffHostsThatFailIt) {
  auto h1 = daemonOptions("h1");
  h1.labels = {{"zone", "a"}};
  h1.freeMemoryMb = 2000;
  h1.loadAverage = 0.5;
  auto h2 = daemonOptions("h2");
  h2.labels = {{"zone", "b"}};
  h2.freeMemoryMb = 100;
  h2.loadAverage = 9.0;
  auto h3 = daemonOptions("h3");
  h3.labels = {{"zone", "a"}};
  h3.freeMemoryMb = 4000;
  h3.loadAverage = 0.1;
  for (const auto& o : {h1, h2, h3}) startDaemon(o);
  ASSERT_FALSE(HasFailure());

  struct Case {
    DemoType type;
    std::string forbidden;  // the host that fails the constraint
  };
  std::vector<Case> cases(5);
  cases[0].type.name = "Allow";
  cases[0].type.constraints = "    allowHosts: [\"h1\", \"h[2]\"]\n";
  cases[0].forbidden = "h3";
  cases[1].type.name = "Deny";
  cases[1].type.constraints = "    denyHosts: [\"h1\"]\n";
  cases[1].forbidden = "h1";
  cases[2].type.name = "Label";
  cases[2].type.constraints = "    hostLabels: {zone: a}\n";
  cases[2].forbidden = "h2";
  cases[3].type.name = "Memory";
  cases[3].type.constraints = "    minFreeMemoryMB: 1000\n";
  cases[3].forbidden = "h2";
  cases[4].type.name = "Load";
  cases[4].type.constraints = "    maxLoadAverage: 5.0\n";
  cases[4].forbidden = "h2";
  DemoType perHost;
  perHost.name = "PerHost";
  perHost.replicas = 4;
  perHost.constraints = "    maxPerHost: 1\n";

  std::string file;
  for (auto& c : cases) {
    c.type.replicas = 3;
    file += c.type.yaml() + "---\n";
  }
  file += perHost.yaml();
  apply(file);

  // Converged: 3 running instances with a master for each constrained type, 3 (of 4 wanted) for
  // PerHost; no instance may ever be seen on a forbidden host meanwhile.
  std::vector<std::string> violations;
  std::string problem;
  const bool converged = waitFor(
      [&] {
        const auto tree = snapshot();
        for (const auto& c : cases) {
          const auto* type = tree.type(c.type.name);
          if (type == nullptr) continue;
          for (const auto& [seq, logical] : type->logical) {
            for (const auto& [uuid, i] : logical.instances) {
              if (i.host == c.forbidden) {
                violations.push_back(fmt::format("{} instance {} on {}", logical.key(), uuid,
                                                 i.host));
              }
            }
          }
        }
        if (const auto* type = tree.type("PerHost")) {
          for (const auto& [seq, logical] : type->logical) {
            std::multiset<std::string> hostsUsed;
            for (const auto& [uuid, i] : logical.instances) hostsUsed.insert(i.host);
            for (const auto& h : hostsUsed) {
              if (hostsUsed.count(h) > 1) violations.push_back("PerHost: two instances on " + h);
            }
          }
        }
        for (const auto& c : cases) {
          problem = convergenceProblem(tree, c.type.name, 1, 3);
          if (!problem.empty()) return false;
        }
        problem = convergenceProblem(tree, "PerHost", 1, 3, /*distinctHosts=*/true);
        if (!problem.empty()) return false;
        const auto& logical = tree.type("PerHost")->logical.begin()->second;
        if (!logical.status || logical.status->registered != 3 || logical.status->wanted != 4 ||
            logical.status->reason.empty()) {
          problem = "PerHost status is not \"3 of 4\" with a reason yet";
          return false;
        }
        return true;
      },
      milliseconds(30000), milliseconds(50));
  EXPECT_TRUE(converged) << problem << "\n" << stateDump();
  EXPECT_TRUE(violations.empty()) << "instances on hosts that fail a constraint:\n"
                                  << fmt::format("{}", fmt::join(violations, "\n"));
  const auto tree = snapshot();
  if (const auto* type = tree.type("PerHost"); type && !type->logical.empty()) {
    const auto& status = type->logical.begin()->second.status;
    ASSERT_TRUE(status.has_value());
    std::cout << "PerHost status: " << status->reason << "\n";
    EXPECT_FALSE(status->hosts.empty()) << "no reason per host in PerHost's status";
  }
}

// Acceptance 4 (dependsOn): a type that depends on another is not placed until the other has a
// master, and its status says why; then it comes up.
TEST_F(DaemonPlacement, DependsOnWaitsForAMasterOfTheDependency) {
  startDaemons();
  ASSERT_FALSE(HasFailure());
  DemoType dependent;
  dependent.name = "Dependent";
  dependent.replicas = 2;
  dependent.constraints = "    dependsOn: [Base]\n";
  apply(dependent);

  std::string reason;
  bool placed = false;
  const bool explained = waitFor(
      [&] {
        const auto tree = snapshot();
        const auto* type = tree.type("Dependent");
        if (type == nullptr || type->logical.empty()) return false;
        for (const auto& [seq, logical] : type->logical) {
          if (!logical.instances.empty()) placed = true;
          if (!logical.status || logical.status->reason.empty()) return false;
          reason = logical.status->reason;
          for (const auto& h : logical.status->hosts) reason += " | " + h.host + ": " + h.reason;
        }
        return true;
      },
      milliseconds(10000), milliseconds(20));
  ASSERT_TRUE(explained) << "Dependent has no status with a reason:\n" << stateDump();
  EXPECT_FALSE(placed) << stateDump();
  EXPECT_EQ(snapshot().type("Dependent")->logical.begin()->second.instances.size(), 0u)
      << stateDump();
  std::cout << "Dependent before Base: " << reason << "\n";
  EXPECT_TRUE(reason.find("Base") != std::string::npos ||
              reason.find("depend") != std::string::npos)
      << "the status does not say it waits for Base: " << reason;

  DemoType base;
  base.name = "Base";
  base.replicas = 2;
  apply(base);
  EXPECT_TRUE(waitConverged("Base", 1, 2, milliseconds(15000)));
  EXPECT_TRUE(waitConverged("Dependent", 1, 2, milliseconds(15000)));
}

// A second daemon with a host id that is already live exits 1 and says so; the first is untouched.
TEST_F(DaemonPlacement, SecondDaemonWithALiveHostIdExitsOne) {
  DaemonProcess& first = startDaemon("h1");
  ASSERT_FALSE(HasFailure());
  const auto owner = session_->exists(layout().host("h1"))->ephemeralOwner;
  auto options = daemonOptions("h1");
  options.workDir = testDir_ / "h1-duplicate";
  DaemonProcess& duplicate = startDaemon(options, /*waitReady=*/false);
  const auto code = duplicate.waitExit(milliseconds(15000));
  ASSERT_TRUE(code.has_value()) << "the duplicate still runs after 15 s:\n" << duplicate.log();
  EXPECT_EQ(*code, 1) << duplicate.log();
  EXPECT_NE(duplicate.log().find("already live"), std::string::npos) << duplicate.log();
  EXPECT_TRUE(first.running());
  auto stat = session_->exists(layout().host("h1"));
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->ephemeralOwner, owner);
}

// The harness itself: the sampler reports two live instances of one logical service whose role files
// both say master, and ignores one whose process is gone.
class DaemonHarness : public DaemonTest {};

TEST_F(DaemonHarness, SamplerSeesTwoMastersAndIgnoresDeadProcesses) {
  const config::LogicalServiceId id{"Fake", 0};
  const std::string live1 = "aaaaaaaa-0000-4000-8000-000000000001";
  const std::string live2 = "aaaaaaaa-0000-4000-8000-000000000002";
  const std::string dead = "aaaaaaaa-0000-4000-8000-000000000003";
  session_->ensurePath(layout().physicalServicesDir(id));
  auto registerInstance = [&](const std::string& uuid, long long pid) {
    config::PhysicalServiceData data;
    data.host = "h1";
    data.pid = pid;
    session_->create(layout().physicalService({id, uuid}), config::encodePhysicalServiceData(data));
    std::filesystem::create_directories(workDir("h1") / "instances");
    writeFile(roleFile("h1", uuid),
              fmt::format("{{\"role\":\"master\",\"epoch\":{},\"leaseUntilMonoNs\":{},"
                          "\"masterPeer\":{{}}}}\n",
                          pid, services::monotonicNowNs() + 60'000'000'000ULL));
  };
  registerInstance(live1, ::getpid());
  registerInstance(dead, 999'999'999);  // no such process
  DaemonOptions h1 = daemonOptions("h1");
  {
    MasterSampler sampler(connect(), layout(), {h1.workDir});
    EXPECT_TRUE(waitFor([&] { return sampler.samples() > 20; }, milliseconds(5000)));
    EXPECT_TRUE(sampler.violations().empty()) << sampler.report();
    registerInstance(live2, parentPid(::getpid()));
    EXPECT_TRUE(waitFor([&] { return !sampler.violations().empty(); }, milliseconds(5000)))
        << sampler.report();
  }
}

}  // namespace
}  // namespace sm::test
