#include "manager/ctl/readiness_wait.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include <fmt/format.h>

#include "manager/ctl/armed_watches.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/cluster_reader.hpp"

namespace sm::ctl {

ReadinessOutcome waitUntilReady(Context& ctx, const std::vector<std::string>& types,
                                std::chrono::milliseconds timeout,
                                const ReadinessObserver& observer) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  auto watches = std::make_shared<ArmedWatches>();
  auto sessionLost = std::make_shared<std::atomic<bool>>(false);
  ctx.session->addStateListener([sessionLost, watches](zk::SessionState state) {
    if (state == zk::SessionState::Expired || state == zk::SessionState::AuthFailed)
      *sessionLost = true;
    watches->wake();  // a reconnect may have folded changes together: read again
  });

  ReadOptions read;
  if (types.size() == 1) read.type = types.front();
  read.watches = watches.get();

  ReadinessOutcome outcome;
  for (;;) {
    if (*sessionLost) {
      throw operationFailed(
          fmt::format("the ZooKeeper session at {} expired while waiting", ctx.global.zk));
    }
    try {
      const auto view = readCluster(*ctx.session, ctx.layout, read);
      outcome.types.clear();
      for (const auto& type : types) outcome.types.push_back(assessType(view, type));
      if (observer) observer(outcome.types);
      outcome.ready = std::all_of(outcome.types.begin(), outcome.types.end(),
                                  [](const TypeReadiness& t) { return t.ready(); });
      if (outcome.ready) return outcome;
    } catch (const zk::ZkError& e) {
      if (!e.isConnectionLoss()) throw;
      watches->reset();  // the state listener wakes us when the session is back
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return outcome;
    pollfd fd{watches->fd(), POLLIN, 0};
    if (::poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left, 1 << 30))) == 0) {
      return outcome;
    }
    watches->drain();
  }
}

}  // namespace sm::ctl
