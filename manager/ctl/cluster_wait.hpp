#pragma once
#include <chrono>
#include <functional>

#include "manager/ctl/cluster_reader.hpp"
#include "manager/ctl/context.hpp"

namespace sm::ctl {

// Reads the cluster with `read` (watches armed on everything read) until `done` returns true or
// `timeout` passes, sleeping on the watches in between: no polling. True when done. An expired
// session throws CliError (exit 1); a connection loss is waited out.
bool waitForCluster(Context& ctx, ReadOptions read, std::chrono::milliseconds timeout,
                    const std::function<bool(const model::ClusterSnapshot&)>& done);

}  // namespace sm::ctl
