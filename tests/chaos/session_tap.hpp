#pragma once
// A TCP relay in front of every server of an ensemble, for one daemon: the daemon's
// connect string names the relay's ports, and the relay reads (without changing) each handshake
// answer the servers send, so the suite knows the daemon's current session id and password. With
// them it can expire the session from outside (attach and close, as Curator's KillSession does),
// and the checker can tell a znode of the daemon's live session from one of a session it lost.
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "manager/zk/types.hpp"

namespace sm::test {

struct TapEndpoint {
  std::string address;  // IPv4, dotted
  int port = 0;
};

class SessionTap {
 public:
  // Servers on 127.0.0.1, the relay on 127.0.0.1.
  explicit SessionTap(std::vector<int> serverPorts);
  // Servers anywhere, the relay on `listenAddress` (ports chosen by the kernel).
  SessionTap(std::vector<TapEndpoint> servers, std::string listenAddress);
  ~SessionTap();
  SessionTap(const SessionTap&) = delete;
  SessionTap& operator=(const SessionTap&) = delete;

  // "<listen address>:p1,<listen address>:p2,..." in the servers' order.
  std::string connectString() const;
  // The session of the last handshake a server accepted (nullopt before the first).
  std::optional<zk::SessionCredentials> session() const;
  // Forgets the session (after the daemon using the tap is gone), so that no znode counts as its.
  void forget();
  // Cut off: while on, nothing is relayed either way and new connections hang, as if the network
  // between the daemon and every server were down (the servers hear nothing and expire the
  // session after its timeout; the daemon keeps running).
  void cutOff(bool on);
  // The index of the server the daemon's last connection was relayed to (nullopt before the
  // first): the server its session talks to now, unless it is reconnecting.
  std::optional<std::size_t> lastServer() const;

 private:
  struct Link {
    int client = -1;
    int server = -1;
    bool handshakeSeen = false;
    std::vector<char> handshake;  // the server's first frame, until complete
    std::vector<char> toClient;   // bytes not yet written
    std::vector<char> toServer;
  };
  void run();
  void accept(size_t index);
  bool pump(int from, std::vector<char>& pending, Link& link, bool fromServer);
  bool flush(int to, std::vector<char>& pending);
  void readHandshake(Link& link, const char* data, size_t size);

  std::vector<TapEndpoint> servers_;
  std::string listenAddress_;
  std::vector<int> listeners_;
  std::vector<int> ports_;
  int wake_[2] = {-1, -1};
  std::vector<Link> links_;
  mutable std::mutex mutex_;
  std::optional<zk::SessionCredentials> session_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> cutOff_{false};
  std::atomic<int> lastServer_{-1};
  std::thread thread_;
};

}  // namespace sm::test
