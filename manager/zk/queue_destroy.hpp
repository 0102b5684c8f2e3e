#pragma once
#include <optional>
#include <string>
#include <vector>

#include "manager/zk/op.hpp"
#include "manager/zk/session.hpp"

namespace sm::zk {

// Removes a queue's directory with every contender in one multi(), the highest sequence first: a
// member then hears of its own node's removal before its predecessor's, and never takes a destroyed
// queue for its own (see QueueMember's fast path). Contenders may come and go while we look; the
// multi() fails then and we look again, a bounded number of times.
//
// With a fence (QueueMember::fence() of the caller's own lock) it is the multi's first operation:
// when it fails the MultiError is thrown, so a caller that lost its lock destroys nothing. Returns
// false when the directory was already gone.
bool destroyQueue(Session& session, const std::string& dir,
                  const std::optional<Op>& fence = std::nullopt);

// The operations that remove a queue's members (`names`, as children of `dir`) and then the
// directory, in the order destroyQueue() uses (sortForRemoval): for a caller that removes a queue
// in a multi() of its own, beside what the queue stands for.
std::vector<Op> queueRemovalOps(const std::string& dir, std::vector<std::string> names);

}  // namespace sm::zk
