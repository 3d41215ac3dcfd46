#include "workloads/consumer/signal_pipe.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace krs::workloads {
namespace {

int g_pipe[2] = {-1, -1};

extern "C" void OnStopSignal(int signal_number) {
  int saved_errno = errno;
  char byte = static_cast<char>(signal_number);
  // A full pipe already contains a pending stop request, so a failed write loses nothing.
  [[maybe_unused]] ssize_t written = write(g_pipe[1], &byte, 1);
  errno = saved_errno;
}

}  // namespace

absl::Status SignalPipe::Install() {
  if (g_pipe[0] >= 0) return absl::OkStatus();
  if (pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe2 failed: ", std::strerror(errno)));
  }

  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  for (int signal_number : {SIGTERM, SIGINT}) {
    if (sigaction(signal_number, &action, nullptr) != 0) {
      return absl::InternalError(absl::StrCat("sigaction failed: ", std::strerror(errno)));
    }
  }
  signal(SIGPIPE, SIG_IGN);
  return absl::OkStatus();
}

int SignalPipe::TakeStopSignals() {
  if (g_pipe[0] < 0) return 0;
  int count = 0;
  char buffer[64];
  while (true) {
    ssize_t n = read(g_pipe[0], buffer, sizeof(buffer));
    if (n <= 0) break;
    count += static_cast<int>(n);
  }
  return count;
}

int SignalPipe::ReadFd() { return g_pipe[0]; }

void SignalPipe::RequestStopForTest() { OnStopSignal(SIGTERM); }

}  // namespace krs::workloads
