#include "manager/ctl/describe_view.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "manager/ctl/event_view.hpp"
#include "manager/ctl/get_views.hpp"
#include "manager/ctl/output_format.hpp"
#include "manager/ctl/table.hpp"

namespace sm::ctl {

namespace {

void describeInstances(const model::LogicalServiceView& l, std::int64_t nowMs, std::string& out) {
  if (l.physical.empty()) {
    out += "    Instances: none registered\n";
    return;
  }
  out += "    Instances:\n";
  Table table({"ROLE", "EPOCH", "HOST", "PID", "STATE", "GENERATION", "UPTIME", "UUID"});
  std::string problems;
  for (const auto* instance : l.inFailoverOrder()) {
    const auto& i = *instance;
    const auto roleOfInstance = l.roleOf(i.uuid);
    const auto sequence = l.electionSequenceOf(i.uuid);
    const std::string epoch =
        roleOfInstance == model::Role::Master && sequence ? std::to_string(*sequence) : "-";
    const std::string role(model::roleName(roleOfInstance));
    if (!i.data) {
      table.addRow({role, epoch, "?", "?", "?", "?", "?", i.uuid});
      problems += prefixLines(i.error, "      error: ");
      continue;
    }
    table.addRow({role, epoch, i.data->host, std::to_string(i.data->pid),
                  std::string(config::physicalStateName(i.data->state)),
                  std::to_string(i.data->generation), formatAge(nowMs - i.data->started), i.uuid});
  }
  out += table.render("      ") + problems;
}

// spec.promotion: each member's last published score (in chain order), and why the first is
// not promoted when it holds.
void describeScores(const model::LogicalServiceView& l, std::int64_t nowMs, std::string& out) {
  std::string lines;
  for (const auto& entry : l.election) {
    if (!entry.data || !entry.data->round) continue;
    const auto& d = *entry.data;
    lines += fmt::format(
        "      {}  {}  {}{}\n", d.physical, d.host,
        d.score ? "score " + std::to_string(*d.score) : "no score: " + oneLine(d.scoreError, 120),
        d.scoredAt > 0 ? fmt::format(" ({} ago)", formatAge(nowMs - d.scoredAt)) : "");
  }
  if (!lines.empty()) out += "    Promotion scores (chain order):\n" + lines;
  if (!l.election.empty() && l.election.front().data && !l.election.front().data->held.empty()) {
    out += fmt::format("    Not promoted: {} (servicesctl switchover --force promotes anyway)\n",
                       oneLine(l.election.front().data->held, 200));
  }
}

void describeStatus(const model::LogicalServiceView& l, std::string& out) {
  if (!l.statusError.empty()) {
    out += "    Status: cannot be read\n" + prefixLines(l.statusError, "      error: ");
    return;
  }
  if (!l.status) return;
  const auto& s = *l.status;
  out += fmt::format("    Status: {} of {} registered{} (updated {})\n", s.registered, s.wanted,
                     s.reason.empty() ? "" : ": " + oneLine(s.reason, 200), formatTime(s.updated));
  for (const auto& h : s.hosts)
    out += fmt::format("      {}: {}\n", h.host, oneLine(h.reason, 200));
  if (!s.failures.empty()) {
    out += "    Recent failures:\n";
    for (const auto& f : s.failures) {
      out +=
          fmt::format("      {}   {}   {}\n", formatTime(f.time), f.host, oneLine(f.message, 200));
    }
  }
}

// A request that cannot be decoded is not shown: the managers ignore it.
void describeSwitchover(const model::SwitchoverView* switchover, std::int64_t nowMs,
                        std::string& out) {
  if (!switchover || !switchover->data) return;
  const auto& s = *switchover->data;
  out += s.deadline >= nowMs
             ? fmt::format("    Switchover: to {} in progress (asked {})\n", s.target,
                           formatTime(s.created))
             : fmt::format("    Switchover: to {} expired at {} without taking place\n", s.target,
                           formatTime(s.deadline));
}

void describeLogical(const model::ClusterSnapshot& snapshot, const model::ServiceTypeView& t,
                     const model::LogicalServiceView& l, std::int64_t nowMs, std::string& out) {
  const auto* m = l.master();
  const auto epoch = l.masterEpoch();
  out += fmt::format("  {}   instances {}/{}, master {}, epoch {}\n",
                     config::Layout::logicalServiceName(l.id.sequence), l.physical.size(),
                     t.stored ? std::to_string(t.stored->type.spec.replicationCount) : "?",
                     m ? instanceLabel(*m) : "none", epoch ? std::to_string(*epoch) : "-");
  if (l.data) {
    out += fmt::format("    uuid {}, created {} ({} ago)\n", l.data->uuid,
                       formatTime(l.data->created), formatAge(nowMs - l.data->created));
  } else {
    out += prefixLines(l.error, "    error: ");
  }
  describeInstances(l, nowMs, out);
  describeScores(l, nowMs, out);
  describeStatus(l, out);
  describeSwitchover(snapshot.switchoverOf(l.id), nowMs, out);
}

// The type's latest events as read (ReadScope::events), oldest first, as `servicesctl events TYPE`
// shows them.
void describeEvents(const std::vector<model::EventView>& events, std::int64_t nowMs,
                    std::string& out) {
  out += events.empty() ? "Events: none\n"
                        : "Events:\n" + prefixLines(eventsTable(events, nowMs), "  ");
}

// The type's persistent identities, by uuid.
std::vector<const model::PersistentServiceView*> identitiesOf(
    const model::ClusterSnapshot& snapshot, const std::string& type) {
  std::vector<const model::PersistentServiceView*> identities;
  const auto found = snapshot.persistent.find(type);
  if (found == snapshot.persistent.end()) return identities;
  for (const auto& [uuid, identity] : found->second) identities.push_back(&identity);
  return identities;
}

}  // namespace

std::string renderDescribe(const model::ClusterSnapshot& snapshot, const model::ServiceTypeView& t,
                           std::int64_t nowMs) {
  std::string out = fmt::format("Name:         {}\n", t.name);
  if (t.stored) {
    out += fmt::format("Generation:   {}\n", t.stored->generation);
    const auto& constraints = t.stored->type.spec.constraints;
    if (!constraints.masterHosts.empty() || !constraints.masterLabels.empty()) {
      out +=
          "Master:       only on hosts that match masterHosts/masterLabels; instances "
          "elsewhere run as secondaries (role -) that never become master\n";
    }
  }
  if (const auto* pause = snapshot.pauseOf(t.name)) {
    const auto& p = pause->data;
    out += fmt::format("Paused:       {}{} (servicesctl resume {} ends it)\n",
                       p ? "since " + formatTime(p->since) : "yes",
                       p && !p->reason.empty() ? ": " + oneLine(p->reason, 200) : "", t.name);
  }
  if (t.stored) {
    out += "Spec:\n" + prefixLines(toYaml(config::serviceSpecToJson(t.stored->type.spec)), "  ");
  } else {
    out += "Spec:         cannot be read\n" + prefixLines(t.error, "  error: ");
  }
  const std::string want = t.stored ? std::to_string(t.stored->type.spec.serviceCount) : "?";
  out += fmt::format("Logical services: {} of {}\n", t.logical.size(), want);
  for (const auto& [sequence, l] : t.logical) describeLogical(snapshot, t, l, nowMs, out);
  const auto identities = identitiesOf(snapshot, t.name);
  if (!identities.empty()) {
    out += "Persistent instances:\n" + prefixLines(identitiesTable(identities, nowMs), "  ");
  } else if (t.stored && t.stored->type.spec.persistent) {
    out += "Persistent instances: none yet\n";
  }
  describeEvents(snapshot.events, nowMs, out);
  return out;
}

}  // namespace sm::ctl
