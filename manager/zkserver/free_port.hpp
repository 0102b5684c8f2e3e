#pragma once

namespace sm::zkserver {

// A TCP port on 127.0.0.1 that nothing listens on right now. Another process may take it before
// we do; callers that fail to bind pick again.
int freeLoopbackPort();

}  // namespace sm::zkserver
