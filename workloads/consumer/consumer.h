// Consumer: the rmq-consumer main loop. It takes job messages from a RabbitMQ queue, spends
// each message's work_seconds (scaled by time_scale) sleeping, burning CPU or running an
// --exec command, acknowledges it, and reports every step to the result-analyzer.
//
// Modes: a worker consumes until it is stopped. A job processes exactly one message and exits
// 0, or reports `idle` and exits 0 when none arrives within idle_timeout. A job consumes with
// prefetch 1 and sends basic.cancel as soon as its message arrives, before the ack, so the
// broker never delivers it a second message.
//
// Every wait is a poll(2) on the stop-signal fd, the AMQP socket and, while an --exec child
// runs, the child's pidfd, bounded by poll_slice. So SIGTERM (and SIGINT) is seen within
// milliseconds in every state:
//   - idle (no message in hand): exit 0 at once under every policy;
//   - ignore:  the signal is discarded; the consumer works on and keeps consuming until SIGKILL;
//   - requeue: basic.cancel, SIGTERM to an --exec child (SIGKILL after exec_term_timeout),
//              basic.reject requeue=true, `interrupted`, exit 0;
//   - drain:   basic.cancel, finish and ack the current message (wait for an --exec child),
//              exit 0.
// After each wait the loop calls into rabbitmq-c without blocking (AmqpConsumerChannel::Poll),
// which sends heartbeats, so a message longer than the heartbeat timeout keeps its connection.
// If the connection is lost anyway, the consumer reports `ack_failed`, reconnects with backoff
// and goes on.
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

class ChildProcess;

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
  // Longest wait before calling into rabbitmq-c (heartbeats) and re-checking deadlines; stop
  // signals and AMQP traffic end a wait early. Keep it well below the heartbeat interval.
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
  // `stop_signal_fd` is readable while a stop signal is not yet taken (SignalPipe::ReadFd);
  // with -1 the consumer notices stop signals only at the end of each poll_slice.
  Consumer(ConsumerOptions options, EventSink& events, PodAnnotationClient* deletion_cost,
           std::function<int()> take_stop_signals, int stop_signal_fd = -1);
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
  // Waits up to `timeout` until a stop signal, AMQP traffic or `extra_fd` (-1: none) is
  // readable, then lets rabbitmq-c handle the traffic and send heartbeats without blocking.
  // Returns an error when the channel or connection is gone.
  absl::Status WaitAndPoll(absl::Duration timeout, int extra_fd = -1);
  // Waits up to poll_slice for a delivery; returns std::nullopt when none arrived or when a
  // stop signal is pending.
  absl::StatusOr<std::optional<Delivery>> WaitForDelivery();

  LoopEnd ConsumeLoop();
  Outcome Process(const Delivery& delivery);
  Outcome RejectMalformed(const Delivery& delivery, const WorkItem& item);
  Outcome Finish(const Delivery& delivery, const WorkItem& item, WorkEnd end,
                 const std::string& reason);

  WorkEnd Simulate(const WorkItem& item);
  WorkEnd RunExec(const Delivery& delivery, const WorkItem& item, std::string& reason);
  // Sends the --exec child SIGTERM on a stop signal under the requeue policy, then SIGKILL
  // once exec_term_timeout has passed; `kill_at` is set at the SIGTERM.
  void SignalChildOnStop(ChildProcess& child, std::optional<absl::Time>& kill_at);

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
  int stop_signal_fd_;

  std::unique_ptr<AmqpConnection> connection_;
  std::optional<AmqpConsumerChannel> channel_;
  bool draining_ = false;
  bool cost_failing_ = false;
};

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_CONSUMER_CONSUMER_H_
