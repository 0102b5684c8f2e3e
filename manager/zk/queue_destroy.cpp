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
  return destroyQueues(session, {dir}, fence).front();
}

std::vector<bool> destroyQueues(Session& session, const std::vector<std::string>& dirs,
                                const std::optional<Op>& fence) {
  std::vector<bool> destroyed(dirs.size(), false);
  std::vector<std::size_t> pending(dirs.size());
  for (std::size_t i = 0; i < dirs.size(); ++i) pending[i] = i;
  for (int attempt = 0; attempt < 20 && !pending.empty(); ++attempt) {
    std::vector<Session::Read> reads;
    for (const auto i : pending) reads.push_back({dirs[i], true, {}});
    auto listings = session.readMany(std::move(reads));
    std::vector<std::size_t> sent;
    std::vector<std::vector<Op>> multis;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      const auto& dir = dirs[pending[k]];
      if (listings[k].code == Code::NoNode) continue;  // already gone
      if (listings[k].code != Code::Ok) throw ZkError(listings[k].code, "children", dir);
      std::vector<Op> ops;
      if (fence) ops.push_back(*fence);
      for (auto& op : queueRemovalOps(dir, std::move(*listings[k].names))) {
        ops.push_back(std::move(op));
      }
      multis.push_back(std::move(ops));
      sent.push_back(pending[k]);
    }
    auto answers = session.multiMany(multis);
    pending.clear();
    for (std::size_t k = 0; k < sent.size(); ++k) {
      try {
        if (answers[k].error) std::rethrow_exception(answers[k].error);
        destroyed[sent[k]] = true;
        spdlog::debug("queue {} destroyed with {} contender(s)", dirs[sent[k]],
                      multis[k].size() - (fence ? 2 : 1));
      } catch (const MultiError& e) {
        if (fence && e.failedIndex() == 0) throw;  // our own lock is gone: not ours to destroy
        if (e.code() != Code::NoNode && e.code() != Code::NotEmpty) throw;
        pending.push_back(sent[k]);  // contenders came or went while we looked: again
      }
    }
  }
  if (!pending.empty()) {
    throw ZkError(Code::NotEmpty, "destroy-queue", dirs[pending.front()],
                  "contenders keep changing");
  }
  return destroyed;
}

}  // namespace sm::zk
