#pragma once
// TCP sockets that live in a host's network namespace, made from the test's own process: a short
// thread enters the namespace (setns affects only the calling thread), makes the socket and ends;
// the socket stays in that namespace for good.
#include <chrono>
#include <string>

#include "tests/support/host_network.hpp"

namespace sm::test {

// A listening socket on host.address:port inside the host's namespace; -1 on failure.
int listenIn(const NetHost& host, int port);
// How a connect from `from` (nullptr: the test's own namespace) to address:port went within
// `timeout`: "connected", "timeout" (nothing came back: a silent drop) or the error ("refused").
std::string connectFrom(const NetHost* from, const std::string& address, int port,
                        std::chrono::milliseconds timeout);

// Sends one request line to address:port from the test's own namespace and returns the first
// answer line ("" when nothing answers within about two seconds).
std::string askLine(const std::string& address, int port, const std::string& request);

}  // namespace sm::test
