#include "tests/support/net_command.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <stdexcept>

namespace sm::test {

namespace {

std::string joined(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) text += (text.empty() ? "" : " ") + arg;
  return text;
}

}  // namespace

CommandResult runCommand(const std::vector<std::string>& argv) {
  CommandResult result;
  int pipeFds[2];
  if (argv.empty() || ::pipe2(pipeFds, O_CLOEXEC) != 0) return result;
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(pipeFds[1], 1);
    ::dup2(pipeFds[1], 2);
    ::execvpe(args[0], args.data(), environ);
    // execvpe searched the caller's PATH; try the admin folders (a non-login root shell may lack
    // them).
    for (const char* dir : {"/usr/sbin/", "/sbin/"}) {
      char full[256];
      std::size_t n = 0;
      for (const char* p = dir; *p && n < sizeof full - 1; ++p) full[n++] = *p;
      for (const char* p = args[0]; *p && n < sizeof full - 1; ++p) full[n++] = *p;
      full[n] = '\0';
      ::execv(full, args.data());
    }
    static const char message[] = "exec failed\n";
    [[maybe_unused]] auto ignored = ::write(2, message, sizeof message - 1);
    ::_exit(127);
  }
  ::close(pipeFds[1]);
  if (pid < 0) {
    ::close(pipeFds[0]);
    return result;
  }
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(pipeFds[0], buffer, sizeof buffer);
    if (n > 0) {
      result.output.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipeFds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string runChecked(const std::vector<std::string>& argv) {
  auto result = runCommand(argv);
  if (result.exitCode != 0) {
    throw std::runtime_error("`" + joined(argv) + "` exited with " +
                             std::to_string(result.exitCode) + ": " + result.output);
  }
  return result.output;
}

}  // namespace sm::test
