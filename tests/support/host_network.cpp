#include "tests/support/host_network.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/net_command.hpp"

namespace sm::test {

namespace {

constexpr const char* kHostInterface = "veth0";
// Locally administered, fixed: a bridge otherwise takes the lowest MAC of its ports, which changes
// as hosts come and go and leaves stale neighbour entries behind.
constexpr const char* kBridgeMac = "02:00:7f:64:00:01";
// Nobody has it: frames sent to it are flooded by the bridge and dropped by every NIC.
constexpr const char* kNowhereMac = "02:00:7f:64:de:ad";

bool hasPrefix(const std::string& name) {
  return name.rfind(HostNetwork::kPrefix, 0) == 0;
}

std::vector<std::string> prefixedNamespaces() {
  std::vector<std::string> names;
  std::istringstream lines(runCommand({"ip", "netns", "list"}).output);
  std::string line;
  while (std::getline(lines, line)) {
    auto name = line.substr(0, line.find(' '));
    if (hasPrefix(name)) names.push_back(name);
  }
  return names;
}

// `ip -o link` lines are "7: smh-h1@if6: <...> ...": the name ends at '@' or ':'.
std::vector<std::string> prefixedLinks() {
  std::vector<std::string> names;
  std::istringstream lines(runCommand({"ip", "-o", "link", "show"}).output);
  std::string line;
  while (std::getline(lines, line)) {
    auto start = line.find(": ");
    if (start == std::string::npos) continue;
    start += 2;
    auto name = line.substr(start, line.find_first_of("@:", start) - start);
    if (hasPrefix(name)) names.push_back(name);
  }
  return names;
}

// A sysctl of a device in our own namespace: it goes away with the device.
void setRootDeviceSysctl(const std::string& device, const std::string& key,
                         const std::string& value) {
  const auto path = "/proc/sys/net/ipv4/conf/" + device + "/" + key;
  std::ofstream out(path);
  out << value << "\n";
  out.flush();
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace

std::string HostNetwork::unavailableReason() {
  if (::geteuid() != 0) {
    return "not root: the multi-host harness makes network namespaces, veths and a bridge "
           "(`ip netns add` needs CAP_SYS_ADMIN and CAP_NET_ADMIN); CI runs as root";
  }
  if (runCommand({"ip", "-V"}).exitCode != 0) {
    return "iproute2's `ip` is not installed (scripts/install-deps installs it)";
  }
  if (runCommand({"bridge", "-V"}).exitCode != 0) {
    return "iproute2's `bridge` is not installed (scripts/install-deps installs it)";
  }
  const auto probe = std::string(kPrefix) + "probe-" + std::to_string(::getpid());
  auto made = runCommand({"ip", "netns", "add", probe});
  runCommand({"ip", "netns", "del", probe});
  if (made.exitCode != 0)
    return "this kernel or container refuses network namespaces: " + made.output;
  return "";
}

void HostNetwork::sweepLeftovers() {
  // Links first: deleting a root-side veth end takes the end inside its namespace with it, even
  // when a process still holds that namespace.
  for (const auto& link : prefixedLinks()) runCommand({"ip", "link", "del", link});
  for (const auto& ns : prefixedNamespaces()) runCommand({"ip", "netns", "del", ns});
}

std::vector<std::string> HostNetwork::leftovers() {
  std::vector<std::string> found;
  for (const auto& ns : prefixedNamespaces()) found.push_back("netns " + ns);
  for (const auto& link : prefixedLinks()) found.push_back("link " + link);
  return found;
}

HostNetwork::HostNetwork() {
  lockFd_ = ::open(kLockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lockFd_ < 0) throw std::runtime_error(std::string("cannot open ") + kLockFile);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(lockFd_);
      throw std::runtime_error(std::string("another host network holds ") + kLockFile +
                               " for more than 60 s");
    }
    // The lock's holder is another process: no condition of ours to wait on.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  try {
    // The lock is ours: whatever has the prefix now belongs to a run that is gone.
    sweepLeftovers();
    runChecked({"ip", "link", "add", kBridge, "address", kBridgeMac, "type", "bridge"});
    setRootDeviceSysctl(kBridge, "route_localnet", "1");
    runChecked({"ip", "addr", "add", std::string(kBridgeAddress) + "/24", "dev", kBridge});
    runChecked({"ip", "link", "set", kBridge, "up"});
  } catch (...) {
    sweepLeftovers();
    ::close(lockFd_);
    throw;
  }
}

HostNetwork::~HostNetwork() {
  for (const auto& [name, host] : hosts_) runCommand({"ip", "link", "del", host.bridgePort});
  for (const auto& [name, host] : hosts_) runCommand({"ip", "netns", "del", host.netns});
  runCommand({"ip", "link", "del", kBridge});
  sweepLeftovers();  // anything a failed addHost() left half made
  ::close(lockFd_);  // releases the lock
}

const NetHost& HostNetwork::addHost(const std::string& name, int octet) {
  if (octet < 2 || octet > 254) throw std::invalid_argument("host octet out of 2..254");
  NetHost host{name, kPrefix + name, "127.100.0." + std::to_string(octet), kPrefix + name};
  for (const auto& [other, known] : hosts_) {
    if (other == name || known.address == host.address) {
      throw std::invalid_argument("host " + name + " or " + host.address + " already exists");
    }
  }
  hosts_[name] = host;  // before anything is made: the destructor removes what was
  const auto& ns = host.netns;
  runChecked({"ip", "netns", "add", ns});
  runChecked({"ip", "link", "add", host.bridgePort, "type", "veth", "peer", "name", kHostInterface,
              "netns", ns});
  setRootDeviceSysctl(host.bridgePort, "route_localnet", "1");
  runChecked({"ip", "link", "set", host.bridgePort, "master", kBridge, "up"});
  runChecked({"ip", "-n", ns, "link", "set", "lo", "up"});
  runChecked({"ip", "-n", ns, "addr", "add", host.address + "/24", "dev", kHostInterface});
  // /proc/sys/net is the reader's namespace's: written from inside it. Without route_localnet a
  // 127/8 packet arriving on (or leaving by) a real interface is a martian and dropped.
  runChecked({"ip", "netns", "exec", ns, "sh", "-c",
              std::string("echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet && "
                          "echo 1 > /proc/sys/net/ipv4/conf/") +
                  kHostInterface + "/route_localnet"});
  runChecked({"ip", "-n", ns, "link", "set", kHostInterface, "up"});
  return hosts_[name];
}

const NetHost& HostNetwork::host(const std::string& name) const {
  auto it = hosts_.find(name);
  if (it == hosts_.end()) throw std::invalid_argument("no host " + name);
  return it->second;
}

void HostNetwork::cut(const NetHost& host) {
  // A disabled port drops every frame in both directions; the host's own link stays up, so its
  // sockets see nothing at all.
  runChecked({"bridge", "link", "set", "dev", host.bridgePort, "state", "0"});
}

void HostNetwork::setNeighbour(const NetHost& in, const NetHost& of, bool blackhole) {
  if (blackhole) {
    runChecked({"ip", "-n", in.netns, "neigh", "replace", of.address, "lladdr", kNowhereMac, "dev",
                kHostInterface, "nud", "permanent"});
  } else {
    runCommand({"ip", "-n", in.netns, "neigh", "del", of.address, "dev", kHostInterface});
  }
}

void HostNetwork::cutBetween(const NetHost& a, const NetHost& b) {
  cutPairs_.insert({a.name, b.name});
  setNeighbour(a, b, true);
  setNeighbour(b, a, true);
}

void HostNetwork::heal(const NetHost& host) {
  runChecked({"bridge", "link", "set", "dev", host.bridgePort, "state", "3"});  // forwarding
  for (auto it = cutPairs_.begin(); it != cutPairs_.end();) {
    if (it->first != host.name && it->second != host.name) {
      ++it;
      continue;
    }
    setNeighbour(hosts_.at(it->first), hosts_.at(it->second), false);
    setNeighbour(hosts_.at(it->second), hosts_.at(it->first), false);
    it = cutPairs_.erase(it);
  }
}

}  // namespace sm::test
