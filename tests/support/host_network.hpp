#pragma once
// Hosts with their own network stack on one machine, for partition tests: each host is a network
// namespace with one address, reached through a veth whose other end is a port of one bridge in
// our namespace (which holds 127.100.0.1, so the test itself reaches every host). Only
// loopback-range addresses are used: the bridge and every host interface get route_localnet, which
// is what lets 127.0.0.0/8 travel over a link at all.
//
//   root namespace: bridge smh-br 127.100.0.1/24 (fixed MAC), ports smh-<host>
//   namespace smh-<host>: lo up, veth0 127.100.0.<octet>/24
//
// Cuts are silent, as a real partition is: packets vanish, nobody gets a reset or an error.
//   cut(host)           its bridge port is disabled: nothing reaches it or leaves it
//   cutBetween(a, b)    a and b keep their neighbour entries for each other pointed at a MAC
//                       nobody has: the bridge floods their frames, every NIC drops them, and
//                       both still reach everyone else
//   heal(host)          undoes both for that host
// Both need only iproute2, no firewall: CI machines (containers) may have neither nftables nor
// iptables, nor tc's netem qdisc or classifiers (this one has none of them).
// Everything is named with the prefix smh- and removed by the destructor; a run that died without
// it (SIGKILL) leaves names that the next HostNetwork sweeps before it builds anything. Only one
// HostNetwork exists on the machine at a time (a lock file; the addresses are fixed), and nothing
// of the root namespace other than the links it creates is changed (route_localnet is set per
// device there, never for `all`).
#include <sys/types.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace sm::test {

struct NetHost {
  std::string name;        // h1, zk2 ...
  std::string netns;       // smh-<name>: run a process there with `ip netns exec <netns> ...`
  std::string address;     // 127.100.0.<octet>
  std::string bridgePort;  // the root namespace's end of its veth (smh-<name>)
};

class HostNetwork {
 public:
  static constexpr const char* kPrefix = "smh-";
  static constexpr const char* kBridge = "smh-br";
  static constexpr const char* kBridgeAddress = "127.100.0.1";
  // flock()ed by a live HostNetwork: one per machine.
  static constexpr const char* kLockFile = "/run/servicesmgr-host-network.lock";

  // Why namespaces cannot be made here ("" when they can): not root, no `ip`, a kernel that
  // refuses. Tests skip with this message.
  static std::string unavailableReason();
  // Removes every namespace and link whose name starts with kPrefix (what a killed run left).
  static void sweepLeftovers();
  // What exists now with kPrefix: "netns <name>" and "link <name>" lines, for the cleanup checks.
  static std::vector<std::string> leftovers();

  // Takes the machine-wide lock (waits up to 60 s for another run to finish), sweeps, makes the
  // bridge. Throws std::runtime_error with the failing command when something cannot be made.
  HostNetwork();
  ~HostNetwork();  // removes every namespace, link and bridge it made, and releases the lock
  HostNetwork(const HostNetwork&) = delete;
  HostNetwork& operator=(const HostNetwork&) = delete;

  // A new host at 127.100.0.<octet> (2..254, not used yet).
  const NetHost& addHost(const std::string& name, int octet);
  const NetHost& host(const std::string& name) const;

  void cut(const NetHost& host);
  void cutBetween(const NetHost& a, const NetHost& b);
  void heal(const NetHost& host);

 private:
  void setNeighbour(const NetHost& in, const NetHost& of, bool blackhole);

  int lockFd_ = -1;
  std::map<std::string, NetHost> hosts_;
  std::set<std::pair<std::string, std::string>> cutPairs_;
};

}  // namespace sm::test
