#include "manager/supervisor/instance_environment.hpp"

#include <cctype>

extern char** environ;

namespace sm::supervisor {

std::string portVariableName(const std::string& portName) {
  std::string name = "SM_PORT_";
  for (unsigned char c : portName)
    name += std::isalnum(c) ? static_cast<char>(std::toupper(c)) : '_';
  return name;
}

std::string peersFileFor(const std::string& roleFile) {
  constexpr std::string_view kRoleSuffix = ".role.json";
  if (roleFile.ends_with(kRoleSuffix)) {
    return roleFile.substr(0, roleFile.size() - kRoleSuffix.size()) + ".peers";
  }
  return roleFile + ".peers";
}

std::vector<std::string> buildInstanceEnvironment(const ProcessSpec& spec,
                                                  const std::string& roleFile,
                                                  const std::map<std::string, int>& ports) {
  std::map<std::string, std::string> variables;
  if (spec.inheritEnvironment) {
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      std::string text(*entry);
      auto eq = text.find('=');
      if (eq != std::string::npos && eq > 0) variables[text.substr(0, eq)] = text.substr(eq + 1);
    }
  }
  for (const auto& [name, value] : spec.env) variables[name] = value;
  const InstanceIdentity& id = spec.identity;
  variables["SM_ZK"] = id.zk;
  variables["SM_ZROOT"] = id.zroot;
  variables["SM_SERVICE_TYPE"] = id.serviceType;
  variables["SM_LOGICAL_SERVICE"] = id.logicalService;
  variables["SM_PHYSICAL_ID"] = id.physicalId;
  variables["SM_HOST_ID"] = id.hostId;
  if (!id.dataDir.empty()) variables["SM_DATA_DIR"] = id.dataDir;
  if (!id.daemonSocket.empty()) variables["SM_DAEMON_SOCKET"] = id.daemonSocket;
  variables["SM_ROLE_FILE"] = roleFile;
  variables["SM_PEERS_FILE"] = peersFileFor(roleFile);
  for (const auto& [name, port] : ports) variables[portVariableName(name)] = std::to_string(port);

  std::vector<std::string> environment;
  environment.reserve(variables.size());
  for (const auto& [name, value] : variables) environment.push_back(name + "=" + value);
  return environment;
}

std::string searchPathOf(const std::vector<std::string>& environment) {
  for (const auto& entry : environment) {
    if (entry.rfind("PATH=", 0) == 0) return entry.substr(5);
  }
  return "/usr/local/bin:/usr/bin:/bin";
}

}  // namespace sm::supervisor
