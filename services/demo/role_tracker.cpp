#include "services/demo/role_tracker.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace sm::services::demo {

namespace {

std::string jsonString(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

RoleTracker::RoleTracker(std::string roleFile) : roleFile_(std::move(roleFile)) {}

void RoleTracker::refresh(const std::string& via) {
  std::string error;
  auto info = readRoleFile(roleFile_, &error);
  if (info) {
    file_ = *info;
    fileRead_ = true;
    readError_.clear();
  } else {
    readError_ = error;
  }
  noteIfChanged(via);
}

void RoleTracker::checkLease() {
  noteIfChanged("lease-expired");
}

std::uint64_t RoleTracker::leaseRemainingNs() const {
  std::uint64_t now = monotonicNowNs();
  if (file_.role != Role::Master || file_.leaseUntilMonoNs <= now) return 0;
  return file_.leaseUntilMonoNs - now;
}

void RoleTracker::noteIfChanged(const std::string& via) {
  Role now = fileRead_ ? effectiveRole(file_) : Role::Unknown;
  if (now == believed_ && file_.epoch == believedEpoch_) return;
  // A secondary also says where its master is: what it would replicate from.
  const std::string master = masterEndpoint(file_, "http");
  std::printf("role change: %s -> %s epoch=%lld via=%s%s%s\n", roleName(believed_), roleName(now),
              static_cast<long long>(file_.epoch), via.c_str(),
              now == Role::Secondary && !master.empty() ? " master=" : "",
              now == Role::Secondary ? master.c_str() : "");
  std::fflush(stdout);
  believed_ = now;
  believedEpoch_ = file_.epoch;
  ++changes_;
  lastChangeVia_ = via;
}

std::string RoleTracker::masterHttpEndpoint() const {
  return masterEndpoint(file_, "http");
}

std::string RoleTracker::describeJson() const {
  const char* physicalId = std::getenv("SM_PHYSICAL_ID");
  std::string json = "{";
  json += "\"role\":" + jsonString(roleName(fileRead_ ? effectiveRole(file_) : Role::Unknown));
  json += ",\"fileRole\":" + jsonString(roleName(file_.role));
  json += ",\"epoch\":" + std::to_string(file_.epoch);
  json += ",\"leaseUntilMonoNs\":" + std::to_string(file_.leaseUntilMonoNs);
  json += ",\"leaseValid\":" + std::string(isMasterNow(file_) ? "true" : "false");
  json += ",\"masterPeer\":" + file_.masterPeerJson;
  json += ",\"masterAddress\":" + jsonString(file_.masterAddress);
  json += ",\"masterEndpoint\":" + jsonString(masterEndpoint(file_, "http"));
  json += ",\"physicalId\":" + jsonString(physicalId ? physicalId : "");
  json += ",\"pid\":" + std::to_string(getpid());
  json += ",\"changes\":" + std::to_string(changes_);
  json += ",\"lastChangeVia\":" + jsonString(lastChangeVia_);
  if (!readError_.empty()) json += ",\"readError\":" + jsonString(readError_);
  return json + "}";
}

}  // namespace sm::services::demo
