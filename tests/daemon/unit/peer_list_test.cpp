#include "manager/daemon/reconcile/peer_list.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::SnapshotBuilder;
using testutil::typeWith;
using Strings = std::vector<std::string>;

const config::LogicalServiceId kL0{"web", 0};

config::HostData hostAt(const std::string& address) {
  auto data = testutil::idleHost();
  data.address = address;
  return data;
}

model::ClusterSnapshot twoWorkers(std::vector<std::string> ports = {"api", "http"}) {
  auto type = typeWith(1, 3);
  type.type.spec.ports = std::move(ports);
  auto snap = SnapshotBuilder()
                  .host("h1", hostAt("10.0.0.1"))
                  .host("h2")
                  .type(type)
                  .instance(kL0, "b", "h2")
                  .instance(kL0, "a", "h1")
                  .build();
  SnapshotBuilder::physical(snap, kL0, "a").data->ports = {{"api", 4001}, {"http", 80}};
  SnapshotBuilder::physical(snap, kL0, "b").data->ports = {{"api", 4002}, {"http", 81}};
  return snap;
}

TEST(PeerEndpoints, AddressAndFirstPortOfEveryRunningInstanceSorted) {
  // h2 says no address: its id stands in.
  EXPECT_EQ(peerEndpoints(twoWorkers(), kL0), (Strings{"10.0.0.1:4001", "h2:4002"}));
}

TEST(PeerEndpoints, StartingAndUndecodableInstancesAreNotPeersYet) {
  auto snap = twoWorkers();
  SnapshotBuilder::physical(snap, kL0, "b").data->state = config::PhysicalState::Starting;
  SnapshotBuilder::addInstance(snap, kL0, "c", "h1");
  SnapshotBuilder::physical(snap, kL0, "c").data.reset();
  EXPECT_EQ(peerEndpoints(snap, kL0), (Strings{"10.0.0.1:4001"}));
}

TEST(PeerEndpoints, ATypeWithoutPortsListsAddresses) {
  EXPECT_EQ(peerEndpoints(twoWorkers({}), kL0), (Strings{"10.0.0.1", "h2"}));
}

TEST(PeerEndpoints, NothingForAnUnknownOrUnreadableLogicalService) {
  EXPECT_TRUE(peerEndpoints(twoWorkers(), {"web", 9}).empty());
  EXPECT_TRUE(peerEndpoints(SnapshotBuilder().unreadableType("web").build(), kL0).empty());
}

// A role file's masterPeer carries the master host's address: the one the host published, or its
// id when it published none or is not (yet) in the tree.
TEST(HostAddress, PublishedAddressElseTheHostId) {
  const auto snap = twoWorkers();
  EXPECT_EQ(hostAddress(snap, "h1"), "10.0.0.1");
  EXPECT_EQ(hostAddress(snap, "h2"), "h2");
  EXPECT_EQ(hostAddress(snap, "gone"), "gone");
}

TEST(EndpointsAt, EveryNamedPortAtTheAddress) {
  using Endpoints = std::map<std::string, std::string>;
  EXPECT_EQ(endpointsAt("10.0.0.1", {{"api", 4001}, {"http", 80}}),
            (Endpoints{{"api", "10.0.0.1:4001"}, {"http", "10.0.0.1:80"}}));
  EXPECT_TRUE(endpointsAt("10.0.0.1", {}).empty());
}

}  // namespace
}  // namespace sm::daemon
