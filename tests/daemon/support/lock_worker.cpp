// sm-lock-test-worker: a managed process of the lock tests (tests/daemon/locks_test.cpp) and of the
// lock bench (bench/daemon/lock_bench.cpp), built on the services/ lock client only. Configured by
// its environment (the service type's env):
//   LOCK_WORKER_MODE   mutex | hold | badinput
//   LOCK_WORKER_NAME   the lock's name
//   LOCK_WORKER_DIR    where it reports (files named by its pid, and one shared events file)
//   LOCK_WORKER_ROUNDS mutex: acquisitions to make
// mutex: ROUNDS acquisitions; under the lock it checks and updates DIR/state, a file every holder
// rewrites ("<holder pid or -> <last token> <count>"): another holder inside, or a token not above
// the last, is a violation. Writes DIR/<pid>.done ("ok <rounds>" or what went wrong).
// hold: acquires, appends "held <pid> <token> <monotonic ns> <host>" to DIR/events, holds until the
// hold ends, appends "lost <pid> <token> <monotonic ns> <reason>", and waits to be stopped
// (lock_worker_events.hpp reads that file).
// badinput: asks for what must be refused; writes DIR/<pid>.badinput ("ok" or the failures).
// After its work every mode waits for SIGTERM (so that the restart policy never replaces it).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "services/lock_client.hpp"
#include "services/sm_lock.h"

namespace {

std::string env(const char* name, const char* fallback = "") {
  const char* value = std::getenv(name);
  return value ? value : fallback;
}

void appendLine(const std::string& path, const std::string& line) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string text = line + "\n";
  [[maybe_unused]] auto n = ::write(fd, text.data(), text.size());  // one write: atomic append
  ::close(fd);
}

void writeFile(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text << "\n";
  }
  std::rename(tmp.c_str(), path.c_str());
}

[[noreturn]] void waitForStop() {
  for (;;) ::pause();
}

// One critical section of the mutex check; empty when all was well.
std::string checkedSection(const std::string& stateFile, std::int64_t token) {
  std::string holder = "-";
  long long last = -1;
  long long count = 0;
  {
    std::ifstream in(stateFile);
    if (in) in >> holder >> last >> count;
  }
  std::ostringstream problem;
  if (holder != "-") problem << "holder " << holder << " inside with us (token " << token << ")";
  if (token <= last) problem << " token " << token << " not above " << last;
  const std::string me = std::to_string(::getpid());
  writeFile(stateFile, me + " " + std::to_string(token) + " " + std::to_string(count + 1));
  {
    std::ifstream in(stateFile);
    std::string again;
    in >> again;
    if (again != me) problem << " state rewritten by " << again << " while we held the lock";
  }
  writeFile(stateFile, "- " + std::to_string(token) + " " + std::to_string(count + 1));
  return problem.str();
}

int mutexMode(const std::string& name, const std::string& dir) {
  const int rounds = std::atoi(env("LOCK_WORKER_ROUNDS", "200").c_str());
  const std::string done = dir + "/" + std::to_string(::getpid()) + ".done";
  try {
    sm::services::LockClient client;
    std::string problems;
    for (int i = 0; i < rounds; ++i) {
      auto hold = client.acquire(name, std::chrono::milliseconds(-1));
      if (!hold) return writeFile(done, "not held"), 1;
      problems += checkedSection(dir + "/state", hold->token);
      if (!client.held(name)) problems += " lost while held;";
      client.release(name);
    }
    writeFile(done, problems.empty() ? "ok " + std::to_string(rounds) : problems);
  } catch (const std::exception& e) {
    writeFile(done, std::string("error ") + e.what());
  }
  waitForStop();
}

int holdMode(const std::string& name, const std::string& dir) {
  const std::string events = dir + "/events";
  const std::string pid = std::to_string(::getpid());
  try {
    sm::services::LockClient client;
    auto hold = client.acquire(name, std::chrono::milliseconds(-1));
    const auto heldAt = sm::services::lockClockNowNs();
    if (!hold) waitForStop();
    appendLine(events, "held " + pid + " " + std::to_string(hold->token) + " " +
                           std::to_string(heldAt) + " " + env("SM_HOST_ID"));
    for (;;) {
      auto ended = client.waitForChange(std::chrono::seconds(1));
      if (!ended.empty()) {
        appendLine(events, "lost " + pid + " " + std::to_string(hold->token) + " " +
                               std::to_string(sm::services::lockClockNowNs()) + " " +
                               sm::services::lockwire::percentEncode(client.lostReason(name)));
        break;
      }
    }
  } catch (const std::exception& e) {
    appendLine(events, "error " + pid + " " + sm::services::lockwire::percentEncode(e.what()));
  }
  waitForStop();
}

