#include "manager/ctl/apply_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/generation.hpp"
#include "config/names.hpp"
#include "config/root_data.hpp"
#include "manager/ctl/table.hpp"

namespace sm::ctl {

namespace {

std::string compact(const nlohmann::ordered_json& value) {
  auto text = value.dump();
  return text.size() > 60 ? text.substr(0, 57) + "..." : text;
}

void diffInto(const nlohmann::ordered_json& before, const nlohmann::ordered_json& after,
              const std::string& path, std::vector<FieldChange>& out) {
  if (before.is_object() && after.is_object()) {
    for (const auto& [key, value] : before.items()) {
      const auto sub = path + "." + key;
      if (after.contains(key)) {
        diffInto(value, after[key], sub, out);
      } else {
        out.push_back({sub, compact(value), ""});
      }
    }
    for (const auto& [key, value] : after.items()) {
      if (!before.contains(key)) out.push_back({path + "." + key, "", compact(value)});
    }
    return;
  }
  if (before != after) out.push_back({path, compact(before), compact(after)});
}

std::string describeChange(const FieldChange& change) {
  if (change.before.empty()) return fmt::format("{}: set to {}", change.path, change.after);
  if (change.after.empty()) return fmt::format("{}: removed (was {})", change.path, change.before);
  return fmt::format("{}: {} -> {}", change.path, change.before, change.after);
}

}  // namespace

bool ApplyPlan::refused() const {
  return std::any_of(entries.begin(), entries.end(),
                     [](const PlanEntry& e) { return e.action == PlanAction::Refuse; });
}

bool ApplyPlan::writes() const {
  return !missingKeyZnodes.empty() ||
         std::any_of(entries.begin(), entries.end(), [](const PlanEntry& e) {
           return e.action == PlanAction::Create || e.action == PlanAction::Update ||
                  e.action == PlanAction::Replace;
         });
}

std::vector<FieldChange> diffDocuments(const nlohmann::ordered_json& before,
                                       const nlohmann::ordered_json& after,
                                       const std::string& prefix) {
  std::vector<FieldChange> out;
  diffInto(before, after, prefix, out);
  return out;
}

PlanEntry planEntry(const config::ServiceType& desired, const std::optional<CurrentType>& current,
                    bool force) {
  PlanEntry entry;
  entry.desired = desired;
  if (!current) {
    entry.action = PlanAction::Create;
    entry.generation = config::decideGeneration(std::nullopt, desired).generation;
    return entry;
  }
  entry.version = current->version;
  if (!current->stored) {
    entry.problem = current->problem;
    entry.previousGeneration = current->garbageGeneration;
    entry.action = force ? PlanAction::Replace : PlanAction::Refuse;
    entry.generation = std::max<std::int64_t>(1, current->garbageGeneration.value_or(0) + 1);
    return entry;
  }
  entry.previousGeneration = current->stored->generation;
  entry.restartedAt = current->stored->restartedAt;
  if (current->stored->type.spec.persistent != desired.spec.persistent) {
    // Identities and their data would be dropped (or adopted) without a word: not even --force.
    entry.action = PlanAction::Refuse;
    entry.generation = current->stored->generation;
    entry.refusal = fmt::format(
        "spec.persistent cannot change from {} to {} in place; delete the type first (servicesctl "
        "delete {}{}), then apply it again",
        current->stored->type.spec.persistent, desired.spec.persistent, desired.name,
        current->stored->type.spec.persistent
            ? ": its identities are kept for a persistent type applied again, or dropped with "
              "--purge"
            : "");
    return entry;
  }
  const auto decision = config::decideGeneration(current->stored, desired);
  entry.generation = decision.generation;
  entry.templateGeneration = decision.templateGeneration;
  entry.action =
      decision.change == config::SpecChange::Unchanged ? PlanAction::Unchanged : PlanAction::Update;
  if (entry.action == PlanAction::Update) {
    entry.changes = diffDocuments(config::serviceSpecToJson(current->stored->type.spec),
                                  config::serviceSpecToJson(desired.spec), "spec");
  }
  return entry;
}

PlanOps planOps(const ApplyPlan& plan, const config::Layout& layout) {
  PlanOps out;
  for (const auto& path : plan.missingKeyZnodes) {
    out.ops.push_back(zk::Op::create(path, path == layout.root() ? plan.rootData : ""));
    out.entryOf.push_back(nullptr);
  }
  for (const auto& entry : plan.entries) {
    const auto path = layout.serviceType(entry.desired.name);
    switch (entry.action) {
      case PlanAction::Create:
        out.ops.push_back(
            zk::Op::create(path, config::encodeServiceType(entry.desired, entry.generation,
                                                              entry.restartedAt,
                                                              entry.templateGeneration)));
        break;
      case PlanAction::Update:
      case PlanAction::Replace:
        out.ops.push_back(zk::Op::set(
            path,
            config::encodeServiceType(entry.desired, entry.generation, entry.restartedAt,
                                      entry.templateGeneration),
            entry.version));
        break;
      case PlanAction::Unchanged:
        out.ops.push_back(zk::Op::check(path, entry.version));
        break;
      case PlanAction::Refuse:
        continue;
    }
    out.entryOf.push_back(&entry);
  }
  return out;
}

std::string renderPlan(const ApplyPlan& plan, bool dryRun) {
  std::string out;
  if (dryRun) out += "dry run: nothing is written\n";
  if (!plan.missingKeyZnodes.empty()) {
    out += fmt::format("{} key znodes: {}\n", dryRun ? "would create" : "created",
                       fmt::join(plan.missingKeyZnodes, ", "));
  }
  const char* created = dryRun ? "would be created" : "created";
  const char* changed = dryRun ? "would change" : "changed";
  const char* replaced = dryRun ? "would be replaced" : "replaced";
  for (const auto& e : plan.entries) {
    const auto& name = e.desired.name;
    switch (e.action) {
      case PlanAction::Create:
        out += fmt::format("{}: {}, generation {}\n", name, created, e.generation);
        break;
      case PlanAction::Update:
        out += fmt::format("{}: {}, generation {} -> {}\n", name, changed,
                           e.previousGeneration.value_or(0), e.generation);
        for (const auto& change : e.changes) out += "  " + describeChange(change) + "\n";
        break;
      case PlanAction::Unchanged:
        out += fmt::format("{}: unchanged, generation {}\n", name, e.generation);
        break;
      case PlanAction::Replace:
        out += fmt::format("{}: {} (its stored data could not be read), generation {}\n", name,
                           replaced, e.generation);
        out += prefixLines(e.problem, "  ");
        break;
      case PlanAction::Refuse:
        if (!e.refusal.empty()) {
          out += fmt::format("{}: refused: {}\n", name, e.refusal);
          break;
        }
        out +=
            fmt::format("{}: refused: its stored data cannot be read; --force replaces it\n", name);
        out += prefixLines(e.problem, "  ");
        break;
    }
  }
  return out;
}

}  // namespace sm::ctl
