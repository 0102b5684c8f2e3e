#pragma once
// Samples every live instance's role file many times a second and records any moment when two
// instances of one logical service both act as master (effectiveRole == Master, lease included),
// and how long each logical service went without any master. An instance counts only while its
// process (pid from the tree, checked in /proc) is alive. The uuid -> logical service/pid map comes
// from the tree, read with the sampler's own session every `treeRefresh`, and at once when a role
// file of an instance it does not know yet says master.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/layout.hpp"
#include "manager/zk/session.hpp"

namespace sm::test {

class MasterSampler {
 public:
  struct Violation {
    std::chrono::steady_clock::time_point at;
    std::string logical;
    std::vector<std::string> masters;  // "uuid host pid epoch"
  };

  MasterSampler(std::shared_ptr<zk::Session> session, config::Layout layout,
                std::vector<std::filesystem::path> workDirs,
                std::chrono::milliseconds period = std::chrono::milliseconds(4),
                std::chrono::milliseconds treeRefresh = std::chrono::milliseconds(100));
  ~MasterSampler();
  MasterSampler(const MasterSampler&) = delete;
  MasterSampler& operator=(const MasterSampler&) = delete;

  void stop();
  std::vector<Violation> violations() const;
  std::size_t samples() const { return samples_; }
  // The longest time a logical service that had a master went without one while it was in the
  // tree (a gap still open counts up to now).
  std::chrono::milliseconds longestGapWithoutMaster(std::string* which = nullptr) const;
  // Logical services in which a master was seen at least once.
  std::set<std::string> logicalServicesWithMaster() const;
  // The masters seen in one logical service, in order (consecutive repeats collapsed).
  std::vector<std::string> masterHistory(const std::string& logical) const;
  std::string report() const;

 private:
  struct Known {
    std::string logical;
    std::string host;
    long long pid = 0;
  };
  struct Gap {
    bool seenMaster = false;
    bool open = false;
    std::chrono::steady_clock::time_point since;
    std::chrono::milliseconds longest{0};
  };
  void run();
  void refreshTree();
  void sampleOnce();

  std::shared_ptr<zk::Session> session_;
  config::Layout layout_;
  std::vector<std::filesystem::path> workDirs_;
  std::chrono::milliseconds period_;
  std::chrono::milliseconds treeRefresh_;
  std::chrono::steady_clock::time_point lastRefresh_{};

  mutable std::mutex mutex_;
  std::map<std::string, Known> known_;                       // by uuid; never forgotten
  std::set<std::string> presentLogical_;                     // in the last tree read
  std::map<std::string, Gap> gaps_;                          // by logical key
  std::map<std::string, std::vector<std::string>> history_;  // by logical key: master uuids
  std::vector<Violation> violations_;
  std::string lastError_;
  std::atomic<std::size_t> samples_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sm::test
