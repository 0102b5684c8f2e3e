#include "manager/ctl/cluster_wait.hpp"

#include "manager/ctl/follow_loop.hpp"

namespace sm::ctl {

bool waitForCluster(Context& ctx, ReadOptions read, std::chrono::milliseconds timeout,
                    const std::function<bool(const model::ClusterSnapshot&)>& done) {
  const auto deadline = FollowLoop::Clock::now() + timeout;
  FollowLoop loop(*ctx.session, "waiting", ctx.global.zk);
  read.watches = &loop.watches();
  return loop.run([&] { return done(readCluster(*ctx.session, ctx.layout, read)); }, deadline) ==
         FollowLoop::End::Done;
}

}  // namespace sm::ctl
