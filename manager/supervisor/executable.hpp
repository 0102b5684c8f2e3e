#pragma once

#include <string>

namespace sm::supervisor {

struct ResolvedExecutable {
  std::string path;   // empty when not found
  std::string error;  // why, for the start-failure report
};

// argv[0] with a '/' is taken as a path (relative ones against workingDir); a bare name is looked
// up in `searchPath` (a PATH value). Checks existence and the execute bit before anything forks, so
// that a missing or non-executable binary is reported clearly instead of as an exec failure.
ResolvedExecutable resolveExecutable(const std::string& argv0, const std::string& searchPath,
                                     const std::string& workingDir);

}  // namespace sm::supervisor
