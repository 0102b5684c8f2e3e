// The chaos suite's default shape: every server and every daemon on 127.0.0.1 of the test's own
// network stack.
#include "manager/zkserver/local_zookeeper.hpp"
#include "tests/chaos/chaos_ensemble.hpp"

namespace sm::test::chaos {

namespace {

class LoopbackEnsemble : public ChaosEnsemble {
 public:
  LoopbackEnsemble() : ensemble_(3, zkserver::LocalZooKeeperOptions{}) {}

  std::size_t size() const override { return ensemble_.size(); }
  std::string connectString() const override { return ensemble_.connectString(); }
  TapEndpoint serverEndpoint(std::size_t index) const override {
    return {"127.0.0.1", ensemble_.server(index).clientPort()};
  }
  std::optional<std::size_t> leader() const override { return ensemble_.leader(); }
  void stopServer(std::size_t index) override { ensemble_.server(index).stop(); }
  void startServer(std::size_t index) override { ensemble_.restart(index); }
  bool waitQuorum(std::chrono::milliseconds timeout) const override {
    return ensemble_.waitQuorum(timeout);
  }
  const NetHost* daemonHost(const std::string&) const override { return nullptr; }
  const NetHost* serverHost(std::size_t) const override { return nullptr; }
  std::string tapAddress() const override { return "127.0.0.1"; }

 private:
  mutable zkserver::LocalEnsemble ensemble_;  // server() is not const
};

}  // namespace

std::unique_ptr<ChaosEnsemble> makeLoopbackEnsemble() {
  return std::make_unique<LoopbackEnsemble>();
}

}  // namespace sm::test::chaos
