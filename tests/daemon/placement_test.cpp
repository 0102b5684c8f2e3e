// servicesmgr daemons place instances: convergence with one master per logical service and role
// files that agree with the tree, every constraint kind, dependsOn, describe, and a host id that is
// already live.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/physical_service_data.hpp"
#include "manager/zk/types.hpp"
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

// Acceptance 1 and 8: 2 logical services x 3 replicas with maxPerHost 1 on h1 h2 h3 within 10 s,
// each spread over the three hosts, exactly one master each, role files agreeing with the tree;
// describe names every instance's host and the master.
TEST_F(DaemonPlacement, TwoLogicalServicesOfThreeConvergeWithOneMasterEach) {
  startDaemons();
  ASSERT_FALSE(HasFailure());
  DemoType demo;
  demo.services = 2;
  demo.replicas = 3;
  demo.constraints = "    maxPerHost: 1\n";  // per logical service, as the daemon counts it
  const auto start = std::chrono::steady_clock::now();
  apply(demo);
  ASSERT_TRUE(waitConverged("Demo", 2, 3, milliseconds(10000), /*distinctHosts=*/true));
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
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

  // Full logical services need no create lock: its holder deletes it once the service is full.
  std::string createLocks;
  EXPECT_TRUE(waitFor(
      [&] {
        auto locks = session_->children(layout().createPhysicalServiceLocksDir());
        createLocks.clear();
        for (const auto& name : locks.value_or(std::vector<std::string>{})) {
          createLocks += " " + name;
        }
        return createLocks.empty();
      },
      milliseconds(5000), milliseconds(20)))
      << "create locks left although every logical service is full:" << createLocks;
  // Placed without trouble: nothing to say, so no status node (the listings count the replicas).
  const auto full = snapshot();
  for (const auto& [seq, logical] : full.type("Demo")->logical) {
    EXPECT_FALSE(logical.status) << logical.key() << " has a status node";
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
        << header << "\n"
        << described.out;
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

// The monitor holder names each host once per scale: it sees what it wrote to a host's node of
// names and does not name the host again and again while the replicas are placed.
TEST_F(DaemonPlacement, AScaleUpSetsEachHostsNodeOfNamesOnce) {
  startDaemons();
  ASSERT_FALSE(HasFailure());
  DemoType demo;
  demo.services = 2;
  demo.replicas = 3;
  demo.constraints = "    maxPerHost: 1\n";
  apply(demo);
  ASSERT_TRUE(waitConverged("Demo", 2, 3, milliseconds(10000), /*distinctHosts=*/true));
  auto versions = [&] {
    std::map<std::string, std::int32_t> out;
    session_->sync(layout().assignmentsDir());
    for (const auto* host : {"h1", "h2", "h3"}) {
      const auto node = session_->get(layout().assignments(host, "Demo"));
      out[host] = node ? node->stat.version : -1;
    }
    return out;
  };
  const auto before = versions();
  for (const auto& [host, version] : before) {
    EXPECT_GE(version, 0) << host << "'s node of names, spent, stays";
  }

  demo.services = 4;
  apply(demo);
  ASSERT_TRUE(waitConverged("Demo", 4, 3, milliseconds(10000), /*distinctHosts=*/true));
  // Named in one pass, or two if the holder saw the new logical services one by one.
  for (const auto& [host, version] : versions()) {
    EXPECT_GE(version - before.at(host), 1) << host << " was named for the new services";
    EXPECT_LE(version - before.at(host), 2)
        << host << "'s node of names was written again and again";
  }
}

// Types applied before any daemon runs are picked up when the daemons start.
TEST_F(DaemonPlacement, TypesAppliedBeforeTheDaemonsStartConverge) {
  DemoType demo;
  demo.services = 2;
  demo.replicas = 2;
  apply(demo);
  startDaemons();
  ASSERT_FALSE(HasFailure());
  EXPECT_TRUE(waitConverged("Demo", 2, 2, milliseconds(15000)));
}

// Invariant I7: with no constraints, placement spreads load: per-host counts differ by at most 1,
// and the replicas of one logical service go to different hosts.
TEST_F(DaemonPlacement, WithoutConstraintsPlacementSpreadsEvenly) {
  startDaemons();
  ASSERT_FALSE(HasFailure());
  DemoType spread;
  spread.name = "Spread";
  spread.services = 3;
  spread.replicas = 2;
  apply(spread);
  ASSERT_TRUE(waitConverged("Spread", 3, 2, milliseconds(15000)));
  const auto tree = snapshot();
  std::map<std::string, int> perHost = {{"h1", 0}, {"h2", 0}, {"h3", 0}};
  for (const auto& [key, i] : tree.allInstances()) ++perHost[i.host];
  int least = 1000, most = 0;
  for (const auto& [host, count] : perHost) {
    least = std::min(least, count);
    most = std::max(most, count);
  }
  EXPECT_LE(most - least, 1) << tree.str();
  for (const auto& [seq, logical] : tree.type("Spread")->logical) {
    const auto hostsUsed = logical.hostsOfInstances();
    EXPECT_EQ(std::set<std::string>(hostsUsed.begin(), hostsUsed.end()).size(), hostsUsed.size())
        << logical.key() << " has two replicas on one host\n"
        << tree.str();
  }
}

// The role file contract (docs/supervisor.md): every instance's file carries the current master's
// epoch and a masterPeer naming the master (physical uuid, host, ports, its host's address and the
// endpoints there), so that secondaries can find it. Checked after a failover too, when the epoch
// is no longer 0.
TEST_F(DaemonPlacement, RoleFilesCarryTheMastersEpochAndPeer) {
  ASSERT_TRUE(startSpreadDemo());
  const auto first = snapshot();
  ASSERT_EQ(::kill(static_cast<pid_t>(first.type("Demo")->logical.begin()->second.master()->pid),
                   SIGKILL),
            0);
  ASSERT_TRUE(waitFor(
      [&] {
        const auto tree = snapshot();
        return convergenceProblem(tree, "Demo", 1, 3, true).empty() &&
               tree.type("Demo")->logical.begin()->second.masterEntry()->sequence > 0;
      },
      milliseconds(15000), milliseconds(20)))
      << stateDump();
  std::string problem;
  const bool agreed = waitFor(
      [&] {
        const auto tree = snapshot();
        const auto& logical = tree.type("Demo")->logical.begin()->second;
        const auto* master = logical.master();
        if (master == nullptr) return false;
        for (const auto& [uuid, i] : logical.instances) {
          auto role = readRole(i.host, uuid);
          if (!role) return false;
          if (role->epoch != logical.masterEntry()->sequence) {
            problem = fmt::format("{} on {} says epoch {}, the master's is {}", uuid, i.host,
                                  role->epoch, logical.masterEntry()->sequence);
            return false;
          }
          if (role->masterPeerJson.find(master->uuid) == std::string::npos ||
              role->masterPeerJson.find("\"" + master->host + "\"") == std::string::npos) {
            problem = fmt::format("{} on {}: masterPeer {} does not name the master {} on {}", uuid,
                                  i.host, role->masterPeerJson, master->uuid, master->host);
            return false;
          }
          // Where to connect: the address the master's host publishes, and its port there.
          const auto host = tree.hosts.find(master->host);
          const config::HostData* hostData =
              host != tree.hosts.end() && host->second ? &*host->second : nullptr;
          const auto endpoint =
              hostData ? fmt::format("{}:{}", hostData->address, master->ports.at("http")) : "";
          if (!hostData || role->masterAddress != hostData->address ||
              services::masterEndpoint(*role, "http") != endpoint) {
            problem = fmt::format(
                "{} on {}: masterPeer {} does not give the address and endpoint "
                "{} of the master's host",
                uuid, i.host, role->masterPeerJson, endpoint);
            return false;
          }
        }
        return true;
      },
      milliseconds(5000), milliseconds(20));
  EXPECT_TRUE(agreed) << problem << "\n" << stateDump();
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
                violations.push_back(
                    fmt::format("{} instance {} on {}", logical.key(), uuid, i.host));
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

// servicesctl cordon: a cordoned host gets no new instance, and the type's status says so; what
// runs there keeps running; uncordoned, it takes the replica.
TEST_F(DaemonPlacement, ACordonedHostTakesNoNewInstanceUntilUncordoned) {
  DemoType demo;
  demo.replicas = 2;
  demo.constraints = "    maxPerHost: 1\n";
  startDaemons({"h1", "h2"});
  apply(demo);
  ASSERT_TRUE(waitConverged("Demo", 1, 2));
  startDaemon("h3");
  const auto before = snapshot().type("Demo")->logical.begin()->second.instances;
  for (const std::string host : {"h1", "h3"}) {
    const auto r = ctl({"cordon", host, "--reason", "maintenance"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  demo.replicas = 3;
  apply(demo);
  std::string problem;
  const bool said = waitFor(
      [&] {
        const auto tree = snapshot();
        const auto& logical = tree.type("Demo")->logical.begin()->second;
        for (const auto& [uuid, i] : logical.instances) {
          if (i.host == "h3") {
            problem = "an instance was placed on the cordoned h3";
            return true;
          }
        }
        if (!logical.status) return false;
        for (const auto& host : logical.status->hosts) {
          if (host.host == "h3" && host.reason == "cordoned: maintenance") {
            problem.clear();
            return logical.status->registered == 2;
          }
        }
        return false;
      },
      milliseconds(15000), milliseconds(20));
  ASSERT_TRUE(said && problem.empty()) << (problem.empty() ? "no status names the cordon" : problem)
                                       << "\n"
                                       << stateDump();
  // What ran on the cordoned h1 still runs.
  for (const auto& [uuid, instance] : before) {
    if (instance.host != "h1") continue;
    const auto now = snapshot().type("Demo")->logical.begin()->second.instances;
    ASSERT_TRUE(now.contains(uuid)) << stateDump();
    EXPECT_EQ(now.at(uuid).pid, instance.pid);
  }

  ASSERT_EQ(ctl({"uncordon", "h3"}).exitCode, 0);
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), /*distinctHosts=*/true));
  EXPECT_EQ(ctl({"uncordon", "h1"}).exitCode, 0);
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

  // The status must come to say why (a first status may be written before the constraints are
  // evaluated), and no instance of Dependent may run meanwhile.
  std::string reason;
  bool placed = false;
  auto explains = [](const std::string& text) {
    return text.find("Base") != std::string::npos || text.find("depend") != std::string::npos;
  };
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
          if (!explains(reason)) return false;
        }
        return true;
      },
      milliseconds(10000), milliseconds(20));
  EXPECT_TRUE(explained) << "Dependent's status does not say it waits for Base; last: \"" << reason
                         << "\"\n"
                         << stateDump();
  EXPECT_FALSE(placed) << stateDump();
  EXPECT_EQ(snapshot().type("Dependent")->logical.begin()->second.instances.size(), 0u)
      << stateDump();
  std::cout << "Dependent before Base: " << reason << "\n";

  // Base exists but can run nowhere, so it has no master: Dependent still waits, and says so.
  DemoType base;
  base.name = "Base";
  base.replicas = 2;
  base.constraints = "    allowHosts: [\"nowhere\"]\n";
  const auto appliedAt =
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  apply(base);
  const bool stillExplained = waitFor(
      [&] {
        const auto tree = snapshot();
        const auto* b = tree.type("Base");
        const auto* d = tree.type("Dependent");
        if (b == nullptr || b->logical.empty() || d == nullptr) return false;
        const auto& baseLogical = b->logical.begin()->second;
        if (!baseLogical.status || baseLogical.status->reason.empty()) return false;
        for (const auto& [seq, logical] : d->logical) {
          if (!logical.instances.empty()) placed = true;
          if (!logical.status || logical.status->updated < appliedAt) return false;
          reason = logical.status->reason;
          for (const auto& h : logical.status->hosts) reason += " | " + h.host + ": " + h.reason;
          if (!explains(reason)) return false;
        }
        return true;
      },
      milliseconds(10000), milliseconds(20));
  EXPECT_TRUE(stillExplained)
      << "with Base present but without a master, Dependent's status was not rewritten to say why; "
         "last: \""
      << reason << "\"\n"
      << stateDump();
  EXPECT_FALSE(placed) << "Dependent placed while Base has no master\n" << stateDump();
  std::cout << "Dependent while Base has no master: " << reason << "\n";

  base.constraints = "";
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

// Invariant I6: garbage written into the tree by another client (a type, a host) and a type whose
// program does not exist are reported and skipped; the daemons keep running and the good type
// converges.
TEST_F(DaemonPlacement, GarbageAndBrokenTypesDoNotHurtTheOthers) {
  startDaemons();
  ASSERT_FALSE(HasFailure());
  DemoType broken;
  broken.name = "Broken";
  broken.replicas = 1;
  std::string brokenYaml = broken.yaml();
  const std::string demoPath = SM_DEMO_SERVICE;
  brokenYaml.replace(brokenYaml.find(demoPath), demoPath.size(), "/nonexistent/sm-no-such-binary");
  apply(brokenYaml);
  session_->create(layout().serviceType("Garbage"), "{this is not json");
  session_->create(layout().host("bogus"), "\x01\x02garbage", zk::CreateMode::Ephemeral);
  DemoType demo;
  demo.replicas = 3;
  apply(demo);
  EXPECT_TRUE(waitConverged("Demo", 1, 3, milliseconds(15000)));
  std::string brokenStatus;
  EXPECT_TRUE(waitFor(
      [&] {
        const auto tree = snapshot();
        const auto* type = tree.type("Broken");
        if (type == nullptr || type->logical.empty()) return false;
        const auto& status = type->logical.begin()->second.status;
        if (!status) return false;
        brokenStatus = status->reason;
        for (const auto& f : status->failures) brokenStatus += " | " + f.host + ": " + f.message;
        return !status->failures.empty();
      },
      milliseconds(15000), milliseconds(50)))
      << "the missing program is not reported in Broken's status: \"" << brokenStatus << "\"\n"
      << stateDump();
  std::cout << "Broken status: " << brokenStatus << "\n";
  for (const std::string host : {"h1", "h2", "h3"}) {
    EXPECT_TRUE(daemon(host).running())
        << host << " exited with " << daemon(host).exitCode().value_or(-1) << "\n"
        << daemon(host).logTail(30);
  }
  for (const auto& [key, i] : snapshot().allInstances()) {
    EXPECT_NE(i.host, "bogus") << key << " placed on the garbage host";
  }
}

// The harness itself: the sampler reports two live instances of one logical service whose role
// files both say master, and ignores one whose process is gone.
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
