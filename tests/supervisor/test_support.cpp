#include "tests/supervisor/test_support.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sm::supervisor::testing {

TempDir::TempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "sm-supervisor-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string writeScript(const TempDir& dir, const std::string& name, const std::string& body) {
  std::string path = dir.file(name);
  {
    std::ofstream out(path);
    out << "#!/bin/sh\n" << body << "\n";
  }
  chmod(path.c_str(), 0755);
  return path;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> readLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

bool processGone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size()) return true;
  char state = text[close + 2];
  return state == 'Z' || state == 'X';
}

std::string askLoopback(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  timeval twoSeconds{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &twoSeconds, sizeof twoSeconds);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  std::string answer;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;)
      answer.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return answer;
}

ProcessSpec testSpec(const std::string& instanceId, const TempDir& dir,
                     std::vector<std::string> argv) {
  ProcessSpec spec;
  spec.instanceId = instanceId;
  spec.argv = std::move(argv);
  spec.log.dir = dir.path();
  spec.restart.policy = RestartPolicy::Never;
  spec.restart.backoffInitialMs = 50;
  spec.restart.backoffMaxMs = 400;
  spec.stop.timeoutMs = 3000;
  spec.identity = {
      "127.0.0.1:2181",     "/sm-test", "Demo", "/sm-test/config/Demo/logicalService0000000001",
      "phys-" + instanceId, "host-test",  "", ""};
  return spec;
}

std::function<void(const InstanceEvent&)> EventRecorder::handler() {
  return [this](const InstanceEvent& event) {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  };
}

std::vector<InstanceEvent> EventRecorder::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::vector<InstanceEvent> EventRecorder::events(InstanceEvent::Kind kind,
                                                 const std::string& instanceId) const {
  std::vector<InstanceEvent> result;
  for (const auto& event : events()) {
    if (event.kind == kind && (instanceId.empty() || event.instanceId == instanceId))
      result.push_back(event);
  }
  return result;
}

int EventRecorder::count(InstanceEvent::Kind kind, const std::string& instanceId) const {
  return static_cast<int>(events(kind, instanceId).size());
}

std::optional<InstanceEvent> EventRecorder::waitFor(InstanceEvent::Kind kind,
                                                    const std::string& instanceId, int n,
                                                    std::chrono::milliseconds timeout) const {
  if (!testing::waitFor([&] { return count(kind, instanceId) >= n; }, timeout)) return std::nullopt;
  return events(kind, instanceId)[static_cast<std::size_t>(n - 1)];
}

std::string demoServicePath() {
  return SM_DEMO_SERVICE_PATH;
}
std::string holderPath() {
  return SM_TEST_HOLDER_PATH;
}

}  // namespace sm::supervisor::testing
