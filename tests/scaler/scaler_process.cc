#include "tests/scaler/scaler_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/testing/secret_check.h"

namespace krs::testing {
namespace {

constexpr char kStartLine[] = "msg=\"scaler started\"";

// Returns the number after " port=" in the start line, or 0.
int ParsePort(const std::string& log) {
  size_t line = log.find(kStartLine);
  if (line == std::string::npos) return 0;
  size_t at = log.find(" port=", line);
  if (at == std::string::npos) return 0;
  at += 6;
  size_t end = log.find_first_not_of("0123456789", at);
  int port = 0;
  if (!absl::SimpleAtoi(log.substr(at, end - at), &port)) return 0;
  return port;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ScalerProcess>> ScalerProcess::Start(
    const std::vector<std::string>& args) {
  const char* bin_dir = std::getenv("KRS_BIN_DIR");
  if (bin_dir == nullptr || *bin_dir == '\0') {
    return absl::FailedPreconditionError(
        "KRS_BIN_DIR is not set: run this test through ctest, or set it to the build's bin/");
  }
  std::string binary = absl::StrCat(bin_dir, "/rabbitmq-scaler");

  std::vector<std::string> argv_storage = {binary, "--listen=127.0.0.1:0"};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::InternalError("pipe2 failed");

  std::unique_ptr<ScalerProcess> process(new ScalerProcess());
  const pid_t parent = getpid();
  process->pid_ = fork();
  if (process->pid_ < 0) return absl::InternalError("fork failed");
  if (process->pid_ == 0) {
    // Dies with the test, also when CTest kills a test that timed out, instead of outliving it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(pipe_fds[1], STDERR_FILENO);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  int read_fd = pipe_fds[0];
  ScalerProcess* raw = process.get();
  process->reader_ = std::thread([raw, read_fd] { raw->ReadOutput(read_fd); });

  MutexLock lock(&process->mutex_);
  auto started_or_closed = [raw]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(raw->mutex_) {
    return raw->output_closed_ || ParsePort(raw->log_) != 0;
  };
  process->mutex_.AwaitWithTimeout(started_or_closed, absl::Seconds(10));
  process->port_ = ParsePort(process->log_);
  if (process->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat(binary, " did not log its start line within 10 s; log:\n", process->log_));
  }
  return process;
}

ScalerProcess::~ScalerProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (reader_.joinable()) reader_.join();
  // The secret check fails the test binary if the process logged a test password.
  AddTextForSecretScan("rabbitmq-scaler stderr", Log());
}

std::string ScalerProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

void ScalerProcess::Signal(int signal_number) {
  if (pid_ > 0 && !exited_) kill(pid_, signal_number);
}

absl::StatusOr<int> ScalerProcess::WaitForExit(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (!exited_) {
    int status = 0;
    pid_t result = waitpid(pid_, &status, WNOHANG);
    if (result == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "rabbitmq-scaler did not exit within ", absl::FormatDuration(timeout)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return exit_code_;
}

std::string ScalerProcess::Log() const {
  MutexLock lock(&mutex_);
  return log_;
}

void ScalerProcess::ReadOutput(int fd) {
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    MutexLock lock(&mutex_);
    log_.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  MutexLock lock(&mutex_);
  output_closed_ = true;
}

}  // namespace krs::testing
