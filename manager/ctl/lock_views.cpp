#include "manager/ctl/lock_views.hpp"

#include <fmt/format.h>

#include "config/layout.hpp"
#include "manager/ctl/table.hpp"

namespace sm::ctl {

namespace {

using Json = nlohmann::ordered_json;

std::string holderLabel(const model::ResourceLockContender& c) {
  if (!c.data) return "?";
  return fmt::format("{}/{}/{}", c.data->type, c.data->host, c.data->pid);
}

std::string heldFor(const model::ResourceLockContender& c, std::int64_t nowMs) {
  if (!c.data || !c.data->heldSince) return "-";
  return formatAge(nowMs - *c.data->heldSince);
}

Json contenderJson(const model::ResourceLockContender& c) {
  Json j;
  j["node"] = c.node;
  j["sequence"] = c.sequence;
  if (!c.data) {
    j["error"] = c.error;
    return j;
  }
  const auto& d = *c.data;
  j["type"] = d.type;
  j["logicalService"] = config::Layout::logicalServiceName(d.logical);
  j["uuid"] = d.uuid;
  j["host"] = d.host;
  j["pid"] = d.pid;
  j["queued"] = d.queued;
  j["heldSince"] = d.heldSince ? Json(*d.heldSince) : Json(nullptr);
  return j;
}

std::string problemLines(const std::vector<model::ResourceLockView>& locks) {
  std::string out;
  for (const auto& lock : locks) {
    for (const auto& c : lock.contenders) {
      if (!c.data) out += prefixLines(c.error, "error: ");
    }
  }
  return out;
}

}  // namespace

std::string locksTable(const std::vector<model::ResourceLockView>& locks, std::int64_t nowMs) {
  Table table({"NAME", "HOLDER", "TOKEN", "WAITERS", "HELD-FOR"});
  for (const auto& lock : locks) {
    const auto* holder = lock.holder();
    if (!holder) {
      table.addRow({lock.name, "-", "-", "0", "-"});
      continue;
    }
    table.addRow({lock.name, holderLabel(*holder), std::to_string(holder->sequence),
                  std::to_string(lock.waiters()), heldFor(*holder, nowMs)});
  }
  return table.render() + problemLines(locks);
}

nlohmann::ordered_json locksDocument(const std::vector<model::ResourceLockView>& locks, std::int64_t nowMs) {
  Json list = Json::array();
  for (const auto& lock : locks) {
    Json j;
    j["name"] = lock.name;
    const auto* holder = lock.holder();
    j["token"] = holder ? Json(holder->sequence) : Json(nullptr);
    j["waiters"] = lock.waiters();
    j["heldForMs"] = holder && holder->data && holder->data->heldSince
                         ? Json(nowMs - *holder->data->heldSince)
                         : Json(nullptr);
    j["holder"] = holder ? contenderJson(*holder) : Json(nullptr);
    Json waiting = Json::array();
    for (std::size_t i = 1; i < lock.contenders.size(); ++i) {
      waiting.push_back(contenderJson(lock.contenders[i]));
    }
    j["waiting"] = waiting;
    list.push_back(j);
  }
  return list;
}

std::string renderLocks(const std::vector<model::ResourceLockView>& locks, OutputFormat format,
                        std::int64_t nowMs) {
  if (format == OutputFormat::Table) return locksTable(locks, nowMs);
  return renderDocument(locksDocument(locks, nowMs), format);
}

std::string typeLocksSection(const std::vector<model::ResourceLockView>& locks, const std::string& type,
                             std::int64_t nowMs) {
  Table table({"LOCK", "PROCESS", "STATE", "TOKEN", "HELD-FOR"});
  for (const auto& lock : locks) {
    for (std::size_t i = 0; i < lock.contenders.size(); ++i) {
      const auto& c = lock.contenders[i];
      if (!c.data || c.data->type != type) continue;
      table.addRow({lock.name, fmt::format("{}/{}", c.data->host, c.data->pid),
                    i == 0 ? "held" : fmt::format("waiting ({} ahead)", i),
                    i == 0 ? std::to_string(c.sequence) : "-", i == 0 ? heldFor(c, nowMs) : "-"});
    }
  }
  if (table.empty()) return "";
  return "Locks:\n" + table.render("  ");
}

}  // namespace sm::ctl
