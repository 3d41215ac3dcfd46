#include "workloads/consumer/exec_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

extern char** environ;

namespace krs::workloads {
namespace {

// Builds "KEY=VALUE" strings: the current environment without the keys in `extra`, then
// `extra`.
std::vector<std::string> BuildEnvironment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    absl::string_view text(*entry);
    absl::string_view key = text.substr(0, text.find('='));
    if (extra.count(std::string(key)) == 0) entries.emplace_back(text);
  }
  for (const auto& [key, value] : extra) entries.push_back(absl::StrCat(key, "=", value));
  return entries;
}

// Runs in the child between fork() and exec(): only async-signal-safe calls.
[[noreturn]] void ExecChild(int stdin_read_fd, const char* command, char** envp) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  signal(SIGPIPE, SIG_DFL);
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
  dup2(stdin_read_fd, STDIN_FILENO);
  close(stdin_read_fd);
  const char* argv[] = {"/bin/sh", "-c", command, nullptr};
  execve("/bin/sh", const_cast<char**>(argv), envp);
  _exit(127);
}

}  // namespace

std::string HeaderEnvName(const std::string& name) {
  std::string result = "AMQP_HEADER_";
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    result.push_back(std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '_');
  }
  return result;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::string& command, std::string stdin_data,
    const std::map<std::string, std::string>& extra_env) {
  std::vector<std::string> environment = BuildEnvironment(extra_env);
  std::vector<char*> envp;
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);

  signal(SIGPIPE, SIG_IGN);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2 failed: ", std::strerror(errno)));
  }
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::InternalError(absl::StrCat("fork failed: ", std::strerror(errno)));
  }
  if (pid == 0) ExecChild(fds[0], command.c_str(), envp.data());

  close(fds[0]);
  fcntl(fds[1], F_SETFL, O_NONBLOCK);
  std::unique_ptr<ChildProcess> child(new ChildProcess(pid, fds[1], std::move(stdin_data)));
  // The child is not reaped before this call, so the pidfd refers to it.
  child->exit_fd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  child->FeedStdin();
  return child;
}

ChildProcess::~ChildProcess() {
  CloseStdin();
  if (!wait_status_.has_value()) {
    kill(pid_, SIGKILL);
    int status = 0;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (exit_fd_ >= 0) close(exit_fd_);
}

void ChildProcess::FeedStdin() {
  while (stdin_fd_ >= 0 && stdin_written_ < stdin_data_.size()) {
    ssize_t n = write(stdin_fd_, stdin_data_.data() + stdin_written_,
                      stdin_data_.size() - stdin_written_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) break;  // EPIPE: the child closed its stdin; the rest is not needed
    stdin_written_ += static_cast<size_t>(n);
  }
  CloseStdin();
}

void ChildProcess::CloseStdin() {
  if (stdin_fd_ < 0) return;
  close(stdin_fd_);
  stdin_fd_ = -1;
}

std::optional<int> ChildProcess::Poll() {
  if (wait_status_.has_value()) return wait_status_;
  FeedStdin();
  int status = 0;
  pid_t result = waitpid(pid_, &status, WNOHANG);
  if (result == pid_) {
    wait_status_ = status;
    CloseStdin();
  }
  return wait_status_;
}

void ChildProcess::Signal(int signal_number) {
  if (!wait_status_.has_value()) kill(pid_, signal_number);
}

std::string DescribeWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return absl::StrCat("exit status ", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return absl::StrCat("killed by signal ", WTERMSIG(wait_status));
  return absl::StrCat("wait status ", wait_status);
}

bool WaitStatusSucceeded(int wait_status) {
  return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
}

}  // namespace krs::workloads
