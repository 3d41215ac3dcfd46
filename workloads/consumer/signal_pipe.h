// SignalPipe: turns SIGTERM and SIGINT into bytes on a non-blocking self-pipe, so the consumer
// can poll(2) for a stop request together with its other file descriptors, and the signal
// handler does nothing beyond write(2). One instance per process.
#ifndef KRS_WORKLOADS_CONSUMER_SIGNAL_PIPE_H_
#define KRS_WORKLOADS_CONSUMER_SIGNAL_PIPE_H_

#include "absl/status/status.h"

namespace krs::workloads {

class SignalPipe {
 public:
  // Creates the pipe and installs handlers for SIGTERM and SIGINT; also ignores SIGPIPE so a
  // child that closes its stdin early does not kill the consumer.
  static absl::Status Install();

  // Returns the number of stop signals received since the last call (0 if none). Never blocks.
  static int TakeStopSignals();

  // Returns the read end of the pipe, readable while a stop signal is not yet taken; -1 before
  // Install().
  static int ReadFd();

  // Raises a pending stop signal as if SIGTERM had arrived; for tests.
  static void RequestStopForTest();
};

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_CONSUMER_SIGNAL_PIPE_H_
