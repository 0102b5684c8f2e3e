#include "manager/daemon/reconcile/monitor_contenders.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::SnapshotBuilder;

model::ClusterSnapshot hosts(int count) {
  SnapshotBuilder builder;
  for (int i = 1; i <= count; ++i) builder.host("h" + std::to_string(i));
  return builder.build();
}

int contenders(const model::ClusterSnapshot& snapshot, const std::string& type) {
  int n = 0;
  for (const auto& [id, host] : snapshot.hosts) n += contendsForMonitor(snapshot, type, id);
  return n;
}

TEST(MonitorContenders, AFewHostsPerTypeWhateverTheClusterSize) {
  EXPECT_EQ(contenders(hosts(2), "web"), 2);
  EXPECT_EQ(contenders(hosts(3), "web"), 3);
  EXPECT_EQ(contenders(hosts(100), "web"), static_cast<int>(kMonitorContenders));
}

TEST(MonitorContenders, TypesSpreadOverTheHosts) {
  const auto snapshot = hosts(30);
  std::set<std::string> used;
  for (int t = 0; t < 20; ++t) {
    const auto type = "type" + std::to_string(t);
    for (const auto& [id, host] : snapshot.hosts) {
      if (contendsForMonitor(snapshot, type, id)) used.insert(id);
    }
  }
  EXPECT_GT(used.size(), 10u) << "20 types should not all land on the same few hosts";
}

TEST(MonitorContenders, WhenAContenderGoesTheNextHostJoins) {
  auto snapshot = hosts(10);
  std::string gone;
  for (const auto& [id, host] : snapshot.hosts) {
    if (contendsForMonitor(snapshot, "web", id)) gone = id;
  }
  snapshot.hosts.erase(gone);
  EXPECT_EQ(contenders(snapshot, "web"), static_cast<int>(kMonitorContenders));
}

TEST(MonitorContenders, AnUnlistedHostContends) {
  EXPECT_TRUE(contendsForMonitor(hosts(100), "web", "newcomer"));
}

}  // namespace
}  // namespace sm::daemon
