#include "config/service_type_codec.hpp"

#include "config/detail/spec_reader.hpp"
#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"

namespace sm::config {
namespace {

using detail::OrderedJson;

OrderedJson constraintsToJson(const Constraints& c) {
  OrderedJson j = OrderedJson::object();
  j["allowHosts"] = c.allowHosts;
  j["denyHosts"] = c.denyHosts;
  j["hostLabels"] = c.hostLabels;
  if (c.maxPerHost) j["maxPerHost"] = *c.maxPerHost;
  j["minFreeMemoryMB"] = c.minFreeMemoryMB;
  if (c.maxLoadAverage) j["maxLoadAverage"] = *c.maxLoadAverage;
  j["dependsOn"] = c.dependsOn;
  // Only when set: types stored before eligibility existed read back the same.
  if (!c.masterHosts.empty()) j["masterHosts"] = c.masterHosts;
  if (!c.masterLabels.empty()) j["masterLabels"] = c.masterLabels;
  return j;
}

OrderedJson restartToJson(const Restart& r) {
  OrderedJson j = OrderedJson::object();
  j["policy"] = std::string(restartPolicyName(r.policy));
  j["backoffInitialMs"] = r.backoffInitialMs;
  j["backoffMaxMs"] = r.backoffMaxMs;
  j["crashLoop"] = {{"failures", r.crashLoop.failures},
                    {"windowSeconds", r.crashLoop.windowSeconds}};
  return j;
}

OrderedJson healthToJson(const Health& h) {
  OrderedJson j = OrderedJson::object();
  if (!h.exec.empty()) j["exec"] = h.exec;
  if (!h.tcpPort.empty()) j["tcp"] = h.tcpPort;
  if (!h.tcpSend.empty()) j["send"] = h.tcpSend;
  if (!h.tcpExpect.empty()) j["expect"] = h.tcpExpect;
  j["intervalMs"] = h.intervalMs;
  j["timeoutMs"] = h.timeoutMs;
  j["failureThreshold"] = h.failureThreshold;
  return j;
}

OrderedJson promotionToJson(const Promotion& p) {
  OrderedJson j = OrderedJson::object();
  j["score"] = {{"exec", p.scoreExec}, {"timeoutMs", p.scoreTimeoutMs}};
  j["waitMs"] = p.waitMs;
  if (p.maxLag) j["maxLag"] = *p.maxLag;
  j["refreshMs"] = p.refreshMs;
  return j;
}

std::string_view lastComponent(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

OrderedJson serviceSpecToJson(const ServiceSpec& s) {
  OrderedJson j = OrderedJson::object();
  j["serviceCount"] = s.serviceCount;
  j["replicationCount"] = s.replicationCount;
  j["command"] = s.command;
  j["env"] = s.env;
  if (!s.workingDir.empty()) j["workingDir"] = s.workingDir;
  j["constraints"] = constraintsToJson(s.constraints);
  j["restart"] = restartToJson(s.restart);
  j["stop"] = {{"signal", s.stop.signal}, {"timeoutMs", s.stop.timeoutMs}};
  if (!s.roleChange.signal.empty()) j["roleChange"] = {{"signal", s.roleChange.signal}};
  if (!s.roleChange.exec.empty()) j["roleChange"] = {{"exec", s.roleChange.exec}};
  j["ports"] = s.ports;
  if (s.health) j["health"] = healthToJson(*s.health);
  if (s.persistent) {
    j["persistent"] = true;
    j["hostLossGraceSeconds"] = s.hostLossGraceSeconds;
  }
  // Only when set: types stored before promotion existed read back the same.
  if (s.promotion) j["promotion"] = promotionToJson(*s.promotion);
  return j;
}

std::string encodeServiceType(const ServiceType& type, std::int64_t generation,
                              std::int64_t restartedAt, std::int64_t templateGeneration) {
  OrderedJson j = detail::newDocument();
  j["name"] = type.name;
  j["generation"] = generation;
  if (templateGeneration != 0 && templateGeneration != generation) {
    j["templateGeneration"] = templateGeneration;
  }
  if (restartedAt != 0) j["restartedAt"] = restartedAt;
  j["spec"] = serviceSpecToJson(type.spec);
  return detail::dump(j);
}

Result<StoredServiceType> decodeServiceType(std::string_view data, std::string_view znodePath) {
  const std::string znodeName(lastComponent(znodePath));
  return detail::decodeDocument<StoredServiceType>(
      data, znodePath,
      {"format", "name", "generation", "templateGeneration", "restartedAt", "spec"},
      detail::UnknownKeys::Reject,
      [&](detail::NodeReader& r, const detail::MapFields& f) {
        StoredServiceType stored;
        if (r.require(f, "name")) {
          auto name = r.string(f, "name", checkServiceTypeName);
          if (name && *name != znodeName) {
            r.error(f.find("name")->value, "name",
                    "\"" + *name + "\" does not match the znode name \"" + znodeName + "\"");
          }
          if (name) stored.type.name = *name;
        }
        if (r.require(f, "generation")) {
          if (auto g = r.integer(f, "generation", kGenerationRange)) stored.generation = *g;
        }
        if (auto t = r.integer(f, "templateGeneration", kGenerationRange)) {
          if (*t > stored.generation) {
            r.error(f.find("templateGeneration")->value, "templateGeneration",
                    std::to_string(*t) + " is later than the generation " +
                        std::to_string(stored.generation));
          } else if (*t != stored.generation) {
            stored.templateGeneration = *t;
          }
        }
        if (auto t = r.integer(f, "restartedAt", kTimestampMsRange)) stored.restartedAt = *t;
        if (r.require(f, "spec")) {
          auto spec = detail::readServiceSpec(r, f.find("spec")->value, "spec", stored.type.name);
          if (spec) stored.type.spec = *spec;
        }
        return stored;
      });
}

std::vector<Diagnostic> validateServiceType(const ServiceType& type) {
  // Checked through the stored form so that the rules exist in one place (the spec reader).
  const std::string source = "<" + type.name + ">";
  if (auto problem = checkServiceTypeName(type.name))
    return {Diagnostic{source, 0, 0, "name", *problem}};
  auto decoded = decodeServiceType(encodeServiceType(type, 1), type.name);
  if (decoded) return {};
  auto errors = decoded.errors();
  for (auto& e : errors) e.source = source;
  return errors;
}

}  // namespace sm::config
