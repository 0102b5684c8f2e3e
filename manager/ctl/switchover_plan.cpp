#include "manager/ctl/switchover_plan.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/master_eligibility.hpp"
#include "manager/ctl/cli_error.hpp"

namespace sm::ctl {

namespace {

std::optional<std::int64_t> parseSequence(std::string text) {
  if (text.starts_with("logicalService")) text = text.substr(std::string("logicalService").size());
  if (text.empty() || text.size() > 10 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoll(text);
}

std::string names(const model::ServiceTypeView& type) {
  std::vector<std::string> out;
  for (const auto& [sequence, logical] : type.logical) out.push_back(std::to_string(sequence));
  return fmt::format("{}", fmt::join(out, ", "));
}

const model::HostView* findHost(const model::ClusterSnapshot& snapshot, const std::string& id) {
  const auto it = snapshot.hosts.find(id);
  return it == snapshot.hosts.end() ? nullptr : &it->second;
}

}  // namespace

std::string describeInstance(const model::PhysicalServiceView& instance) {
  return fmt::format("{} on {}", instance.uuid, instance.data ? instance.data->host : "?");
}

const model::LogicalServiceView& pickLogical(const model::ServiceTypeView& type,
                                             const std::optional<std::string>& logical) {
  if (type.logical.empty()) {
    throw operationFailed(fmt::format("service type \"{}\" has no logical service", type.name));
  }
  if (!logical) {
    if (type.logical.size() == 1) return type.logical.begin()->second;
    throw usageError(fmt::format("service type \"{}\" has {} logical services: name one ({})",
                                 type.name, type.logical.size(), names(type)));
  }
  const auto sequence = parseSequence(*logical);
  if (!sequence) {
    throw usageError(fmt::format("LOGICAL \"{}\": not a logical service number (e.g. 1, or "
                                 "logicalService0000000001)",
                                 *logical));
  }
  if (const auto found = type.logical.find(*sequence); found != type.logical.end()) {
    return found->second;
  }
  throw usageError(fmt::format("service type \"{}\" has no logical service {} (it has: {})",
                               type.name, *sequence, names(type)));
}

SwitchoverChoice chooseSwitchover(const model::ClusterSnapshot& snapshot,
                                  const model::ServiceTypeView& type,
                                  const model::LogicalServiceView& logical,
                                  const std::optional<std::string>& to, std::int64_t nowMs,
                                  bool force) {
  SwitchoverChoice choice;
  const auto name = fmt::format("{} logical service {}", type.name, logical.id.sequence);
  // A request that cannot be decoded is ignored by the managers, and replaced by ours.
  const auto* switchover = snapshot.switchoverOf(logical.id);
  if (switchover && switchover->data && switchover->data->deadline >= nowMs) {
    choice.refusal = fmt::format(
        "a switchover of {} is in progress (to {}, for {} ms more); wait for it, or for its end",
        name, switchover->data->target, switchover->data->deadline - nowMs);
    return choice;
  }
  choice.master = logical.master();
  // --force: a candidate held back by spec.promotion.maxLag stands where the master would.
  const model::PhysicalServiceView* candidate = nullptr;
  if (auto first = logical.masterUuid(); first && logical.roleOf(*first) == model::Role::Candidate) {
    auto it = logical.physical.find(*first);
    if (it != logical.physical.end()) candidate = &it->second;
  }
  if (!choice.master && force && candidate) choice.master = candidate;
  if (!choice.master) {
    choice.refusal = fmt::format(
        "{} has no master now; a failover needs no switchover (it happens by itself)", name);
    return choice;
  }
  const auto instances = logical.inFailoverOrder();
  const model::PhysicalServiceView* target = nullptr;
  if (to) {
    std::vector<const model::PhysicalServiceView*> onHost;
    for (const auto* instance : instances) {
      if (instance->uuid == *to) target = instance;
      if (instance->data && instance->data->host == *to) onHost.push_back(instance);
    }
    if (!target && onHost.size() == 1) target = onHost.front();
    if (!target && onHost.size() > 1) {
      choice.refusal = fmt::format("host {} runs {} instances of {}: name one by uuid", *to,
                                   onHost.size(), name);
      return choice;
    }
    if (!target) {
      std::vector<std::string> known;
      for (const auto* instance : instances) known.push_back(describeInstance(*instance));
      choice.refusal = fmt::format("no instance of {} has uuid or runs on host \"{}\" (it has: {})",
                                   name, *to, fmt::join(known, "; "));
      return choice;
    }
  } else {
    for (const auto* instance : instances) {
      if (logical.roleOf(instance->uuid) == model::Role::Secondary) {
        target = instance;
        break;
      }
    }
    if (!target) {
      choice.refusal = fmt::format(
          "{} has no other instance in its election to take over from {}", name,
          describeInstance(*choice.master));
      return choice;
    }
  }
  const auto where = describeInstance(*target);
  if (target == choice.master && target == candidate) {
    // Forced: the candidate itself is promoted past maxLag.
    choice.target = target;
    return choice;
  }
  if (target == choice.master) {
    choice.refusal = fmt::format("{} is already the master of {}; nothing to do", where, name);
    return choice;
  }
  if (!target->data || target->data->state != config::PhysicalState::Running) {
    choice.refusal = fmt::format(
        "{} is {}, not running and healthy: it cannot take over", where,
        target->data ? std::string(config::physicalStateName(target->data->state)) : "unreadable");
    return choice;
  }
  const auto* host = findHost(snapshot, target->data->host);
  if (logical.roleOf(target->uuid) != model::Role::Secondary) {
    static const std::map<std::string, std::string> kNoLabels;
    const auto problem = config::masterIneligibility(
        type.stored ? type.stored->type.spec.constraints : config::Constraints{},
        target->data->host, host && host->data ? host->data->labels : kNoLabels);
    choice.refusal = problem ? fmt::format("{} is not eligible as master: {}", where, *problem)
                             : fmt::format("{} does not stand in the election now", where);
    return choice;
  }
  if (host && snapshot.isDraining(host->id)) {
    choice.refusal = fmt::format("{} is on a draining host: it would hand over again at once",
                                 where);
    return choice;
  }
  choice.target = target;
  return choice;
}

}  // namespace sm::ctl
