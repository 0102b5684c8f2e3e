#include "tests/daemon/support/state_dump.hpp"

#include <fmt/format.h>

#include "tests/ctl/ctl_runner.hpp"
#include "tests/daemon/support/daemon_process.hpp"

namespace sm::test {

std::string stateDump(const std::function<TreeSnapshot()>& read, const RoleFileOf& roleFile) {
  TreeSnapshot tree;
  try {
    tree = read();
  } catch (const std::exception& e) {
    return std::string("cannot read the tree: ") + e.what();
  }
  std::string out = "tree:\n" + tree.str() + "role files:\n";
  for (const auto& [key, i] : tree.allInstances()) {
    const auto text = readFile(roleFile(i.host, i.uuid));
    out += fmt::format("  {} {} on {} (pid {} {}): {}", key, i.uuid, i.host, i.pid,
                       pidAlive(static_cast<pid_t>(i.pid)) ? "alive" : "gone",
                       text.empty() ? "(none)\n" : text);
    if (!text.empty() && text.back() != '\n') out += "\n";
  }
  return out;
}

}  // namespace sm::test
