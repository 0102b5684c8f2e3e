#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"
#include "config/service_type.hpp"

namespace sm::config {

// A service type as stored in config/<name>, with the generation that counts its spec changes.
struct StoredServiceType {
  ServiceType type;
  std::int64_t generation = 1;
  // When `servicesctl rollout restart` last asked for every instance to restart (ms since the
  // epoch; 0 = never). Part of the process template: an instance started before it is replaced
  // the way a changed spec replaces it. Kept by apply and scale.
  std::int64_t restartedAt = 0;
  // The generation its process template dates from when older than `generation` (0: the same): a
  // change of the counts alone (a scale) stores a new generation but leaves the running processes
  // current, so their physical services keep the generation they started from, unwritten.
  std::int64_t templateGeneration = 0;
  std::int64_t templateFrom() const {
    return templateGeneration != 0 ? templateGeneration : generation;
  }
  bool operator==(const StoredServiceType&) const = default;
};

// {"format":1,"name":"DataServer","generation":3,["templateGeneration":2,]["restartedAt":<ms>,]
// "spec":{...every field, defaults spelled out...}}
// templateGeneration is written only when it differs from generation (absent: the same).
// Optional fields that are unset (workingDir, maxPerHost, maxLoadAverage, roleChange, health) are
// left out.
std::string encodeServiceType(const ServiceType& type, std::int64_t generation,
                              std::int64_t restartedAt = 0, std::int64_t templateGeneration = 0);

// The spec object alone (the "spec" of the encoded form), for `servicesctl get -o json`.
nlohmann::ordered_json serviceSpecToJson(const ServiceSpec& spec);

// Decodes data read from `znodePath` (".../config/<name>"). The spec is checked by exactly the
// rules of the YAML loader, unknown fields included: a manager must not run a spec whose meaning it
// does not fully know (say, a newer constraint it would ignore). The stored name must equal the
// znode's last component. Every diagnostic names the znode; nothing throws.
Result<StoredServiceType> decodeServiceType(std::string_view data, std::string_view znodePath);

// Runs the loader's rules on a type built in code (e.g. `servicesctl scale` changing counts).
// Empty when valid; diagnostics name "<type name>" as their source.
std::vector<Diagnostic> validateServiceType(const ServiceType& type);

}  // namespace sm::config
