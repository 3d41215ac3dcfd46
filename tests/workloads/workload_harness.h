// WorkloadBrokerTest: a fixture for suites that run the real rmq-producer and rmq-consumer
// binaries (from KRS_BIN_DIR) against the test broker, with an in-process result-analyzer on a
// free port. Each test gets its own queue (bound to the `jobs` exchange with its own routing
// key) and scenario name, both deleted or dropped at the end.
#ifndef KRS_TESTS_WORKLOADS_WORKLOAD_HARNESS_H_
#define KRS_TESTS_WORKLOADS_WORKLOAD_HARNESS_H_

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/broker_env.h"
#include "workloads/analyzer/analyzer_server.h"
#include "workloads/common/event.h"

namespace krs::workloads {

// Returns $KRS_BIN_DIR/name (KRS_BIN_DIR is set by CTest).
std::string BinaryPath(const std::string& name);

// Returns a TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// A child process with stdout and stderr in a log file; SIGKILLed and reaped on destruction.
class Process {
 public:
  static std::unique_ptr<Process> Start(const std::vector<std::string>& argv,
                                        const std::map<std::string, std::string>& env,
                                        const std::string& log_path);
  ~Process();

  void Signal(int signal_number);
  // Returns the exit code (128 + signal number for a signal) once the process has exited
  // within `timeout`, std::nullopt if it is still running.
  std::optional<int> Wait(absl::Duration timeout);
  bool running();
  std::string log() const;
  pid_t pid() const { return pid_; }

 private:
  Process(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}

  pid_t pid_;
  std::string log_path_;
  std::optional<int> exit_code_;
};

class WorkloadBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts rmq-consumer on this test's queue with the analyzer URL, consumer id `name` and
  // --heartbeat 10, plus `extra_args` (which may override any of these).
  Process* StartConsumer(const std::string& name, const std::vector<std::string>& extra_args = {},
                         const std::map<std::string, std::string>& env = {});

  // Runs rmq-producer to completion on this test's queue and scenario; returns its exit code.
  int RunProducer(int count, const std::string& duration,
                  const std::vector<std::string>& extra_args = {});
  Process* StartProducer(int count, const std::string& duration,
                         const std::vector<std::string>& extra_args = {});

  // GET /results for this test's scenario; an empty object when there is none yet.
  nlohmann::json Summary();
  // Polls Summary() until `condition` returns true or `timeout` passes; returns the last result.
  bool WaitForSummary(const std::function<bool(const nlohmann::json&)>& condition,
                      absl::Duration timeout = absl::Seconds(20));
  // Every event the analyzer stored, read back from its event log.
  std::vector<Event> StoredEvents();
  // Ready messages in this test's queue (passive queue.declare: real time).
  int64_t ReadyMessages();
  // Publishes a raw body through the default exchange straight to this test's queue.
  void PublishRaw(const std::string& body, const nlohmann::json& properties = nlohmann::json::object());
  // Posts one event to the analyzer as the lab would.
  void PostEvent(const Event& event);

  std::string analyzer_url() const;
  std::string LogPath(const std::string& name) const;

  std::string amqp_url_;
  std::string queue_;
  std::string scenario_;
  std::string work_dir_;
  std::string event_log_;
  std::unique_ptr<AnalyzerServer> analyzer_;
  testing::ManagementClient management_;
  std::vector<std::unique_ptr<Process>> processes_;
};

// Returns the events of `type` (and of `consumer_id` when not empty) in stored order.
std::vector<Event> EventsOfType(const std::vector<Event>& events, EventType type,
                                const std::string& consumer_id = "");

}  // namespace krs::workloads

#endif  // KRS_TESTS_WORKLOADS_WORKLOAD_HARNESS_H_
