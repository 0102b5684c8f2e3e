#include "manager/ctl/watch_diff.hpp"

#include <map>

#include <fmt/format.h>

#include "manager/ctl/get_views.hpp"
#include "manager/ctl/table.hpp"

namespace sm::ctl {

namespace {

// Calls added/removed/both for the union of two maps, in key order: first what is gone, then what
// is new or in both.
template <class Key, class T, class Added, class Removed, class Both>
void compareMaps(const std::map<Key, T>& before, const std::map<Key, T>& after, Added added,
                 Removed removed, Both both) {
  for (const auto& [key, item] : before) {
    if (!after.contains(key)) removed(item);
  }
  for (const auto& [key, item] : after) {
    auto it = before.find(key);
    if (it == before.end()) {
      added(item);
    } else {
      both(it->second, item);
    }
  }
}

std::string instanceText(const model::PhysicalServiceView& i) {
  return fmt::format("{} ({})", instanceLabel(i), i.uuid);
}

std::string stateOf(const model::PhysicalServiceView& i) {
  return i.data ? std::string(config::physicalStateName(i.data->state)) : "unreadable";
}

std::string masterText(const model::LogicalServiceView& l) {
  const auto* m = l.master();
  if (!m) return "none";
  const auto epoch = l.masterEpoch();
  return fmt::format("{} epoch {}", instanceText(*m), epoch ? std::to_string(*epoch) : "?");
}

std::string reasonOf(const model::LogicalServiceView& l) {
  if (!l.statusError.empty()) return "status cannot be read";
  return l.status ? l.status->reason : "";
}

void diffLogical(const std::string& name, const model::LogicalServiceView* before,
                 const model::LogicalServiceView& after, std::vector<std::string>& out) {
  static const model::LogicalServiceView kNone;
  const model::LogicalServiceView& b = before ? *before : kNone;
  compareMaps(
      b.physical, after.physical,
      [&](const model::PhysicalServiceView& i) {
        out.push_back(fmt::format("{} instance up: {} {}", name, instanceText(i), stateOf(i)));
      },
      [&](const model::PhysicalServiceView& i) {
        out.push_back(fmt::format("{} instance down: {}", name, instanceText(i)));
      },
      [&](const model::PhysicalServiceView& x, const model::PhysicalServiceView& y) {
        if (stateOf(x) != stateOf(y)) {
          out.push_back(fmt::format("{} instance {}: {} -> {}", name, instanceText(y), stateOf(x),
                                    stateOf(y)));
        }
      });
  const auto* mb = b.master();
  const auto* ma = after.master();
  if ((mb ? mb->uuid : "") != (ma ? ma->uuid : "") || b.masterEpoch() != after.masterEpoch()) {
    out.push_back(fmt::format("{} master: {}", name, masterText(after)));
  }
  if (reasonOf(b) != reasonOf(after)) {
    const auto reason = reasonOf(after);
    out.push_back(fmt::format("{} status: {}", name, reason.empty() ? "ok" : oneLine(reason, 200)));
  }
}

void diffType(const model::ServiceTypeView* before, const model::ServiceTypeView& after,
              std::vector<std::string>& out) {
  if (!before) {
    out.push_back(
        after.stored
            ? fmt::format("type {} created, generation {}", after.name, after.stored->generation)
            : fmt::format("type {} created, its data cannot be read", after.name));
  } else if (before->stored && after.stored &&
             before->stored->generation != after.stored->generation) {
    out.push_back(fmt::format("type {} changed, generation {} -> {}", after.name,
                              before->stored->generation, after.stored->generation));
  } else if (before->error != after.error) {
    out.push_back(after.stored ? fmt::format("type {} readable again, generation {}", after.name,
                                             after.stored->generation)
                               : fmt::format("type {} data cannot be read", after.name));
  }
  static const model::ServiceTypeView kNone;
  compareMaps((before ? *before : kNone).logical, after.logical,
              [&](const model::LogicalServiceView& l) {
                const auto name =
                    after.name + "/" + config::Layout::logicalServiceName(l.id.sequence);
                out.push_back(fmt::format("{} created", name));
                diffLogical(name, nullptr, l, out);
              },
              [&](const model::LogicalServiceView& l) {
                out.push_back(fmt::format("{}/{} deleted", after.name,
                                          config::Layout::logicalServiceName(l.id.sequence)));
              },
              [&](const model::LogicalServiceView& x, const model::LogicalServiceView& y) {
                diffLogical(after.name + "/" + config::Layout::logicalServiceName(y.id.sequence),
                            &x, y, out);
              });
}

}  // namespace

std::vector<std::string> diffViews(const model::ClusterSnapshot& before,
                                   const model::ClusterSnapshot& after) {
  std::vector<std::string> out;
  compareMaps(
      before.types, after.types,
      [&](const model::ServiceTypeView& t) { diffType(nullptr, t, out); },
      [&](const model::ServiceTypeView& t) {
        out.push_back(fmt::format("type {} deleted", t.name));
      },
      [&](const model::ServiceTypeView& x, const model::ServiceTypeView& y) {
        diffType(&x, y, out);
      });
  compareMaps(
      before.hosts, after.hosts,
      [&](const model::HostView& h) { out.push_back(fmt::format("host {} up", h.id)); },
      [&](const model::HostView& h) { out.push_back(fmt::format("host {} down", h.id)); },
      [](const model::HostView&, const model::HostView&) {});
  return out;
}

}  // namespace sm::ctl
