#pragma once

#include <cstdint>
#include <optional>

#include "config/service_type.hpp"
#include "config/service_type_codec.hpp"

namespace sm::config {

enum class SpecChange {
  Created,    // no stored type: generation 1
  Changed,    // stored spec differs: stored generation + 1
  Unchanged,  // identical: keep the stored generation, and write nothing
};

struct GenerationDecision {
  SpecChange change;
  std::int64_t generation;  // the generation to store (or already stored, when Unchanged)
  // The generation its process template dates from: the stored one when only the counts or the
  // placement changed (the running processes stay current), else `generation`.
  std::int64_t templateGeneration = {};
  bool operator==(const GenerationDecision&) const = default;
};

// What `servicesctl apply` stores for `desired`, given what config/<name> holds now (decoded).
// Equality is ServiceType's (exact, list order included). Applying a file twice therefore leaves
// the generation alone; any change to a field bumps it.
GenerationDecision decideGeneration(const std::optional<StoredServiceType>& stored,
                                    const ServiceType& desired);

}  // namespace sm::config
