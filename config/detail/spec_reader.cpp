#include "config/detail/spec_reader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "config/glob.hpp"
#include "config/names.hpp"
#include "config/signals.hpp"

namespace sm::config::detail {
namespace {

std::optional<std::string> checkAbsolutePath(std::string_view p) {
  if (p.empty() || p[0] != '/') return "must be an absolute path";
  return std::nullopt;
}

std::optional<std::string> checkPolicy(std::string_view p) {
  if (!parseRestartPolicy(p)) return "must be one of always, on-failure, never";
  return std::nullopt;
}

// A signal check that also refuses signals that make no sense for the use.
Check signalCheck(std::initializer_list<std::string_view> refused, std::string_view why) {
  std::vector<std::string> refusedNames(refused.begin(), refused.end());
  return
      [refusedNames, why = std::string(why)](std::string_view name) -> std::optional<std::string> {
        auto canonical = canonicalSignalName(name);
        if (!canonical) return std::string("unknown signal (use a name such as SIGTERM or TERM)");
        if (std::find(refusedNames.begin(), refusedNames.end(), *canonical) != refusedNames.end()) {
          return fmt::format("{} {}", *canonical, why);
        }
        return std::nullopt;
      };
}

std::optional<std::string> readSignal(NodeReader& r, const MapFields& f, const Check& check) {
  auto s = r.string(f, "signal", check);
  if (!s) return std::nullopt;
  return canonicalSignalName(*s);
}

const YAML::Node& at(const MapFields& f, std::string_view key) {
  const Entry* e = f.find(key);
  return e ? e->value : f.node();
}

void readConstraints(NodeReader& r, const MapFields& parent, Constraints& c,
                     std::string_view typeName) {
  auto f = r.mappingField(parent, "constraints",
                          {"allowHosts", "denyHosts", "hostLabels", "maxPerHost", "minFreeMemoryMB",
                           "maxLoadAverage", "dependsOn", "masterHosts", "masterLabels"});
  if (!f) return;
  if (auto v = r.stringList(*f, "allowHosts", checkGlob)) c.allowHosts = *v;
  if (auto v = r.stringList(*f, "denyHosts", checkGlob)) c.denyHosts = *v;
  if (auto v = r.stringMap(*f, "hostLabels", checkLabelKey, checkLabelValue)) c.hostLabels = *v;
  if (auto v = r.stringList(*f, "masterHosts", checkGlob)) c.masterHosts = *v;
  if (auto v = r.stringMap(*f, "masterLabels", checkLabelKey, checkLabelValue)) {
    c.masterLabels = *v;
  }
  if (auto v = r.integer(*f, "maxPerHost", kMaxPerHostRange)) c.maxPerHost = *v;
  if (auto v = r.integer(*f, "minFreeMemoryMB", kMemoryMBRange)) c.minFreeMemoryMB = *v;
  if (auto v = r.number(*f, "maxLoadAverage", 0.0, kMaxLoadAverageLimit, true))
    c.maxLoadAverage = *v;
  if (auto v = r.stringList(*f, "dependsOn", checkServiceTypeName)) {
    const auto self = std::find(v->begin(), v->end(), typeName);
    if (self != v->end()) {
      const auto index = static_cast<std::size_t>(self - v->begin());
      r.error(at(*f, "dependsOn")[index], indexPath(f->pathOf("dependsOn"), index),
              fmt::format("a service type cannot depend on itself (\"{}\")", typeName));
    } else {
      c.dependsOn = *v;
    }
  }
}

void readRestart(NodeReader& r, const MapFields& parent, Restart& restart) {
  auto f = r.mappingField(parent, "restart",
                          {"policy", "backoffInitialMs", "backoffMaxMs", "crashLoop"});
  if (!f) return;
  if (auto v = r.string(*f, "policy", checkPolicy)) restart.policy = *parseRestartPolicy(*v);
  const auto initial = r.integer(*f, "backoffInitialMs", kDurationMsRange);
  const auto max = r.integer(*f, "backoffMaxMs", kDurationMsRange);
  if (initial) restart.backoffInitialMs = *initial;
  if (max) restart.backoffMaxMs = *max;
  if ((initial || max) && restart.backoffInitialMs > restart.backoffMaxMs) {
    const char* key = initial ? "backoffInitialMs" : "backoffMaxMs";
    r.error(
        at(*f, key), f->pathOf(key),
        fmt::format("backoffInitialMs ({}) must not exceed backoffMaxMs ({}{})",
                    restart.backoffInitialMs, restart.backoffMaxMs, max ? "" : ", the default"));
  }
  if (auto c = r.mappingField(*f, "crashLoop", {"failures", "windowSeconds"})) {
    if (auto v = r.integer(*c, "failures", kCrashLoopFailuresRange))
      restart.crashLoop.failures = *v;
    if (auto v = r.integer(*c, "windowSeconds", kWindowSecondsRange))
      restart.crashLoop.windowSeconds = *v;
  }
}

void readStop(NodeReader& r, const MapFields& parent, Stop& stop) {
  auto f = r.mappingField(parent, "stop", {"signal", "timeoutMs"});
  if (!f) return;
  static const Check check = signalCheck({"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGCONT"},
                                         "suspends or resumes a process rather than stopping it");
  if (auto v = readSignal(r, *f, check)) stop.signal = *v;
  if (auto v = r.integer(*f, "timeoutMs", kDurationMsRange)) stop.timeoutMs = *v;
}

void readRoleChange(NodeReader& r, const MapFields& parent, RoleChange& roleChange) {
  auto f = r.mappingField(parent, "roleChange", {"signal", "exec"});
  if (!f) return;
  if (f->find("signal") && f->find("exec")) {
    r.error(f->node(), f->path(), "give either signal or exec, not both");
    return;
  }
  static const Check check = signalCheck({"SIGKILL", "SIGSTOP"}, "cannot be caught by the process");
  if (auto v = readSignal(r, *f, check)) roleChange.signal = *v;
  if (auto v = r.argv(*f, "exec")) roleChange.exec = *v;
}

void readPorts(NodeReader& r, const MapFields& f, std::vector<std::string>& ports) {
  auto v = r.stringList(f, "ports", checkPortName);
  if (!v) return;
  bool ok = true;
  for (std::size_t i = 0; i < v->size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (portEnvVar((*v)[i]) == portEnvVar((*v)[j])) {
        r.error(at(f, "ports")[i], indexPath(f.pathOf("ports"), i),
                fmt::format("duplicate port: \"{}\" and \"{}\" both become {}", (*v)[j], (*v)[i],
                            portEnvVar((*v)[i])));
        ok = false;
      }
    }
  }
  if (ok) ports = *v;
}

void readHealth(NodeReader& r, const MapFields& parent, std::optional<Health>& health,
                const std::vector<std::string>& ports, bool portsValid) {
  auto f = r.mappingField(parent, "health",
                          {"exec", "tcp", "send", "expect", "intervalMs", "timeoutMs",
                           "failureThreshold"});
  if (!f) return;
  Health h;
  const bool hasExec = f->find("exec") != nullptr;
  const bool hasTcp = f->find("tcp") != nullptr;
  bool ok = true;
  if (hasExec == hasTcp) {
    r.error(f->node(), f->path(),
            hasExec ? "give either exec or tcp, not both"
                    : "give a check: exec (argv) or tcp (a port name)");
    ok = false;
  }
  if (auto v = r.argv(*f, "exec")) h.exec = *v;
  if (auto v = r.string(*f, "tcp", checkPortName)) {
    if (portsValid && std::find(ports.begin(), ports.end(), *v) == ports.end()) {
      r.error(at(*f, "tcp"), f->pathOf("tcp"),
              fmt::format("port \"{}\" is not declared in spec.ports", *v));
      ok = false;
    }
    h.tcpPort = *v;
  }
  for (const auto* key : {"send", "expect"}) {
    if (f->find(key) && !hasTcp) {
      r.error(at(*f, key), f->pathOf(key), fmt::format("{} goes with tcp", key));
      ok = false;
    }
  }
  if (auto v = r.string(*f, "send")) h.tcpSend = *v;
  if (auto v = r.string(*f, "expect")) h.tcpExpect = *v;
  if (auto v = r.integer(*f, "intervalMs", kDurationMsRange)) h.intervalMs = *v;
  if (auto v = r.integer(*f, "timeoutMs", kDurationMsRange)) h.timeoutMs = *v;
  if (auto v = r.integer(*f, "failureThreshold", kFailureThresholdRange)) h.failureThreshold = *v;
  if (ok) health = h;
}

void readPromotion(NodeReader& r, const MapFields& parent, std::optional<Promotion>& promotion) {
  auto f = r.mappingField(parent, "promotion", {"score", "waitMs", "maxLag", "refreshMs"});
  if (!f) return;
  Promotion p;
  const std::size_t before = r.sink().size();
  if (r.require(*f, "score")) {
    if (auto s = r.mappingField(*f, "score", {"exec", "timeoutMs"})) {
      if (r.require(*s, "exec")) {
        if (auto v = r.argv(*s, "exec")) p.scoreExec = *v;
      }
      if (auto v = r.integer(*s, "timeoutMs", kDurationMsRange)) p.scoreTimeoutMs = *v;
    }
  }
  if (auto v = r.integer(*f, "waitMs", kPromotionWaitMsRange)) p.waitMs = *v;
  if (auto v = r.integer(*f, "maxLag", kMaxLagRange)) p.maxLag = *v;
  if (auto v = r.integer(*f, "refreshMs", kPromotionRefreshMsRange)) p.refreshMs = *v;
  if (r.sink().size() == before) promotion = p;
}

void readPersistence(NodeReader& r, const MapFields& f, ServiceSpec& spec) {
  const auto persistent = r.boolean(f, "persistent");
  if (persistent) spec.persistent = *persistent;
  const auto grace = r.integer(f, "hostLossGraceSeconds", kHostLossGraceSecondsRange);
  if (!grace) return;
  // (A persistent field that is not a boolean has been reported already.)
  if (!spec.persistent && (persistent || !f.find("persistent"))) {
    r.error(at(f, "hostLossGraceSeconds"), f.pathOf("hostLossGraceSeconds"),
            "only a persistent type has a host-loss grace: set persistent: true, or remove it");
  } else if (spec.persistent) {
    spec.hostLossGraceSeconds = *grace;
  }
}

}  // namespace

