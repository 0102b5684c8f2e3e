#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manager/zk/node_reader.hpp"
#include "manager/zk/session.hpp"

namespace sm::zk {

// A read-through cache of znodes for a reconcile loop. Each path read is watched once; while the
// watch has not fired, the cached answer is returned without asking the server, so a loop that
// re-reads the whole tree on every wake-up costs nothing when nothing changed (quiet when idle).
// A watch that fires marks its path stale and calls `wake`: the cache never applies events itself,
// the next read asks the server again (level-triggered, like ChildrenCache). `wake` runs on the
// ZooKeeper client's own thread (see EarlyWatcher): it must neither block nor call ZooKeeper.
class TreeCache : public NodeReader {
 public:
  using Wake = std::function<void()>;

  TreeCache(std::shared_ptr<Session> session, Wake wake);
  ~TreeCache();
  TreeCache(const TreeCache&) = delete;
  TreeCache& operator=(const TreeCache&) = delete;

  // Like Session::get / children, answered from the cache while the path's watch is armed. A
  // missing node is watched for its creation. Throws ZkError like the session does.
  std::optional<Node> get(const std::string& path) override;
  std::optional<std::vector<std::string>> children(const std::string& path) override;
  // Reads at once (Session::readMany) what of these is not cached. A missing node is cached as
  // missing, watched for its creation (asked at once too); a missing listing is left to the read
  // that follows.
  bool prefetch(const std::vector<std::string>& nodes,
                const std::vector<std::string>& listings) override;

  // Our own write changed `path`: the next read asks the server, without waiting for the watch
  // (which a loop may not have been told of yet).
  void invalidate(const std::string& path);
  // Forget everything (a new session has none of the old one's watches).
  void invalidateAll();
  // Marks the start of a full read; endPass() drops the paths that pass did not read, so the cache
  // holds only what the loop still looks at. A pass takes each path once: what it first saw of a
  // path (cached or read) is its answer until the pass ends, even if the path's watch fires
  // meanwhile (the watch has woken the loop, and the next pass reads the path again).
  void beginPass();
  void endPass();

  std::uint64_t serverReads() const;
  std::size_t size() const;

 private:
  struct State;
  // The prefetched nodes found missing: cached as such, with a watch on their creation.
  void watchCreations(const std::vector<std::string>& paths);

  std::shared_ptr<Session> session_;
  std::shared_ptr<State> state_;
};

}  // namespace sm::zk
