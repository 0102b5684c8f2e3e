#include "manager/ctl/cluster_wait.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include <fmt/format.h>

#include "manager/ctl/armed_watches.hpp"
#include "manager/ctl/cli_error.hpp"

namespace sm::ctl {

bool waitForCluster(Context& ctx, ReadOptions read, std::chrono::milliseconds timeout,
                    const std::function<bool(const model::ClusterSnapshot&)>& done) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto watches = std::make_shared<ArmedWatches>();
  auto sessionLost = std::make_shared<std::atomic<bool>>(false);
  ctx.session->addStateListener([sessionLost, watches](zk::SessionState state) {
    if (state == zk::SessionState::Expired || state == zk::SessionState::AuthFailed)
      *sessionLost = true;
    watches->wake();  // a reconnect may have folded changes together: read again
  });
  read.watches = watches.get();
  for (;;) {
    if (*sessionLost) {
      throw operationFailed(
          fmt::format("the ZooKeeper session at {} expired while waiting", ctx.global.zk));
    }
    try {
      if (done(readCluster(*ctx.session, ctx.layout, read))) return true;
    } catch (const zk::ZkError& e) {
      if (!e.isConnectionLoss()) throw;
      watches->reset();  // the state listener wakes us when the session is back
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd fd{watches->fd(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left, 1 << 30))) == 0) {
      return false;
    }
    watches->drain();
  }
}

}  // namespace sm::ctl
