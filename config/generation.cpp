#include "config/generation.hpp"

namespace sm::config {

GenerationDecision decideGeneration(const std::optional<StoredServiceType>& stored,
                                    const ServiceType& desired) {
  if (!stored) return {SpecChange::Created, 1};
  if (stored->type == desired) return {SpecChange::Unchanged, stored->generation};
  return {SpecChange::Changed, stored->generation + 1};
}

}  // namespace sm::config
