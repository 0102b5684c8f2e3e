#pragma once
// The ZooKeeper ensemble and the hosts the chaos suite runs its cluster on, in one of two shapes:
//   loopback   three servers on 127.0.0.1 of the test's own network stack, every daemon there too
//              (the default);
//   namespaced every daemon host (h1..h3) and every server (zk1..zk3) a network namespace on one
//              bridge (tests/support/host_network.hpp, namespaced_zookeeper.hpp): the faults can
//              then cut hosts and servers silently (SM_CHAOS_HOSTS=netns, scripts/chaos --hosts
//              netns).
// The suite only sees this interface; the faults that cut links ask for network() and need the
// namespaced shape.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/chaos/session_tap.hpp"
#include "tests/support/host_network.hpp"

namespace sm::test::chaos {

class ChaosEnsemble {
 public:
  virtual ~ChaosEnsemble() = default;

  virtual std::size_t size() const = 0;
  // For the suite's own sessions and servicesctl, from the test's namespace.
  virtual std::string connectString() const = 0;
  // Where server `index` answers clients, as a daemon's tap must reach it.
  virtual TapEndpoint serverEndpoint(std::size_t index) const = 0;
  virtual std::optional<std::size_t> leader() const = 0;
  virtual void stopServer(std::size_t index) = 0;
  // Starts a stopped server again and waits until it serves; throws if it does not.
  virtual void startServer(std::size_t index) = 0;
  virtual bool waitQuorum(std::chrono::milliseconds timeout) const = 0;

  // The host network when namespaced, else nullptr.
  virtual HostNetwork* network() { return nullptr; }
  // The namespaced host a daemon runs on (nullptr when loopback).
  virtual const NetHost* daemonHost(const std::string& hostId) const = 0;
  // The namespaced host of server `index` (nullptr when loopback).
  virtual const NetHost* serverHost(std::size_t index) const = 0;
  // Where a daemon's tap listens: reachable by the daemons.
  virtual std::string tapAddress() const = 0;
};

// Three servers on 127.0.0.1 (zkserver::LocalEnsemble), as the suite always ran.
std::unique_ptr<ChaosEnsemble> makeLoopbackEnsemble();
// Hosts h1..h3 and ZooKeeper servers zk1..zk3, each its own namespace; throws (with the reason)
// where namespaces cannot be made. Everything is removed when the object goes.
std::unique_ptr<ChaosEnsemble> makeNamespacedEnsemble(const std::vector<std::string>& hostIds);

}  // namespace sm::test::chaos
