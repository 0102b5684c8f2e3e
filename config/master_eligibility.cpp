#include "config/master_eligibility.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/glob.hpp"

namespace sm::config {

std::optional<std::string> masterIneligibility(const Constraints& constraints,
                                               std::string_view hostId,
                                               const std::map<std::string, std::string>& labels) {
  const auto& globs = constraints.masterHosts;
  if (!globs.empty() && std::none_of(globs.begin(), globs.end(), [&](const std::string& glob) {
        return globMatch(glob, hostId);
      })) {
    return fmt::format("masterHosts [{}] do not match {}", fmt::join(globs, ", "), hostId);
  }
  for (const auto& [key, value] : constraints.masterLabels) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) {
      return fmt::format("masterLabels {}=\"{}\" but {} has {}", key, value, hostId,
                         it == labels.end() ? "no label " + key
                                            : key + "=\"" + it->second + "\"");
    }
  }
  return std::nullopt;
}

bool masterEligible(const Constraints& constraints, std::string_view hostId,
                    const std::map<std::string, std::string>& labels) {
  return !masterIneligibility(constraints, hostId, labels);
}

bool restrictsMaster(const Constraints& constraints) {
  return !constraints.masterHosts.empty() || !constraints.masterLabels.empty();
}

}  // namespace sm::config
