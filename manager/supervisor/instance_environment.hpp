#pragma once

#include <map>
#include <string>
#include <vector>

#include "manager/supervisor/process_spec.hpp"

namespace sm::supervisor {

// "NAME" -> "SM_PORT_NAME": upper case, anything but letters and digits becomes '_'.
std::string portVariableName(const std::string& portName);

// The peers file beside a role file: "<dir>/<id>.role.json" -> "<dir>/<id>.peers".
std::string peersFileFor(const std::string& roleFile);

// The complete environment of an instance's processes, as "NAME=value": the manager's own (when
// inheritEnvironment), then spec.env, then the SM_* variables, which nothing may override.
std::vector<std::string> buildInstanceEnvironment(const ProcessSpec& spec,
                                                  const std::string& roleFile,
                                                  const std::map<std::string, int>& ports);

// The PATH value in an environment built above (the manager's PATH, or a default, if none).
std::string searchPathOf(const std::vector<std::string>& environment);

}  // namespace sm::supervisor
