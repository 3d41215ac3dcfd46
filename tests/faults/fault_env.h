// Helpers shared by the fault tests: a second, throw-away RabbitMQ node that a test may stop and
// start (scripts/rabbitmq.sh with its own node name and ports), calls to the scaler recorded
// with their times, and the open file descriptors of a process.
#ifndef KRS_TESTS_FAULTS_FAULT_ENV_H_
#define KRS_TESTS_FAULTS_FAULT_ENV_H_

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"

namespace krs::testing {

// A RabbitMQ node of its own, so that stopping it disturbs no other test. Settings come from
// KRS_FAULT_RMQ_NODE (default krs-faults) and KRS_FAULT_RMQ_PORT, the AMQP port (default
// 26672); the management API listens on port + 1 and Erlang distribution on port + 2.
// The default lies below Linux's ephemeral port range (32768 to 60999 by default). The node
// restarts while other suites run, and a client socket or a TIME_WAIT entry can then hold a
// port in that range, which made the restart fail with eaddrinuse.
class FaultBroker {
 public:
  FaultBroker();

  // Run `scripts/rabbitmq.sh start|stop`; both wait until the node is up or gone.
  absl::Status Start() const;
  absl::Status Stop() const;

  int amqp_port() const { return amqp_port_; }
  int http_port() const { return amqp_port_ + 1; }
  std::string AmqpUrl() const;  // amqp://guest:guest@127.0.0.1:<port>/%2F
  std::string HttpUrl() const;  // http://guest:guest@127.0.0.1:<port>

 private:
  absl::Status Run(const std::string& command) const;

  std::string node_;
  int amqp_port_ = 0;
};

// Returns the number of entries in /proc/<pid>/fd, or -1 when it cannot be read.
int CountOpenFds(pid_t pid);

}  // namespace krs::testing

#endif  // KRS_TESTS_FAULTS_FAULT_ENV_H_
