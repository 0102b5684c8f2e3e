#pragma once

#include <string>
#include <vector>

namespace sm::config {

// One problem found in an operator's file or in data read from ZooKeeper. A single type for both so
// that servicesctl and the daemon print every problem the same way.
struct Diagnostic {
  std::string source;  // file name as given by the user, "<stdin>", or a znode path
  int line = 0;        // 1-based; 0 when the problem has no position (file-level, ZooKeeper data)
  int column = 0;      // 1-based; 0 when line is 0
  std::string
      path;  // field path such as "spec.constraints.allowHosts[1]"; empty for the whole document
  std::string message;

  // "data.yaml:14:5: spec.replicationCount: must be an integer >= 1, got \"three\""
  // Parts that are unknown are left out: "big.yaml: file is too large ...".
  std::string str() const;

  bool operator==(const Diagnostic&) const = default;
};

// Every diagnostic on its own line, in the order found.
std::string formatDiagnostics(const std::vector<Diagnostic>& diagnostics);

}  // namespace sm::config
