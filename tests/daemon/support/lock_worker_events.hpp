#pragma once
// Reads the events file sm-lock-test-worker writes in `hold` mode (lock_worker.cpp): one line per
// event, "held|lost <pid> <token> <monotonic ns> <host|reason>" or "error <pid> <reason>". For the
// lock tests and the lock bench.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace sm::test {

struct LockEvent {
  std::string kind;  // held, lost, error
  long long pid = 0;
  long long token = 0;
  unsigned long long atNs = 0;
  std::string rest;  // host (held) or reason (lost, error)
};

// Every event so far, in the order written; none when the file does not exist yet.
inline std::vector<LockEvent> readLockEvents(const std::filesystem::path& file) {
  std::vector<LockEvent> out;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    LockEvent e;
    words >> e.kind >> e.pid;
    if (e.kind != "error") words >> e.token >> e.atNs;
    words >> e.rest;
    out.push_back(e);
  }
  return out;
}

}  // namespace sm::test
