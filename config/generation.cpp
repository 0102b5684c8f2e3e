#include "config/generation.hpp"

namespace sm::config {

GenerationDecision decideGeneration(const std::optional<StoredServiceType>& stored,
                                    const ServiceType& desired) {
  if (!stored) return {SpecChange::Created, 1, 1};
  if (stored->type == desired) {
    return {SpecChange::Unchanged, stored->generation, stored->templateFrom()};
  }
  const auto generation = stored->generation + 1;
  return {SpecChange::Changed, generation,
          sameProcessTemplate(stored->type.spec, desired.spec) ? stored->templateFrom()
                                                               : generation};
}

}  // namespace sm::config
