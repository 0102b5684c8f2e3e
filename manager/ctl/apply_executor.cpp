#include "manager/ctl/apply_executor.hpp"

#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "config/limits.hpp"
#include "config/root_data.hpp"
#include "manager/ctl/cli_error.hpp"

namespace sm::ctl {

namespace {

// ZooKeeper refuses a request above jute.maxbuffer (1 MiB by default) by dropping the connection:
// say so before sending one.
constexpr std::size_t kMaxMultiBytes = 900 * 1024;

std::optional<std::int64_t> readableGeneration(const std::string& data) {
  auto json = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (json.is_object() && json.contains("generation") && json["generation"].is_number_integer()) {
    auto g = json["generation"].get<std::int64_t>();
    if (g >= config::kGenerationRange.min && g < config::kGenerationRange.max) return g;
  }
  return std::nullopt;
}

std::string conflictMessage(const PlanEntry* entry, const zk::MultiError& error) {
  if (!entry) {
    return fmt::format(
        "conflict: {} was created by another client while apply ran; nothing was written; "
        "run apply again",
        error.path());
  }
  const auto& name = entry->desired.name;
  const char* what = "changed";
  if (error.code() == zk::Code::NodeExists) what = "created";
  if (error.code() == zk::Code::NoNode) what = "deleted";
  return fmt::format(
      "conflict: service type \"{}\" was {} by another client since apply read it ({}: {}); "
      "nothing was written; run apply again",
      name, what, error.path(), zk::codeName(error.code()));
}

}  // namespace

std::optional<CurrentType> ApplyExecutor::read(const std::string& name) {
  const auto path = layout_.serviceType(name);
  auto node = session_.get(path);
  if (!node) return std::nullopt;
  CurrentType current;
  current.version = node->stat.version;
  auto decoded = config::decodeServiceType(node->data, path);
  if (decoded) {
    current.stored = std::move(decoded).value();
  } else {
    current.problem = decoded.errorText();
    if (!current.problem.empty() && current.problem.back() == '\n') current.problem.pop_back();
    current.garbageGeneration = readableGeneration(node->data);
  }
  return current;
}

ApplyPlan ApplyExecutor::plan(const std::vector<config::ServiceType>& desired, bool force) {
  session_.sync(layout_.root());
  ApplyPlan plan;
  plan.rootData = config::encodeRootData({config::federationName(layout_)});
  auto keys = layout_.rootAncestors();
  for (auto& key : layout_.keyZnodes()) keys.push_back(std::move(key));
  for (auto& key : keys) {
    if (!session_.exists(key)) plan.missingKeyZnodes.push_back(std::move(key));
  }
  for (const auto& type : desired) {
    auto current = read(type.name);
    plan.entries.push_back(planEntry(type, current, force));
  }
  return plan;
}

void ApplyExecutor::commit(const ApplyPlan& plan) {
  if (plan.refused()) {
    std::string names;
    for (const auto& e : plan.entries) {
      if (e.action == PlanAction::Refuse)
        names += (names.empty() ? "\"" : ", \"") + e.desired.name + "\"";
    }
    throw operationFailed(fmt::format("refused: service type {} (see above); nothing was written",
                                      names));
  }
  if (!plan.writes()) return;
  ApplyPlan attempt = plan;
  for (;;) {
    auto ops = planOps(attempt, layout_);
    std::size_t bytes = 0;
    for (const auto& op : ops.ops) bytes += op.path.size() + op.data.size() + 32;
    if (bytes > kMaxMultiBytes) {
      throw operationFailed(
          fmt::format("the file needs {} bytes in one ZooKeeper request, more than {}: "
                      "split it into several files; nothing was written",
                      bytes, kMaxMultiBytes));
    }
    try {
      session_.multi(ops.ops);
      return;
    } catch (const zk::MultiError& e) {
      const bool concurrent = e.code() == zk::Code::BadVersion ||
                              e.code() == zk::Code::NodeExists || e.code() == zk::Code::NoNode;
      if (!concurrent || e.failedIndex() >= ops.entryOf.size()) throw;
      const PlanEntry* entry = ops.entryOf[e.failedIndex()];
      // A key znode (root, config, locks, ...) that another client, say a manager starting at
      // the same moment, created since plan(): harmless. Try again without it; the types' own
      // checks stay exactly as they were read. A manager creates them one by one, so this may
      // take a round per key znode; every round drops at least one, so it ends.
      if (!entry && e.code() == zk::Code::NodeExists) {
        const auto before = attempt.missingKeyZnodes.size();
        std::erase_if(attempt.missingKeyZnodes,
                      [&](const std::string& key) { return session_.exists(key).has_value(); });
        if (attempt.missingKeyZnodes.size() < before) continue;
      }
      throw operationFailed(conflictMessage(entry, e));
    }
  }
}

}  // namespace sm::ctl
