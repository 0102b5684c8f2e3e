#include "config/service_type.hpp"

namespace sm::config {

bool sameProcessTemplate(const ServiceSpec& a, const ServiceSpec& b) {
  return a.command == b.command && a.env == b.env && a.workingDir == b.workingDir &&
         a.ports == b.ports && a.stop == b.stop && a.roleChange == b.roleChange &&
         a.health == b.health;
}

std::string_view restartPolicyName(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::Always:
      return "always";
    case RestartPolicy::OnFailure:
      return "on-failure";
    case RestartPolicy::Never:
      return "never";
  }
  return "always";
}

std::optional<RestartPolicy> parseRestartPolicy(std::string_view name) {
  for (auto p : {RestartPolicy::Always, RestartPolicy::OnFailure, RestartPolicy::Never}) {
    if (restartPolicyName(p) == name) return p;
  }
  return std::nullopt;
}

}  // namespace sm::config
