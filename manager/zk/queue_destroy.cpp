#include "manager/zk/queue_destroy.hpp"

#include <spdlog/spdlog.h>

#include "manager/zk/path.hpp"
#include "manager/zk/sequential_name.hpp"

namespace sm::zk {

std::vector<Op> queueRemovalOps(const std::string& dir, std::vector<std::string> names) {
  sortForRemoval(names);
  std::vector<Op> ops;
  for (const auto& name : names) ops.push_back(Op::remove(childPath(dir, name)));
  ops.push_back(Op::remove(dir));
  return ops;
}

bool destroyQueue(Session& session, const std::string& dir, const std::optional<Op>& fence) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    auto names = session.children(dir);
    if (!names) return false;
    std::vector<Op> ops;
    if (fence) ops.push_back(*fence);
    for (auto& op : queueRemovalOps(dir, std::move(*names))) ops.push_back(std::move(op));
    try {
      session.multi(ops);
      spdlog::debug("queue {} destroyed with {} contender(s)", dir, names->size());
      return true;
    } catch (const MultiError& e) {
      if (fence && e.failedIndex() == 0) throw;  // our own lock is gone: not ours to destroy
      if (e.code() != Code::NoNode && e.code() != Code::NotEmpty) throw;
    }
  }
  throw ZkError(Code::NotEmpty, "destroy-queue", dir, "contenders keep changing");
}

}  // namespace sm::zk