std::optional<ServiceSpec> readServiceSpec(NodeReader& r, const YAML::Node& node,
                                           std::string_view path, std::string_view typeName) {
  const std::size_t before = r.sink().size();
  auto f = r.mapping(node, path,
                     {"serviceCount", "replicationCount", "command", "env", "workingDir",
                      "constraints", "restart", "stop", "roleChange", "ports", "health",
                      "persistent", "hostLossGraceSeconds", "promotion"});
  if (!f) return std::nullopt;
  ServiceSpec spec;
  if (auto v = r.integer(*f, "serviceCount", kServiceCountRange)) spec.serviceCount = *v;
  if (auto v = r.integer(*f, "replicationCount", kReplicationCountRange))
    spec.replicationCount = *v;
  if (r.require(*f, "command")) {
    if (auto v = r.argv(*f, "command")) spec.command = *v;
  }
  if (auto v = r.stringMap(*f, "env", checkEnvName)) spec.env = *v;
  if (auto v = r.string(*f, "workingDir", checkAbsolutePath)) spec.workingDir = *v;
  readConstraints(r, *f, spec.constraints, typeName);
  readRestart(r, *f, spec.restart);
  readStop(r, *f, spec.stop);
  readRoleChange(r, *f, spec.roleChange);
  const std::size_t beforePorts = r.sink().size();
  readPorts(r, *f, spec.ports);
  readHealth(r, *f, spec.health, spec.ports, r.sink().size() == beforePorts);
  readPersistence(r, *f, spec);
  readPromotion(r, *f, spec.promotion);
  if (r.sink().size() != before) return std::nullopt;
  return spec;
}

}  // namespace sm::config::detail
