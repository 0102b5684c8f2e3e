// The chaos suite on real hosts: daemon hosts h1..h3 at 127.100.0.11.. and ZooKeeper servers
// zk1..zk3 at 127.100.0.21.., each a network namespace on one bridge, built by the multi-host
// harness (tests/support). The daemons' taps listen on the bridge address, in the test's own
// namespace, so that cutting a daemon's host also cuts it from its tap (and through it from every
// server), silently.
#include <stdexcept>

#include "tests/chaos/chaos_ensemble.hpp"
#include "tests/support/namespaced_zookeeper.hpp"

namespace sm::test::chaos {

namespace {

constexpr int kFirstDaemonOctet = 11;  // h1 -> 127.100.0.11, as in tests/hosts

class NamespacedEnsemble : public ChaosEnsemble {
 public:
  explicit NamespacedEnsemble(const std::vector<std::string>& hostIds) {
    if (auto reason = HostNetwork::unavailableReason(); !reason.empty()) {
      throw std::runtime_error("namespaced hosts unavailable: " + reason);
    }
    network_ = std::make_unique<HostNetwork>();
    int octet = kFirstDaemonOctet;
    for (const auto& id : hostIds) network_->addHost(id, octet++);
    zk_ = std::make_unique<NamespacedZooKeeper>(*network_, 3);
  }
  ~NamespacedEnsemble() override {
    // Servers first (they live in namespaces of the network), then the network: namespaces,
    // links, the bridge and its sysctls.
    zk_.reset();
    network_.reset();
  }

  std::size_t size() const override { return zk_->size(); }
  std::string connectString() const override { return zk_->connectString(); }
  TapEndpoint serverEndpoint(std::size_t index) const override {
    return {zk_->host(index).address, NamespacedZooKeeper::kClientPort};
  }
  std::optional<std::size_t> leader() const override { return zk_->leader(); }
  void stopServer(std::size_t index) override { zk_->server(index).stop(); }
  void startServer(std::size_t index) override {
    auto& server = zk_->server(index);
    server.start();
    if (!server.waitServing(std::chrono::seconds(60))) {
      throw std::runtime_error("zk" + std::to_string(index + 1) + " did not serve again: " +
                               server.lastError());
    }
  }
  bool waitQuorum(std::chrono::milliseconds timeout) const override {
    return zk_->waitQuorum(timeout);
  }
  HostNetwork* network() override { return network_.get(); }
  const NetHost* daemonHost(const std::string& hostId) const override {
    return &network_->host(hostId);
  }
  const NetHost* serverHost(std::size_t index) const override { return &zk_->host(index); }
  std::string tapAddress() const override { return HostNetwork::kBridgeAddress; }

 private:
  std::unique_ptr<HostNetwork> network_;
  std::unique_ptr<NamespacedZooKeeper> zk_;
};

}  // namespace

std::unique_ptr<ChaosEnsemble> makeNamespacedEnsemble(const std::vector<std::string>& hostIds) {
  return std::make_unique<NamespacedEnsemble>(hostIds);
}

}  // namespace sm::test::chaos
