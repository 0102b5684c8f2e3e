#pragma once
#include <vector>

#include "config/layout.hpp"
#include "config/service_type.hpp"
#include "manager/ctl/apply_plan.hpp"
#include "manager/zk/session.hpp"

namespace sm::ctl {

// The ZooKeeper side of apply: read what the tree holds, then write the plan in one multi().
// Between the two another client may write; the versions read make the multi fail then, and nothing
// of it is applied. Tests drive two executors to read first and commit after, to make that race
// deterministic.
class ApplyExecutor {
 public:
  ApplyExecutor(zk::Session& session, const config::Layout& layout)
      : session_(session), layout_(layout) {}

  // What config/<name> holds now; nullopt when it does not exist.
  std::optional<CurrentType> read(const std::string& name);
  // Reads (after a sync) the key znodes and config/<name> of every desired type.
  ApplyPlan plan(const std::vector<config::ServiceType>& desired, bool force);
  // Writes the plan; throws CliError (exit 1) naming the type on a concurrent change or a refusal.
  void commit(const ApplyPlan& plan);

 private:
  zk::Session& session_;
  const config::Layout& layout_;
};

}  // namespace sm::ctl
