#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace sm::zkserver {

// Sends a ZooKeeper "four-letter word" (ruok, srvr, mntr, ...) to 127.0.0.1:port and returns the
// whole answer, or nullopt when nothing answers within the timeout.
std::optional<std::string> fourLetterWord(
    int port, const std::string& word,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

// The same to host:port, `host` an IPv4 address (a server in another network namespace).
std::optional<std::string> fourLetterWord(
    const std::string& host, int port, const std::string& word,
    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

// The server's role from `srvr` ("standalone", "leader", "follower"), or nullopt while it does
// not serve. `ruok` answers "imok" even before a server serves or without a quorum, so readiness
// must be read from here.
std::optional<std::string> serverMode(int port);
std::optional<std::string> serverMode(const std::string& host, int port);

// One numeric line of `mntr` (e.g. "zk_packets_received"), or nullopt.
std::optional<long long> monitorValue(int port, const std::string& key);

}  // namespace sm::zkserver
