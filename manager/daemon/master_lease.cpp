#include "manager/daemon/master_lease.hpp"

#include <spdlog/spdlog.h>

#include "manager/zk/error.hpp"
#include "services/role.hpp"

namespace sm::daemon {

namespace {
// A node every server has, outside any federation's root: renewals show in no root's counters.
constexpr const char* kRoundTripPath = "/zookeeper";
// Only the test build servicesmgr-broken-lease (CMakeLists.txt) defines SM_TEST_BREAK_LEASE: its
// master leases never lapse, which breaks I1 on purpose so that the chaos suite can show that it
// catches a double master. The shipped servicesmgr has neither the branch nor a flag for it.
#ifdef SM_TEST_BREAK_LEASE
constexpr bool kLeasesNeverLapse = true;
#else
constexpr bool kLeasesNeverLapse = false;
#endif
// The deadline of a lease that never lapses: far enough to outlive any test, small enough that
// adding to it cannot overflow.
constexpr std::uint64_t kNeverLapses = std::uint64_t{1} << 62;
}  // namespace

MasterLease::MasterLease(DaemonContext& context) : context_(context) {}

std::chrono::nanoseconds MasterLease::length(std::chrono::milliseconds sessionTimeout) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(sessionTimeout) * 3 / 4;
}

std::chrono::milliseconds MasterLease::sessionTimeout() const {
  auto session = context_.session();
  auto negotiated = session ? session->negotiatedTimeout() : std::chrono::milliseconds(0);
  return negotiated.count() > 0 ? negotiated : context_.options.sessionTimeout;
}

std::uint64_t MasterLease::deadline() const {
  std::lock_guard lock(mutex_);
  return deadlineNs_;
}

std::uint64_t MasterLease::current() {
  if constexpr (kLeasesNeverLapse) return kNeverLapses;
  const auto quarter = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(sessionTimeout()).count() / 4);
  {
    std::lock_guard lock(mutex_);
    if (deadlineNs_ > services::monotonicNowNs() + quarter) return deadlineNs_;
  }
  const auto result = renew();
  return result > services::monotonicNowNs() ? result : 0;
}

std::uint64_t MasterLease::renew() {
  if constexpr (kLeasesNeverLapse) return kNeverLapses;
  const auto sent = services::monotonicNowNs();
  try {
    auto session = context_.session();
    if (!session || !session->connected()) return deadline();
    session->exists(kRoundTripPath);
  } catch (const zk::ZkError& e) {
    spdlog::debug("lease round trip failed: {}", e.what());
    return deadline();
  }
  const auto until = sent + static_cast<std::uint64_t>(length(sessionTimeout()).count());
  std::lock_guard lock(mutex_);
  if (sent > lastSendNs_) {
    lastSendNs_ = sent;
    deadlineNs_ = until;
  }
  return deadlineNs_;
}

}  // namespace sm::daemon
