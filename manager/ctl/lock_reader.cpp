#include "manager/ctl/lock_reader.hpp"

#include <algorithm>

namespace sm::ctl {

std::vector<LockView> readLocks(zk::Session& session, const config::Layout& layout,
                                const std::optional<std::string>& only) {
  std::vector<LockView> out;
  auto names = session.children(layout.resourceLocksDir());
  if (!names) return out;
  std::sort(names->begin(), names->end());
  for (const auto& child : *names) {
    auto name = config::Layout::parseResourceLockName(child);
    if (!name || (only && *only != *name)) continue;
    const auto dir = layout.resourceLock(*name);
    auto members = session.children(dir);
    if (!members) continue;  // emptied and removed meanwhile
    LockView lock;
    lock.name = *name;
    for (const auto& member : *members) {
      auto parsed = config::Layout::parseLockChildName(member);
      if (!parsed) continue;
      auto node = session.get(dir + "/" + member);
      if (!node) continue;  // released meanwhile
      LockContender contender;
      contender.node = member;
      contender.sequence = parsed->sequence;
      auto decoded = config::decodeResourceLockData(node->data, dir + "/" + member);
      if (decoded) {
        contender.data = std::move(decoded).value();
      } else {
        contender.problem = decoded.errorText();
      }
      lock.contenders.push_back(std::move(contender));
    }
    std::sort(lock.contenders.begin(), lock.contenders.end(),
              [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
    out.push_back(std::move(lock));
  }
  return out;
}

}  // namespace sm::ctl
