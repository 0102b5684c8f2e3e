#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "manager/zk/queue_member.hpp"

namespace sm::zk {

// A master election over the same queue as Lock: the lowest member is master, the order of the
// rest is the failover chain, and each member watches only its predecessor. The master's epoch is
// its node's sequence number, which only grows within one election directory (a fencing token).
class Election {
 public:
  struct Callbacks {
    std::function<void(int64_t epoch)> onMaster;
    // The member we follow in the failover chain. Only the predecessor is watched (no herd), so
    // members further ahead leaving is not reported; members() reads the whole chain.
    std::function<void(const std::string& predecessor)> onSecondary;
    // The candidacy is over (session expired, node removed, election destroyed); join() again
    // to stand once more. After leave() nothing is called.
    std::function<void(LossReason)> onLost;
    // Optional: the master's connection is lost, so it is not sure to be master any more and must
    // stop acting as one. onMaster follows once the reconnected session reads it first again
    // (or onLost, when the session expired meanwhile).
    // (The initializer keeps positional {onMaster, onSecondary, onLost} initializations free of
    // -Wmissing-field-initializers.)
    std::function<void()> onSuspended = {};
    // Optional: onMaster may run on the client's own thread, one hop before the dispatcher, when a
    // watch alone makes us master (see QueueMember::Listener::onFirstEarly). No callback may then
    // block or call ZooKeeper (that thread waits for one that runs), and onMaster may come twice
    // for the same epoch.
    bool masterEarly = false;
  };
  struct Member {
    std::string name;
    int64_t sequence = 0;
    std::string data;
  };

  Election(std::shared_ptr<Session> session, std::string dir, std::string data, Callbacks callbacks,
           std::string prefix = "lock-");
  ~Election();
  Election(const Election&) = delete;
  Election& operator=(const Election&) = delete;

  // Stands as a candidate; callbacks follow on the session's dispatcher thread.
  void join();
  // Stands with a node created elsewhere (e.g. registered in one multi() with what it stands for).
  void follow(const std::string& nodePath);
  // Withdraws (a master hands over to the next in line); never waits for a connection.
  void leave();
  // Stops following our member without deleting it (see QueueMember::abandon).
  void abandon();
  // Master, as read while connected: false while Suspended.
  bool isMaster() const;
  std::optional<int64_t> epoch() const;  // set while master
  std::string nodePath() const;
  // A read of the members found `name` first (see QueueMember::noteFirst): when it leaves, a
  // candidate right behind it is master without reading the members again.
  void noteMaster(const std::string& name);

  // The members in failover order, as an outside observer reads them (the first is master).
  static std::vector<Member> members(Session& session, const std::string& dir,
                                     const std::string& prefix = "lock-");

 private:
  // What the callbacks reach: it outlives this object, so the destructor need not wait for the
  // dispatcher (which may be stuck on a lost connection).
  struct Shared;
  std::shared_ptr<QueueMember> newMember();
  // Our member, no longer ours to follow (and no longer master).
  std::shared_ptr<QueueMember> takeMember();

  std::shared_ptr<Session> session_;
  std::string dir_;
  std::string data_;
  std::string prefix_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace sm::zk
