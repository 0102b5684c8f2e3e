// examples/bigdata-federation/federation.yaml, applied as it is to three real servicesmgr daemons
// (h1 h2 h3) on a real ZooKeeper server: every type converges with a master per logical service,
// DataServer's replicas sit on distinct hosts, and no instance of a type started before every type
// it depends on had its masters.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/physical_service_data.hpp"
#include "manager/zk/path.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

struct Expected {
  std::string type;
  int services;
  int replicas;
  std::vector<std::string> dependsOn;
};

// What federation.yaml declares; the test fails if the file and this table part ways.
const std::vector<Expected> kFederation = {
    {"TransactionServer", 1, 1, {}},
    {"LoadBalancerServer", 1, 1, {"TransactionServer"}},
    {"MetadataServer", 1, 1, {"TransactionServer"}},
    {"DataServer", 2, 2, {"MetadataServer", "LoadBalancerServer"}},
};

class BigdataFederation : public DaemonTest {
 protected:
  // The file names its program as "sm-demo-service", found on the PATH the daemons inherit.
  static void SetUpTestSuite() {
    DaemonTest::SetUpTestSuite();
    putDemoServiceOnPath();
  }

  // Every logical service of `type` has a master; with its election nodes' ctimes (server clock,
  // ms), the latest of them: the moment from which the type counted as up for dependsOn.
  std::optional<std::int64_t> allMastersSince(const TreeSnapshot& tree, const std::string& type) {
    const auto* info = tree.type(type);
    if (info == nullptr || info->logical.empty()) return std::nullopt;
    std::int64_t since = 0;
    for (const auto& [seq, logical] : info->logical) {
      const auto* entry = logical.masterEntry();
      if (entry == nullptr) return std::nullopt;
      auto stat = session_->exists(zk::childPath(layout().electionDir(logical.id), entry->name));
      if (!stat) return std::nullopt;
      since = std::max(since, stat->ctime);
    }
    return since;
  }

  // The earliest start time (the daemon's clock, ms) of any instance of `type`.
  std::optional<std::int64_t> firstStart(const TreeSnapshot& tree, const std::string& type) {
    std::optional<std::int64_t> first;
    for (const auto& [seq, logical] : tree.type(type)->logical) {
      for (const auto& [uuid, instance] : logical.instances) {
        auto node = session_->get(layout().physicalService({logical.id, uuid}));
        if (!node) continue;
        auto data = config::decodePhysicalServiceData(node->data, "");
        if (!data) continue;
        if (!first || data.value().started < *first) first = data.value().started;
      }
    }
    return first;
  }
};

TEST_F(BigdataFederation, AppliedFileConvergesInDependencyOrder) {
  startDaemons();
  ASSERT_FALSE(HasFailure());
  auto applied = ctl({"apply", "-f", FEDERATION_YAML});
  ASSERT_EQ(applied.exitCode, 0) << applied.out << applied.err;
  for (const auto& e : kFederation) {
    EXPECT_NE(applied.out.find(e.type + ": created"), std::string::npos) << applied.out;
  }

  // Watched from outside while it converges: at no moment does a type have a registered instance
  // while a type it depends on lacks a master.
  std::vector<std::string> violations;
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(30000);
  bool converged = false;
  while (!converged && std::chrono::steady_clock::now() < deadline) {
    const auto tree = snapshot();
    converged = true;
    for (const auto& e : kFederation) {
      const bool distinct = e.replicas > 1;
      if (!convergenceProblem(tree, e.type, e.services, e.replicas, distinct).empty())
        converged = false;
      const auto* type = tree.type(e.type);
      const bool placed = type != nullptr && std::any_of(type->logical.begin(),
                                                         type->logical.end(), [](const auto& l) {
                                                           return !l.second.instances.empty();
                                                         });
      if (!placed) continue;
      for (const auto& dependency : e.dependsOn) {
        if (!allMastersSince(tree, dependency)) {
          violations.push_back(fmt::format("{} has instances while {} lacks a master:\n{}", e.type,
                                           dependency, tree.str()));
        }
      }
    }
    if (!converged) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(violations.empty()) << violations.front();

  // Converged: the fixture's check also compares every role file with the tree.
  for (const auto& e : kFederation) {
    EXPECT_TRUE(waitConverged(e.type, e.services, e.replicas, milliseconds(1000), e.replicas > 1))
        << e.type;
  }
  ASSERT_FALSE(HasFailure()) << stateDump();

  // The order, from the tree itself: every instance of a dependent started at or after the
  // moment its last dependency had all its masters (one machine, so one clock).
  const auto tree = snapshot();
  for (const auto& e : kFederation) {
    const auto started = firstStart(tree, e.type);
    ASSERT_TRUE(started.has_value()) << e.type;
    for (const auto& dependency : e.dependsOn) {
      const auto since = allMastersSince(tree, dependency);
      ASSERT_TRUE(since.has_value()) << dependency;
      EXPECT_GE(*started, *since) << e.type << " started at " << *started << " ms, before "
                                  << dependency << " had its masters (" << *since << " ms)";
      std::cout << fmt::format("{} up at {} ms; {} first started {} ms later\n", dependency,
                               *since, e.type, *started - *since);
    }
  }

  // DataServer: two logical services, each with its master and secondary on different hosts.
  for (const auto& [seq, logical] : tree.type("DataServer")->logical) {
    const auto hosts = logical.hostsOfInstances();
    ASSERT_EQ(hosts.size(), 2u) << logical.key();
    EXPECT_NE(hosts[0], hosts[1]) << logical.key();
    EXPECT_EQ(logical.election.size(), 2u) << logical.key();
  }

  // DataServer is persistent: four identities, each running where its data directory is, and
  // each data directory holds what its process wrote there at its start.
  auto instances = ctl({"get", "instances", "DataServer", "-o", "json"});
  ASSERT_EQ(instances.exitCode, 0) << instances.err;
  const auto identities = nlohmann::json::parse(instances.out);
  ASSERT_EQ(identities.size(), 4u) << instances.out;
  for (const auto& identity : identities) {
    EXPECT_EQ(identity["state"], "running") << identity.dump();
    const std::filesystem::path dataDir = identity["dataDir"].get<std::string>();
    EXPECT_EQ(dataDir, workDir(identity["host"].get<std::string>()) / "data" / "DataServer" /
                           identity["uuid"].get<std::string>());
    EXPECT_TRUE(std::filesystem::exists(dataDir / "starts")) << dataDir;
  }

  // What the README shows: get types says every type has its masters; describe names dependsOn.
  auto types = ctl({"get", "types"});
  ASSERT_EQ(types.exitCode, 0) << types.err;
  std::cout << types.out;
  for (const auto& e : kFederation) {
    const std::string want = fmt::format("{}/{}", e.services, e.services);
    const auto at = types.out.find(e.type + " ");
    ASSERT_NE(at, std::string::npos) << types.out;
    const auto line = types.out.substr(at, types.out.find('\n', at) - at);
    EXPECT_NE(line.find(fmt::format("{}/{}", e.services * e.replicas, e.services * e.replicas)),
              std::string::npos)
        << line;
    EXPECT_NE(line.find(want), std::string::npos) << line;
  }
  auto described = ctl({"describe", "DataServer"});
  ASSERT_EQ(described.exitCode, 0) << described.err;
  EXPECT_NE(described.out.find("dependsOn"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("MetadataServer"), std::string::npos) << described.out;
}

}  // namespace
}  // namespace sm::test
