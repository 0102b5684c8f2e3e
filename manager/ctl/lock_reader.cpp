#include "manager/ctl/lock_reader.hpp"

#include "manager/model/tree_reader.hpp"
#include "manager/zk/session_reader.hpp"

namespace sm::ctl {

std::vector<model::ResourceLockView> readLocks(zk::Session& session, const config::Layout& layout,
                                               const std::optional<std::string>& only) {
  zk::SessionReader reader(session);
  auto scope = model::ReadScope::none();
  scope.observer = true;
  scope.resourceLocks = true;
  scope.resourceLock = only;
  return model::readSnapshot(reader, layout, scope).resourceLocks;
}

}  // namespace sm::ctl
