#include "manager/ctl/watch_diff.hpp"

#include <map>

#include <fmt/format.h>

#include "manager/ctl/get_views.hpp"
#include "manager/ctl/table.hpp"

namespace sm::ctl {

namespace {

template <class T, class KeyOf>
auto indexBy(const std::vector<T>& items, KeyOf keyOf) {
  std::map<decltype(keyOf(items.front())), const T*> index;
  for (const auto& item : items) index.emplace(keyOf(item), &item);
  return index;
}

// Calls added/removed/both for the union of two keyed lists, in key order.
template <class T, class KeyOf, class Added, class Removed, class Both>
void compareLists(const std::vector<T>& before, const std::vector<T>& after, KeyOf keyOf,
                  Added added, Removed removed, Both both) {
  auto b = indexBy(before, keyOf);
  auto a = indexBy(after, keyOf);
  for (const auto& [key, item] : b) {
    if (!a.contains(key)) removed(*item);
  }
  for (const auto& [key, item] : a) {
    auto it = b.find(key);
    if (it == b.end()) {
      added(*item);
    } else {
      both(*it->second, *item);
    }
  }
}

std::string instanceText(const InstanceView& i) {
  return fmt::format("{} ({})", instanceLabel(i), i.uuid);
}

std::string stateOf(const InstanceView& i) {
  return i.data ? std::string(config::physicalStateName(i.data->state)) : "unreadable";
}

std::string masterText(const LogicalView& l) {
  const auto* m = l.master();
  if (!m) return "none";
  return fmt::format("{} epoch {}", instanceText(*m), l.epoch() ? std::to_string(*l.epoch()) : "?");
}

std::string reasonOf(const LogicalView& l) {
  if (!l.statusProblem.empty()) return "status cannot be read";
  return l.status ? l.status->reason : "";
}

void diffLogical(const std::string& name, const LogicalView* before, const LogicalView& after,
                 std::vector<std::string>& out) {
  static const LogicalView kNone;
  const LogicalView& b = before ? *before : kNone;
  compareLists(
      b.instances, after.instances, [](const InstanceView& i) { return i.uuid; },
      [&](const InstanceView& i) {
        out.push_back(fmt::format("{} instance up: {} {}", name, instanceText(i), stateOf(i)));
      },
      [&](const InstanceView& i) {
        out.push_back(fmt::format("{} instance down: {}", name, instanceText(i)));
      },
      [&](const InstanceView& x, const InstanceView& y) {
        if (stateOf(x) != stateOf(y)) {
          out.push_back(fmt::format("{} instance {}: {} -> {}", name, instanceText(y), stateOf(x),
                                    stateOf(y)));
        }
      });
  const auto* mb = b.master();
  const auto* ma = after.master();
  if ((mb ? mb->uuid : "") != (ma ? ma->uuid : "") || b.epoch() != after.epoch()) {
    out.push_back(fmt::format("{} master: {}", name, masterText(after)));
  }
  if (reasonOf(b) != reasonOf(after)) {
    const auto reason = reasonOf(after);
    out.push_back(fmt::format("{} status: {}", name, reason.empty() ? "ok" : oneLine(reason, 200)));
  }
}

void diffType(const TypeView* before, const TypeView& after, std::vector<std::string>& out) {
  if (!before) {
    out.push_back(
        after.stored
            ? fmt::format("type {} created, generation {}", after.name, after.stored->generation)
            : fmt::format("type {} created, its data cannot be read", after.name));
  } else if (before->stored && after.stored &&
             before->stored->generation != after.stored->generation) {
    out.push_back(fmt::format("type {} changed, generation {} -> {}", after.name,
                              before->stored->generation, after.stored->generation));
  } else if (before->problem != after.problem) {
    out.push_back(after.stored ? fmt::format("type {} readable again, generation {}", after.name,
                                             after.stored->generation)
                               : fmt::format("type {} data cannot be read", after.name));
  }
  static const TypeView kNone;
  compareLists((before ? *before : kNone).logical, after.logical,
               [](const LogicalView& l) { return l.id.sequence; },
               [&](const LogicalView& l) {
                 const auto name =
                     after.name + "/" + config::Layout::logicalServiceName(l.id.sequence);
                 out.push_back(fmt::format("{} created", name));
                 diffLogical(name, nullptr, l, out);
               },
               [&](const LogicalView& l) {
                 out.push_back(fmt::format("{}/{} deleted", after.name,
                                           config::Layout::logicalServiceName(l.id.sequence)));
               },
               [&](const LogicalView& x, const LogicalView& y) {
                 diffLogical(after.name + "/" + config::Layout::logicalServiceName(y.id.sequence),
                             &x, y, out);
               });
}

}  // namespace

std::vector<std::string> diffViews(const ClusterView& before, const ClusterView& after) {
  std::vector<std::string> out;
  compareLists(
      before.types, after.types, [](const TypeView& t) { return t.name; },
      [&](const TypeView& t) { diffType(nullptr, t, out); },
      [&](const TypeView& t) { out.push_back(fmt::format("type {} deleted", t.name)); },
      [&](const TypeView& x, const TypeView& y) { diffType(&x, y, out); });
  compareLists(
      before.hosts, after.hosts, [](const HostView& h) { return h.id; },
      [&](const HostView& h) { out.push_back(fmt::format("host {} up", h.id)); },
      [&](const HostView& h) { out.push_back(fmt::format("host {} down", h.id)); },
      [](const HostView&, const HostView&) {});
  return out;
}

}  // namespace sm::ctl
