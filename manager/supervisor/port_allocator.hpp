#pragma once

#include <set>
#include <string>

namespace sm::supervisor {

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
