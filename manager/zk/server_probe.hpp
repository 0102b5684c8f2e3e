#pragma once
#include <chrono>
#include <string>

namespace sm::zk {

// Whether a connect string ("host:port,host:port[/chroot]") has a server that accepts TCP
// connections, tried at all of them at once within `timeout`. False only when every one refused
// or is unreachable: a session would then just wait out its whole connect timeout, retrying. A
// server that neither accepts nor refuses in time counts as accepting (the session decides).
bool anyServerAccepts(const std::string& connectString, std::chrono::milliseconds timeout);

}  // namespace sm::zk
