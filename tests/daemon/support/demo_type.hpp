#pragma once
// A service type of sm-demo-service in YAML. Header-only, so that sm-bench-daemon writes its types
// with the same code as the daemon tests; SM_DEMO_SERVICE (the demo binary's path) comes from the
// including target.
#include <string>

#include <fmt/format.h>

namespace sm::test {

// `constraints` are YAML lines indented for their place ("    maxPerHost: 1\n" under
// spec.constraints).
struct DemoType {
  std::string name = "Demo";
  int services = 1;
  int replicas = 3;
  std::string constraints;  // lines of spec.constraints, 4 spaces indented
  std::string greeting = "hello";
  int stopTimeoutMs = 2000;
  std::string crashLoop;  // spec.restart.crashLoop as a YAML flow mapping, "" for the default
  std::string restartPolicy = "always";
  std::string health;  // spec.health as a YAML flow mapping, "" for none
  bool persistent = false;
  int hostLossGraceSeconds = 300;  // with persistent
  // Arguments after the program, as YAML flow items ("\"--listen\", \"0.0.0.0\"").
  std::string commandArgs;
  std::string promotion;  // spec.promotion as a YAML flow mapping, "" for none

  std::string yaml() const {
    std::string out = fmt::format(
        "apiVersion: servicesmgr/v1\n"
        "kind: ServiceType\n"
        "metadata:\n"
        "  name: {}\n"
        "spec:\n"
        "  serviceCount: {}\n"
        "  replicationCount: {}\n"
        "  command: [\"{}\"{}]\n"
        "  env: {{DEMO_GREETING: \"{}\"}}\n",
        name, services, replicas, SM_DEMO_SERVICE, commandArgs.empty() ? "" : ", " + commandArgs,
        greeting);
    if (!constraints.empty()) out += "  constraints:\n" + constraints;
    out += fmt::format("  restart: {{policy: {}, backoffInitialMs: 100, backoffMaxMs: 1000",
                       restartPolicy);
    if (!crashLoop.empty()) out += ",\n            crashLoop: " + crashLoop;
    out += fmt::format(
        "}}\n"
        "  stop: {{signal: SIGTERM, timeoutMs: {}}}\n"
        "  roleChange: {{signal: SIGUSR1}}\n"
        "  ports: [http]\n",
        stopTimeoutMs);
    if (!health.empty()) out += "  health: " + health + "\n";
    if (!promotion.empty()) out += "  promotion: " + promotion + "\n";
    if (persistent) {
      out += fmt::format("  persistent: true\n  hostLossGraceSeconds: {}\n", hostLossGraceSeconds);
    }
    return out;
  }
};

}  // namespace sm::test
