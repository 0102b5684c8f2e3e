#pragma once
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace sm::test {

// A TCP proxy on 127.0.0.1 in front of one ZooKeeper server that can lose an answer on purpose:
// the server applies the request, and the client sees only a broken connection. That is the case
// a retried create must survive without leaving a second node, made deterministic.
class ReplyDroppingProxy {
 public:
  explicit ReplyDroppingProxy(int serverPort);
  ~ReplyDroppingProxy();
  ReplyDroppingProxy(const ReplyDroppingProxy&) = delete;
  ReplyDroppingProxy& operator=(const ReplyDroppingProxy&) = delete;

  int port() const { return port_; }
  // The server's next answer to a request (not a ping, not a watch event) is thrown away, and
  // every connection through the proxy is cut.
  void dropNextReplyThenDisconnect() { armed_ = true; }
  int droppedReplies() const { return dropped_; }

 private:
  struct Link {
    int client;
    int server;
    bool handshakeDone = false;  // the first answer is the session handshake, framed differently
    std::vector<char> fromServer;
  };
  void run();
  void accept();
  bool forwardFromClient(Link& link);
  bool forwardFromServer(Link& link);
  void cutAll();

  int serverPort_;
  int listener_ = -1;
  int port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> armed_{false};
  std::atomic<int> dropped_{0};
  std::vector<Link> links_;
  std::thread thread_;
};

}  // namespace sm::test
