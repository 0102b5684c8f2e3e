// Day-2 operations as faults: a planned handover and a drain run through the same checker as the
// crashes (never two masters, no identity run twice), beside whatever the earlier faults left.
#include <fmt/format.h>

#include "tests/chaos/faults.hpp"

namespace sm::test::chaos {

FaultOutcome FaultInjector::switchover() {
  struct Candidate {
    std::string type;
    std::int64_t sequence = 0;
    std::string target;
    std::string host;
  };
  std::vector<Candidate> candidates;
  auto tree = readTreeView(cluster_.admin(), cluster_.layout());
  for (const auto& [name, type] : tree.types) {
    for (const auto& [seq, logical] : type.logical) {
      for (std::size_t i = 1; i < logical.election.size(); ++i) {
        if (logical.election[i].decoded) {
          candidates.push_back({name, seq, logical.election[i].physical, logical.election[i].host});
        }
      }
    }
  }
  if (candidates.empty()) return {false, "", "no logical service with a secondary to switch to"};
  const auto& c = candidates.at(below(candidates.size()));
  const auto result = cluster_.ctl({"switchover", c.type, std::to_string(c.sequence), "--to",
                                    c.target, "--wait", "--timeout", "10s"});
  const auto what = fmt::format("switchover of {}/{} to {} on {}", c.type, c.sequence, c.target,
                                c.host);
  if (result.exitCode != 0 && onNote) {
    // Refused (the target restarts, another fault left no master) or not done in time: the
    // checker still holds the cluster to one master throughout.
    onNote(fmt::format("{}: exit {}: {}", what, result.exitCode, result.err));
  }
  return {true, fmt::format("{} (exit {})", what, result.exitCode), ""};
}

FaultOutcome FaultInjector::drainHost() {
  const std::string host = pickHostWithMaster();
  const auto drained = cluster_.ctl({"drain", host, "--wait", "--timeout", "20s"});
  if (drained.exitCode != 0 && onNote) {
    onNote(fmt::format("drain of {}: exit {}: {}", host, drained.exitCode, drained.err));
  }
  const auto uncordoned = cluster_.ctl({"uncordon", host});
  if (uncordoned.exitCode != 0) {
    return {false, "", fmt::format("uncordon {} failed: {}", host, uncordoned.err)};
  }
  return {true, fmt::format("drain {} (exit {}), then uncordon", host, drained.exitCode), ""};
}

}  // namespace sm::test::chaos
