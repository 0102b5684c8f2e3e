#pragma once

#include <set>
#include <string>

namespace sm::supervisor {

// Whether a service could bind 127.0.0.1:`port` now (SO_REUSEADDR, as servers set it: a
// connection of an earlier run in TIME_WAIT does not count, a listener or another program's
// socket on it does).
bool portIsFree(int port);

// Hands out free TCP ports on 127.0.0.1 by asking the kernel (bind to port 0). A port is only
// reserved against this allocator's other instances: between allocation and the service's own
// bind another program could take it, the usual limit of this scheme.
class PortAllocator {
 public:
  // Returns 0 and sets `error` on failure.
  int allocate(std::string& error);
  void release(int port);

 private:
  std::set<int> inUse_;
};

}  // namespace sm::supervisor
