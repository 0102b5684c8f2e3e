#pragma once
#include <string>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::ctl {

// What `watch` prints when the tree went from `before` to `after`: one line per change (types
// created, changed or deleted; logical services; instances up and down and their state; master
// changes with the epoch; hosts up and down; status reasons). Comparing whole snapshots, rather
// than reacting to single watch events, keeps `watch` level-triggered: a missed event cannot leave
// it wrong.
std::vector<std::string> diffViews(const model::ClusterSnapshot& before,
                                   const model::ClusterSnapshot& after);

}  // namespace sm::ctl
