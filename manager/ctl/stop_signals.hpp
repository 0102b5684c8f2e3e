#pragma once
#include <signal.h>

namespace sm::ctl {

// SIGINT and SIGTERM, which the commands that run until stopped (`watch`, `events --follow`) take
// through a signalfd so that they end cleanly (the session closed, nothing half-printed). They are
// blocked before the session's threads start, which inherit the mask.
inline sigset_t stopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace sm::ctl