// The error text of a request that must fail; "" when it did not fail.
template <typename F>
std::string errorOf(F&& request) {
  try {
    request();
  } catch (const sm::services::LockError& e) {
    return e.what();
  }
  return "";
}

int badInputMode(const std::string& dir) {
  std::string failures;
  auto expect = [&failures](const std::string& what, const std::string& error,
                            const std::string& wanted) {
    if (error.find(wanted) == std::string::npos) {
      failures += what + ": got \"" + error + "\", wanted \"" + wanted + "\"; ";
    }
  };
  try {
    sm::services::LockClient client;
    using std::chrono::milliseconds;
    expect("empty name", errorOf([&] { client.tryAcquire(""); }), "name: must not be empty");
    expect("long name", errorOf([&] { client.tryAcquire(std::string(10000, 'a')); }),
           "name: must be at most 128 characters");
    expect("slash", errorOf([&] { client.tryAcquire("a/b"); }), "name: may contain only");
    expect("release not held", errorOf([&] { client.release("never-held"); }),
           "name: never-held is not held");
    // 10,000 locks: the first 64 are held, every later one refused with a reason.
    int held = 0;
    std::string capError;
    for (int i = 0; i < 10000; ++i) {
      try {
        if (client.tryAcquire("many-" + std::to_string(i))) ++held;
      } catch (const sm::services::LockError& e) {
        if (capError.empty()) capError = e.what();
      }
    }
    if (held != 64) failures += "held " + std::to_string(held) + " of 10000, wanted 64; ";
    expect("too many", capError, "locks, the most one process may");
    for (int i = 0; i < held; ++i) client.release("many-" + std::to_string(i));
    // Still serving after all that.
    if (!client.tryAcquire("after-bad-input")) failures += "after-bad-input not held; ";
    client.release("after-bad-input");
    // The C API, on a connection of its own.
    char err[256] = "";
    sm_lock_client* c = sm_lock_connect(nullptr, err, sizeof err);
    std::int64_t token = -1;
    if (!c) {
      failures += std::string("sm_lock_connect: ") + err + "; ";
    } else {
      if (sm_lock_try(c, "c-api", &token, err, sizeof err) != 0 || token < 0) {
        failures += std::string("sm_lock_try: ") + err + "; ";
      }
      if (sm_lock_held(c, "c-api") != 1) failures += "sm_lock_held is not 1; ";
      if (sm_lock_release(c, "c-api", err, sizeof err) != 0) {
        failures += std::string("sm_lock_release: ") + err + "; ";
      }
      if (sm_lock_held(c, "c-api") != 0) failures += "sm_lock_held after release is not 0; ";
      if (sm_lock_release(c, "c-api", err, sizeof err) != -1 ||
          std::string(err).find("name: c-api is not held") == std::string::npos) {
        failures += std::string("second sm_lock_release: ") + err + "; ";
      }
      if (sm_lock_acquire(c, "", 10, &token, err, sizeof err) != -1 ||
          std::string(err).find("name: must not be empty") == std::string::npos) {
        failures += std::string("sm_lock_acquire(\"\"): ") + err + "; ";
      }
      sm_lock_close(c);
    }
  } catch (const std::exception& e) {
    failures += std::string("unexpected: ") + e.what();
  }
  writeFile(dir + "/" + std::to_string(::getpid()) + ".badinput",
            failures.empty() ? "ok" : failures);
  waitForStop();
}

}  // namespace

int main() {
  // SIGTERM ends it (the default action); nothing to clean up.
  const std::string mode = env("LOCK_WORKER_MODE");
  const std::string name = env("LOCK_WORKER_NAME", "test-lock");
  const std::string dir = env("LOCK_WORKER_DIR", ".");
  if (mode == "mutex") return mutexMode(name, dir);
  if (mode == "hold") return holdMode(name, dir);
  if (mode == "badinput") return badInputMode(dir);
  std::fprintf(stderr, "sm-lock-test-worker: LOCK_WORKER_MODE must be mutex, hold or badinput\n");
  return 2;
}
