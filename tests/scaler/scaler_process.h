// ScalerProcess: the real rabbitmq-scaler binary (from KRS_BIN_DIR) run as a child process on a
// free port, for end-to-end tests. Its stderr is collected so tests can read the log.
#ifndef KRS_TESTS_SCALER_SCALER_PROCESS_H_
#define KRS_TESTS_SCALER_SCALER_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

#include "common/mutex.h"

namespace krs::testing {

class ScalerProcess {
 public:
  // Starts `$KRS_BIN_DIR/rabbitmq-scaler --listen=127.0.0.1:0 <args>` and waits up to 10 s for
  // its "scaler started" line. Returns FAILED_PRECONDITION when KRS_BIN_DIR is unset and
  // UNAVAILABLE with the log when the process exits or does not start in time.
  static absl::StatusOr<std::unique_ptr<ScalerProcess>> Start(
      const std::vector<std::string>& args = {});

  // Kills the process if it still runs.
  ~ScalerProcess();

  ScalerProcess(const ScalerProcess&) = delete;
  ScalerProcess& operator=(const ScalerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  // "127.0.0.1:<port>", for grpc::CreateChannel.
  std::string address() const;

  // Sends `signal_number` (e.g. SIGTERM) to the process.
  void Signal(int signal_number);

  // Waits for the process to exit and returns its exit code (128 + signal when killed), or
  // DEADLINE_EXCEEDED after `timeout`.
  absl::StatusOr<int> WaitForExit(absl::Duration timeout);

  // Everything the process has written to stderr so far.
  std::string Log() const;

 private:
  ScalerProcess() = default;
  void ReadOutput(int fd);

  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = 0;
  int port_ = 0;
  std::thread reader_;

  mutable Mutex mutex_;
  std::string log_ ABSL_GUARDED_BY(mutex_);
  bool output_closed_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace krs::testing

#endif  // KRS_TESTS_SCALER_SCALER_PROCESS_H_
