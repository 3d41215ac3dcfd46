// ChildProcess: one process the lab started (rmq-consumer, rmq-producer, rabbitmq-scaler,
// result-analyzer, a preStop hook), with its own process group, an explicit environment and
// stdout/stderr sent to a log file. The destructor kills and reaps a process still running,
// so no child outlives the lab, even on an error path.
#ifndef KRS_LAB_LIVE_CHILD_PROCESS_H_
#define KRS_LAB_LIVE_CHILD_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace krs::lab {

struct ChildOptions {
  std::vector<std::string> argv;              // argv[0] is the executable path
  std::map<std::string, std::string> env;     // the whole environment of the child
  std::string log_path;                       // stdout and stderr, appended; empty: /dev/null
};

class ChildProcess {
 public:
  // Forks and execs. An exec failure shows as exit code 127.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const ChildOptions& options);

  // Sends SIGKILL if still running and reaps.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  absl::Time started() const { return started_; }

  // Sends `signal` to the process. Returns FAILED_PRECONDITION once it has been reaped.
  absl::Status Signal(int signal);

  // Reaps without blocking. Returns the exit code once it has exited (128 + signal number
  // when killed by a signal), nullopt while it runs.
  std::optional<int> Poll();

  // Waits up to `timeout` for the exit; returns the exit code or nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout);

  // SIGTERM, then SIGKILL after `grace`; returns the exit code.
  int Stop(absl::Duration grace);

  bool exited() const { return exit_code_.has_value(); }
  std::optional<absl::Time> exited_at() const { return exited_at_; }

 private:
  ChildProcess(pid_t pid, absl::Time started) : pid_(pid), started_(started) {}

  pid_t pid_;
  absl::Time started_;
  std::optional<int> exit_code_;
  std::optional<absl::Time> exited_at_;
};

// Returns the environment of this process as a map.
std::map<std::string, std::string> CurrentEnvironment();

// Returns a TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, then close).
absl::StatusOr<int> PickFreePort();

}  // namespace krs::lab

#endif  // KRS_LAB_LIVE_CHILD_PROCESS_H_
