// Consumer: the rmq-consumer main loop. It takes job messages from a RabbitMQ queue, spends
// each message's work_seconds (scaled by time_scale) sleeping, burning CPU or running an
// --exec command, acknowledges it, and reports every step to the result-analyzer.
//
// Modes: a worker consumes until it is stopped. A job processes exactly one message and exits
// 0, or reports `idle` and exits 0 when none arrives within idle_timeout.
//
// SIGTERM (and SIGINT), observed between slices of work of at most poll_slice:
//   - idle (no message in hand): exit 0 at once under every policy;
//   - ignore:  the signal is discarded; the consumer works on and keeps consuming until SIGKILL;
//   - requeue: basic.cancel, SIGTERM to an --exec child (SIGKILL after exec_term_timeout),
//              basic.reject requeue=true, `interrupted`, exit 0;
//   - drain:   basic.cancel, finish and ack the current message (wait for an --exec child),
//              exit 0.
// Between slices the loop calls into rabbitmq-c (AmqpConsumerChannel::Poll), which sends
// heartbeats, so a message longer than the heartbeat timeout keeps its connection. If the
// connection is lost anyway, the consumer reports `ack_failed`, reconnects with backoff and
// goes on.
#ifndef KRS_WORKLOADS_CONSUMER_CONSUMER_H_
#define KRS_WORKLOADS_CONSUMER_CONSUMER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/amqp_connection.h"
#include "workloads/common/amqp_consumer_channel.h"
#include "workloads/common/event_reporter.h"
#include "workloads/consumer/pod_annotation_client.h"

namespace krs::workloads {

enum class ConsumerMode { kWorker, kJob };
enum class SigtermPolicy { kIgnore, kRequeue, kDrain };
enum class ExecFailurePolicy { kRequeue, kReject };

absl::StatusOr<ConsumerMode> ParseConsumerMode(absl::string_view text);
absl::StatusOr<SigtermPolicy> ParseSigtermPolicy(absl::string_view text);
absl::StatusOr<ExecFailurePolicy> ParseExecFailurePolicy(absl::string_view text);

struct ConsumerOptions {
  std::string amqp_url;
  std::string queue;
  ConsumerMode mode = ConsumerMode::kWorker;
  int prefetch = 1;
  double time_scale = 1;       // real seconds per work second
  bool burn_cpu = false;       // spin instead of sleeping during the work
  SigtermPolicy on_sigterm = SigtermPolicy::kRequeue;
  absl::Duration idle_timeout = absl::Seconds(30);  // job mode: wait for a message this long
  int heartbeat_seconds = 10;  // AMQP heartbeat; 0 disables
  std::string exec_command;    // empty: simulate the work
  ExecFailurePolicy exec_failure = ExecFailurePolicy::kRequeue;
  absl::Duration exec_term_timeout = absl::Seconds(10);  // requeue: SIGTERM to SIGKILL of the child
  std::string consumer_id;
  std::string default_scenario;  // for messages whose body has no scenario
  absl::Duration poll_slice = absl::Milliseconds(200);
  absl::Duration reconnect_initial_backoff = absl::Milliseconds(500);
  absl::Duration reconnect_max_backoff = absl::Seconds(10);
  int64_t busy_cost = 1000;  // pod-deletion-cost while a message is in hand
  int64_t idle_cost = 0;     // pod-deletion-cost otherwise
};

class Consumer {
 public:
  // `deletion_cost` may be null (self-protection off). `take_stop_signals` returns how many
  // stop signals arrived since the last call (SignalPipe::TakeStopSignals in the binary).
  Consumer(ConsumerOptions options, EventSink& events, PodAnnotationClient* deletion_cost,
           std::function<int()> take_stop_signals);
  ~Consumer();

  // Runs until the mode's end or a stop signal; returns the process exit code (0).
  int Run();

 private:
  enum class LoopEnd { kExit, kConnectionLost };
  enum class Outcome { kDone, kStop, kConnectionLost };
  enum class WorkEnd { kFinished, kFailed, kInterrupted, kConnectionLost };
  struct WorkItem;

  absl::Status Connect();
  void Disconnect();
  // Sleeps up to `backoff` while watching for stop signals; returns true if one arrived.
  bool WaitOrStop(absl::Duration backoff);

  LoopEnd ConsumeLoop();
  Outcome Process(const Delivery& delivery);
  Outcome RejectMalformed(const Delivery& delivery, const WorkItem& item);
  Outcome Finish(const Delivery& delivery, const WorkItem& item, WorkEnd end,
                 const std::string& reason);

  WorkEnd Simulate(const WorkItem& item);
  WorkEnd RunExec(const Delivery& delivery, const WorkItem& item, std::string& reason);

  // Handles stop signals that arrived while a message is in hand; returns true when the
  // current message must be interrupted (requeue policy).
  bool CheckStopWhileBusy();
  bool StopRequestedWhileIdle();

  void Report(EventType type, const WorkItem& item, const Delivery* delivery,
              const std::string& reason = "");
  void SetDeletionCost(int64_t cost);

  ConsumerOptions options_;
  EventSink& events_;
  PodAnnotationClient* deletion_cost_;
  std::function<int()> take_stop_signals_;

  std::unique_ptr<AmqpConnection> connection_;
  std::optional<AmqpConsumerChannel> channel_;
  bool draining_ = false;
  bool cost_failing_ = false;
};

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_CONSUMER_CONSUMER_H_
