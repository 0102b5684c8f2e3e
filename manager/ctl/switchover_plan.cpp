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

std::string names(const TypeView& type) {
  std::vector<std::string> out;
  for (const auto& logical : type.logical) out.push_back(std::to_string(logical.id.sequence));
  return fmt::format("{}", fmt::join(out, ", "));
}

const HostView* findHost(const ClusterView& view, const std::string& id) {
  for (const auto& host : view.hosts) {
    if (host.id == id) return &host;
  }
  return nullptr;
}

}  // namespace

std::string describeInstance(const InstanceView& instance) {
  return fmt::format("{} on {}", instance.uuid, instance.data ? instance.data->host : "?");
}

const LogicalView& pickLogical(const TypeView& type, const std::optional<std::string>& logical) {
  if (type.logical.empty()) {
    throw operationFailed(fmt::format("service type \"{}\" has no logical service", type.name));
  }
  if (!logical) {
    if (type.logical.size() == 1) return type.logical.front();
    throw usageError(fmt::format("service type \"{}\" has {} logical services: name one ({})",
                                 type.name, type.logical.size(), names(type)));
  }
  const auto sequence = parseSequence(*logical);
  if (!sequence) {
    throw usageError(fmt::format("LOGICAL \"{}\": not a logical service number (e.g. 1, or "
                                 "logicalService0000000001)",
                                 *logical));
  }
  for (const auto& candidate : type.logical) {
    if (candidate.id.sequence == *sequence) return candidate;
  }
  throw usageError(fmt::format("service type \"{}\" has no logical service {} (it has: {})",
                               type.name, *sequence, names(type)));
}

SwitchoverChoice chooseSwitchover(const ClusterView& view, const TypeView& type,
                                  const LogicalView& logical, const std::optional<std::string>& to,
                                  std::int64_t nowMs, bool force) {
  SwitchoverChoice choice;
  const auto name = fmt::format("{} logical service {}", type.name, logical.id.sequence);
  if (logical.switchover && logical.switchover->deadline >= nowMs) {
    choice.refusal = fmt::format(
        "a switchover of {} is in progress (to {}, for {} ms more); wait for it, or for its end",
        name, logical.switchover->target, logical.switchover->deadline - nowMs);
    return choice;
  }
  choice.master = logical.master();
  // --force: a candidate held back by spec.promotion.maxLag stands where the master would.
  const InstanceView* candidate = !logical.instances.empty() &&
                                          logical.instances.front().role == Role::Candidate
                                      ? &logical.instances.front()
                                      : nullptr;
  if (!choice.master && force && candidate) choice.master = candidate;
  if (!choice.master) {
    choice.refusal = fmt::format(
        "{} has no master now; a failover needs no switchover (it happens by itself)", name);
    return choice;
  }
  const InstanceView* target = nullptr;
  if (to) {
    std::vector<const InstanceView*> onHost;
    for (const auto& instance : logical.instances) {
      if (instance.uuid == *to) target = &instance;
      if (instance.data && instance.data->host == *to) onHost.push_back(&instance);
    }
    if (!target && onHost.size() == 1) target = onHost.front();
    if (!target && onHost.size() > 1) {
      choice.refusal = fmt::format("host {} runs {} instances of {}: name one by uuid", *to,
                                   onHost.size(), name);
      return choice;
    }
    if (!target) {
      std::vector<std::string> known;
      for (const auto& instance : logical.instances) known.push_back(describeInstance(instance));
      choice.refusal = fmt::format("no instance of {} has uuid or runs on host \"{}\" (it has: {})",
                                   name, *to, fmt::join(known, "; "));
      return choice;
    }
  } else {
    for (const auto& instance : logical.instances) {
      if (instance.role == Role::Secondary) {
        target = &instance;
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
  const auto* host = findHost(view, target->data->host);
  if (target->role != Role::Secondary) {
    static const std::map<std::string, std::string> kNoLabels;
    const auto problem = config::masterIneligibility(
        type.stored ? type.stored->type.spec.constraints : config::Constraints{},
        target->data->host, host && host->data ? host->data->labels : kNoLabels);
    choice.refusal = problem ? fmt::format("{} is not eligible as master: {}", where, *problem)
                             : fmt::format("{} does not stand in the election now", where);
    return choice;
  }
  if (host && host->cordon && host->cordon->drain) {
    choice.refusal = fmt::format("{} is on a draining host: it would hand over again at once",
                                 where);
    return choice;
  }
  choice.target = target;
  return choice;
}

}  // namespace sm::ctl
