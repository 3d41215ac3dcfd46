// ChildProcess: one run of the consumer's --exec command, `/bin/sh -c COMMAND`, with the
// message body on stdin and the delivery's properties in the environment:
//   AMQP_MESSAGE_ID, AMQP_DELIVERY_TAG, AMQP_REDELIVERED (true|false), AMQP_EXCHANGE,
//   AMQP_ROUTING_KEY, AMQP_CONTENT_TYPE, AMQP_CORRELATION_ID, AMQP_CONSUMER_ID and
//   AMQP_HEADER_<NAME> per header (NAME upper-cased, every character other than A-Z and 0-9
//   turned into '_').
// The consumer never blocks on the child: it feeds stdin and polls for the exit between
// slices of AMQP traffic, and it can poll(2) exit_fd() to wake as soon as the child exits. The child gets SIGKILL when the consumer dies (PR_SET_PDEATHSIG),
// as every process of a container does when the container is killed.
#ifndef KRS_WORKLOADS_CONSUMER_EXEC_RUNNER_H_
#define KRS_WORKLOADS_CONSUMER_EXEC_RUNNER_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace krs::workloads {

// Returns the environment variable name for AMQP header `name`, e.g. "x-tenant" gives
// "AMQP_HEADER_X_TENANT".
std::string HeaderEnvName(const std::string& name);

class ChildProcess {
 public:
  // Forks and execs `/bin/sh -c command` with the current environment plus `extra_env`.
  // Sets SIGPIPE to ignored in this process, so that writing to a child that closed its stdin
  // fails with EPIPE instead of killing the consumer.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(
      const std::string& command, std::string stdin_data,
      const std::map<std::string, std::string>& extra_env);

  // Kills (SIGKILL) and reaps a child that is still running.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Writes what the child's stdin pipe takes without blocking and reaps the child if it has
  // exited. Returns the wait status once it has exited, std::nullopt while it runs.
  std::optional<int> Poll();

  // Sends `signal_number` to the child (no-op after it has exited).
  void Signal(int signal_number);

  pid_t pid() const { return pid_; }

  // A pidfd that becomes readable when the child exits; -1 when pidfd_open(2) failed
  // (Linux < 5.3), in which case only Poll() notices the exit.
  int exit_fd() const { return exit_fd_; }

 private:
  ChildProcess(pid_t pid, int stdin_fd, std::string stdin_data)
      : pid_(pid), stdin_fd_(stdin_fd), stdin_data_(std::move(stdin_data)) {}

  void FeedStdin();
  void CloseStdin();

  pid_t pid_;
  int exit_fd_ = -1;
  int stdin_fd_;
  std::string stdin_data_;
  size_t stdin_written_ = 0;
  std::optional<int> wait_status_;
};

// Describes a wait status: "exit status 3" or "killed by signal 15".
std::string DescribeWaitStatus(int wait_status);

// True when the child exited normally with status 0.
bool WaitStatusSucceeded(int wait_status);

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_CONSUMER_EXEC_RUNNER_H_
