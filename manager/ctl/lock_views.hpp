#pragma once
// The renderers of `servicesctl get locks` and of describe's "Locks:" section: pure functions of
// the locks read (lock_reader.hpp) and the time.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manager/ctl/lock_reader.hpp"
#include "manager/ctl/output_format.hpp"

namespace sm::ctl {

// NAME, HOLDER (type/host/pid), TOKEN, WAITERS, HELD-FOR; problems under the table.
std::string locksTable(const std::vector<model::ResourceLockView>& locks, std::int64_t nowMs);
// One object per lock: name, token, waiters, heldForMs, holder {type, logicalService, uuid, host,
// pid, queued, heldSince}, waiting [{...}].
nlohmann::ordered_json locksDocument(const std::vector<model::ResourceLockView>& locks, std::int64_t nowMs);
std::string renderLocks(const std::vector<model::ResourceLockView>& locks, OutputFormat format,
                        std::int64_t nowMs);
// describe <type>: the locks its processes hold or wait for ("" when none).
std::string typeLocksSection(const std::vector<model::ResourceLockView>& locks, const std::string& type,
                             std::int64_t nowMs);

}  // namespace sm::ctl
