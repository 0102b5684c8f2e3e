#pragma once
// An ObservedState with one logical service of three instances, this host running its master.
#include "manager/observe/observed_state.hpp"

namespace sm::test {

inline constexpr std::uint64_t kNowNs = 1'000'000'000'000;
inline const std::string kMasterUuid = "0f0e0d0c-0b0a-4908-8706-050403020100";
inline const std::string kSecondaryUuid = "1f0e0d0c-0b0a-4908-8706-050403020100";

inline observe::ObservedState sampleState() {
  observe::ObservedState state;
  state.hostId = "h1";
  state.publishedAt = std::chrono::steady_clock::now();
  state.zkSessionState = "connected";
  state.zkRequests = {{"create", 12}, {"getData", 40}};
  state.zkConnected = true;
  observe::ObservedInstance master;
  master.uuid = kMasterUuid;
  master.type = "Demo";
  master.logical = "logicalService0000000000";
  master.phase = "running";
  master.role = "master";
  master.epoch = 7;
  master.leaseUntilMonoNs = kNowNs + 2'000'000'000;
  master.pid = 0;
  master.ports = {{"http", 4100}};
  observe::ObservedInstance secondary = master;
  secondary.uuid = kSecondaryUuid;
  secondary.logical = "logicalService0000000001";
  secondary.role = "secondary";
  secondary.leaseUntilMonoNs = 0;
  state.instances = {master, secondary};
  state.logicalServices = {{"Demo", "logicalService0000000000"},
                           {"Demo", "logicalService0000000001"},
                           {"Other\"type", "logicalService0000000000"}};
  state.restartsByType["Demo"] = 2;
  state.failoverSeconds.observe(0.003);
  state.reconcilePassSeconds.observe(0.0002);
  return state;
}

}  // namespace sm::test
