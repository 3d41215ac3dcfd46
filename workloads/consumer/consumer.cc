#include "workloads/consumer/consumer.h"

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logger.h"
#include "workloads/common/message_body.h"
#include "workloads/consumer/exec_runner.h"

namespace krs::workloads {
namespace {

constexpr amqp_channel_t kChannel = 1;

// Waits up to `timeout` until one of `fds` is readable; entries of -1 are skipped. Returns
// early, too, when a signal handler interrupts the wait.
void WaitForReadable(std::initializer_list<int> fds, absl::Duration timeout) {
  std::vector<pollfd> polled;
  for (int fd : fds) {
    if (fd >= 0) polled.push_back(pollfd{fd, POLLIN, 0});
  }
  timespec limit = absl::ToTimespec(std::max(timeout, absl::ZeroDuration()));
  ppoll(polled.data(), polled.size(), &limit, nullptr);
}

bool IsReadable(int fd) {
  if (fd < 0) return false;
  pollfd polled{fd, POLLIN, 0};
  return poll(&polled, 1, 0) > 0;
}

// Spins until `until` or until `stop_signal_fd` is readable, to simulate CPU-bound work.
void BurnCpuUntil(absl::Time until, int stop_signal_fd) {
  volatile uint64_t sink = 0;
  while (absl::Now() < until && !IsReadable(stop_signal_fd)) {
    for (int i = 0; i < 10000; ++i) sink = sink + static_cast<uint64_t>(i);
  }
}

std::map<std::string, std::string> ExecEnvironment(const Delivery& delivery,
                                                   const std::string& message_id,
                                                   const std::string& consumer_id) {
  std::map<std::string, std::string> env = {
      {"AMQP_MESSAGE_ID", message_id},
      {"AMQP_DELIVERY_TAG", absl::StrCat(delivery.delivery_tag)},
      {"AMQP_REDELIVERED", delivery.redelivered ? "true" : "false"},
      {"AMQP_EXCHANGE", delivery.exchange},
      {"AMQP_ROUTING_KEY", delivery.routing_key},
      {"AMQP_CONTENT_TYPE", delivery.content_type},
      {"AMQP_CORRELATION_ID", delivery.correlation_id},
      {"AMQP_CONSUMER_ID", consumer_id},
  };
  for (const auto& [name, value] : delivery.headers) env[HeaderEnvName(name)] = value;
  return env;
}

}  // namespace

// The fields of a delivery that the consumer reads before working on it.
struct Consumer::WorkItem {
  std::string message_id;
  std::string scenario;
  double work_seconds = 0;
  absl::Status body_status;  // why the body is not a valid MessageBody, if it is not
};

absl::StatusOr<ConsumerMode> ParseConsumerMode(absl::string_view text) {
  if (text == "worker") return ConsumerMode::kWorker;
  if (text == "job") return ConsumerMode::kJob;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid --mode \"", text, "\": expected worker or job"));
}

absl::StatusOr<SigtermPolicy> ParseSigtermPolicy(absl::string_view text) {
  if (text == "ignore") return SigtermPolicy::kIgnore;
  if (text == "requeue") return SigtermPolicy::kRequeue;
  if (text == "drain") return SigtermPolicy::kDrain;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid --on-sigterm \"", text, "\": expected ignore, requeue or drain"));
}

absl::StatusOr<ExecFailurePolicy> ParseExecFailurePolicy(absl::string_view text) {
  if (text == "requeue") return ExecFailurePolicy::kRequeue;
  if (text == "reject") return ExecFailurePolicy::kReject;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid --exec-failure \"", text, "\": expected requeue or reject"));
}

Consumer::Consumer(ConsumerOptions options, EventSink& events,
                   PodAnnotationClient* deletion_cost, std::function<int()> take_stop_signals,
                   int stop_signal_fd)
    : options_(std::move(options)),
      events_(events),
      deletion_cost_(deletion_cost),
      take_stop_signals_(std::move(take_stop_signals)),
      stop_signal_fd_(stop_signal_fd) {}

Consumer::~Consumer() { Disconnect(); }

int Consumer::Run() {
  Log(LogLevel::kInfo, "consumer started",
      {{"consumer_id", options_.consumer_id}, {"queue", options_.queue},
       {"mode", options_.mode == ConsumerMode::kJob ? "job" : "worker"},
       {"prefetch", options_.prefetch}, {"time_scale", options_.time_scale}});
  if (options_.mode == ConsumerMode::kJob && options_.prefetch != 1) {
    Log(LogLevel::kWarning, "job mode consumes with prefetch 1; --prefetch ignored",
        {{"prefetch", options_.prefetch}});
  }
  absl::Duration backoff = options_.reconnect_initial_backoff;
  while (true) {
    if (StopRequestedWhileIdle()) break;
    absl::Status status = Connect();
    if (!status.ok()) {
      Disconnect();
      Log(LogLevel::kWarning, "cannot consume; retrying",
          {{"error", status.ToString()}, {"retry_in", absl::FormatDuration(backoff)}});
      if (WaitOrStop(backoff)) break;
      backoff = std::min(backoff * 2, options_.reconnect_max_backoff);
      continue;
    }
    backoff = options_.reconnect_initial_backoff;

    if (ConsumeLoop() == LoopEnd::kExit) break;
    Disconnect();
    Log(LogLevel::kWarning, "AMQP connection lost; reconnecting",
        {{"consumer_id", options_.consumer_id}, {"retry_in", absl::FormatDuration(backoff)}});
    if (WaitOrStop(backoff)) break;
  }
  Disconnect();
  Log(LogLevel::kInfo, "consumer stopped", {{"consumer_id", options_.consumer_id}});
  return 0;
}

absl::Status Consumer::Connect() {
  absl::StatusOr<AmqpConnectionOptions> connection_options =
      AmqpConnectionOptions::FromUrl(options_.amqp_url);
  if (!connection_options.ok()) return connection_options.status();
  connection_options->heartbeat_seconds = options_.heartbeat_seconds;
  connection_options->connection_name = absl::StrCat("rmq-consumer ", options_.consumer_id);

  absl::StatusOr<std::unique_ptr<AmqpConnection>> connection =
      AmqpConnection::Open(*connection_options);
  if (!connection.ok()) return connection.status();
  connection_ = *std::move(connection);
  absl::Status status = connection_->OpenChannel(kChannel);
  if (!status.ok()) return status;

  // A job takes one message, so a second one held in its prefetch would only be requeued.
  int prefetch = options_.mode == ConsumerMode::kJob ? 1 : options_.prefetch;
  absl::StatusOr<AmqpConsumerChannel> channel =
      AmqpConsumerChannel::Start(*connection_, kChannel, options_.queue, prefetch);
  if (!channel.ok()) return channel.status();
  channel_.emplace(*std::move(channel));
  Log(LogLevel::kInfo, "consuming",
      {{"consumer_id", options_.consumer_id}, {"url", connection_options->Redacted()},
       {"queue", options_.queue}});
  return absl::OkStatus();
}

void Consumer::Disconnect() {
  if (channel_.has_value() && connection_ != nullptr && connection_->is_open() &&
      connection_->is_channel_open(kChannel)) {
    // Hand back deliveries that arrived but were never started, before the channel closes.
    channel_->Cancel().IgnoreError();
    channel_->RequeueKept().IgnoreError();
  }
  channel_.reset();
  connection_.reset();  // closes the channel and the connection
}

bool Consumer::WaitOrStop(absl::Duration backoff) {
  absl::Time until = absl::Now() + backoff;
  while (!StopRequestedWhileIdle()) {
    absl::Duration left = until - absl::Now();
    if (left <= absl::ZeroDuration()) return false;
    WaitForReadable({stop_signal_fd_}, std::min(left, options_.poll_slice));
  }
  return true;
}

absl::Status Consumer::WaitAndPoll(absl::Duration timeout, int extra_fd) {
  // poll(2) does not see what rabbitmq-c has already read from the socket.
  if (!channel_->HasBufferedInput()) {
    WaitForReadable({stop_signal_fd_, channel_->socket_fd(), extra_fd},
                    std::min(timeout, options_.poll_slice));
  }
  return channel_->Poll(absl::ZeroDuration());
}

absl::StatusOr<std::optional<Delivery>> Consumer::WaitForDelivery() {
  if (channel_->kept() == 0) {
    absl::Status status = WaitAndPoll(options_.poll_slice);
    if (!status.ok()) return status;
  }
  // A pending stop signal is taken by the caller before a delivery leaves the kept queue.
  if (channel_->kept() == 0 || IsReadable(stop_signal_fd_)) return std::optional<Delivery>();
  return channel_->NextDelivery(absl::ZeroDuration());
}

bool Consumer::StopRequestedWhileIdle() {
  if (take_stop_signals_() == 0) return false;
  Log(LogLevel::kInfo, "stop signal while idle; exiting", {{"consumer_id", options_.consumer_id}});
  return true;
}

bool Consumer::CheckStopWhileBusy() {
  if (take_stop_signals_() == 0) return false;
  switch (options_.on_sigterm) {
    case SigtermPolicy::kIgnore:
      Log(LogLevel::kInfo, "stop signal ignored (--on-sigterm=ignore)",
          {{"consumer_id", options_.consumer_id}});
      return false;
    case SigtermPolicy::kDrain:
      if (!draining_) {
        Log(LogLevel::kInfo, "stop signal; finishing the current message (--on-sigterm=drain)",
            {{"consumer_id", options_.consumer_id}});
        channel_->Cancel().IgnoreError();
      }
      draining_ = true;
      return false;
    case SigtermPolicy::kRequeue:
      Log(LogLevel::kInfo, "stop signal; requeueing the current message (--on-sigterm=requeue)",
          {{"consumer_id", options_.consumer_id}});
      return true;
  }
  return false;
}

Consumer::LoopEnd Consumer::ConsumeLoop() {
  absl::Time idle_deadline = absl::Now() + options_.idle_timeout;
  while (true) {
    if (StopRequestedWhileIdle()) return LoopEnd::kExit;

    absl::StatusOr<std::optional<Delivery>> delivery = WaitForDelivery();
    if (!delivery.ok()) {
      Log(LogLevel::kWarning, "consuming failed", {{"error", delivery.status().ToString()}});
      return LoopEnd::kConnectionLost;
    }
    if (!delivery->has_value()) {
      if (options_.mode == ConsumerMode::kJob && absl::Now() >= idle_deadline) {
        Log(LogLevel::kInfo, "no message within the idle timeout; exiting",
            {{"consumer_id", options_.consumer_id},
             {"idle_timeout", absl::FormatDuration(options_.idle_timeout)}});
        Report(EventType::kIdle, WorkItem{"", options_.default_scenario, 0, {}}, nullptr);
        return LoopEnd::kExit;
      }
      continue;
    }

    if (options_.mode == ConsumerMode::kJob) {
      // basic.cancel before the ack: the broker handles the cancel first, so the prefetch slot
      // that the ack frees is never filled with a second message, which would be requeued
      // (and marked redelivered) when the job exits. A failed send shows up as a connection
      // loss during the work.
      channel_->Cancel().IgnoreError();
    }
    switch (Process(**delivery)) {
      case Outcome::kDone:
        if (options_.mode == ConsumerMode::kJob) return LoopEnd::kExit;
        break;
      case Outcome::kStop:
        return LoopEnd::kExit;
      case Outcome::kConnectionLost:
        return LoopEnd::kConnectionLost;
    }
  }
}

Consumer::Outcome Consumer::Process(const Delivery& delivery) {
  WorkItem item;
  absl::StatusOr<MessageBody> body = ParseMessageBody(delivery.body);
  item.body_status = body.status();
  item.message_id = body.ok() ? body->id : delivery.message_id;
  if (item.message_id.empty()) {
    item.message_id = absl::StrCat(options_.consumer_id, "-tag-", delivery.delivery_tag);
  }
  item.scenario = body.ok() && !body->scenario.empty() ? body->scenario : options_.default_scenario;
  item.work_seconds = body.ok() ? body->work_seconds : 0;
  if (!body.ok() && options_.exec_command.empty()) return RejectMalformed(delivery, item);

  SetDeletionCost(options_.busy_cost);
  Report(EventType::kReceived, item, &delivery);
  Log(LogLevel::kDebug, "message received",
      {{"message_id", item.message_id}, {"delivery_tag", delivery.delivery_tag},
       {"redelivered", delivery.redelivered}, {"work_seconds", item.work_seconds}});

  std::string reason;
  WorkEnd end = options_.exec_command.empty() ? Simulate(item) : RunExec(delivery, item, reason);
  Outcome outcome = Finish(delivery, item, end, reason);
  SetDeletionCost(options_.idle_cost);
  return outcome;
}

Consumer::Outcome Consumer::RejectMalformed(const Delivery& delivery, const WorkItem& item) {
  std::string reason = std::string(item.body_status.message());
  Log(LogLevel::kWarning, "rejecting a malformed message",
      {{"message_id", item.message_id}, {"delivery_tag", delivery.delivery_tag},
       {"error", reason}});
  Report(EventType::kReceived, item, &delivery);
  absl::Status status = channel_->Reject(delivery.delivery_tag, /*requeue=*/false);
  if (!status.ok()) {
    Report(EventType::kAckFailed, item, &delivery, std::string(status.message()));
    return Outcome::kConnectionLost;
  }
  Report(EventType::kRejected, item, &delivery, reason);
  return draining_ ? Outcome::kStop : Outcome::kDone;
}

Consumer::WorkEnd Consumer::Simulate(const WorkItem& item) {
  absl::Time end = absl::Now() + absl::Seconds(item.work_seconds * options_.time_scale);
  while (true) {
    absl::Duration left = end - absl::Now();
    if (left <= absl::ZeroDuration()) return WorkEnd::kFinished;
    absl::Duration slice = std::min(left, options_.poll_slice);

    if (options_.burn_cpu) {
      BurnCpuUntil(absl::Now() + slice, stop_signal_fd_);
      slice = absl::ZeroDuration();
    }
    absl::Status status = WaitAndPoll(slice);
    if (!status.ok()) {
      Log(LogLevel::kWarning, "connection lost during work", {{"error", status.ToString()}});
      return WorkEnd::kConnectionLost;
    }
    if (CheckStopWhileBusy()) return WorkEnd::kInterrupted;
  }
}

Consumer::WorkEnd Consumer::RunExec(const Delivery& delivery, const WorkItem& item,
                                    std::string& reason) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = ChildProcess::Start(
      options_.exec_command, delivery.body,
      ExecEnvironment(delivery, item.message_id, options_.consumer_id));
  if (!child.ok()) {
    reason = std::string(child.status().message());
    return WorkEnd::kFailed;
  }

  std::optional<absl::Time> kill_at;  // set once the child got SIGTERM (requeue policy)
  absl::Duration slice = std::min(options_.poll_slice, absl::Milliseconds(50));
  while (true) {
    std::optional<int> wait_status = (*child)->Poll();
    if (wait_status.has_value()) {
      if (kill_at.has_value()) return WorkEnd::kInterrupted;
      if (WaitStatusSucceeded(*wait_status)) return WorkEnd::kFinished;
      reason = absl::StrCat("--exec command failed: ", DescribeWaitStatus(*wait_status));
      return WorkEnd::kFailed;
    }

    // The slice still bounds the wait: it feeds the child's stdin, and without a pidfd it is
    // the only way to notice the exit.
    absl::Status status = WaitAndPoll(slice, (*child)->exit_fd());
    if (!status.ok()) {
      Log(LogLevel::kWarning, "connection lost during --exec", {{"error", status.ToString()}});
      return WorkEnd::kConnectionLost;  // the destructor kills the child
    }
    SignalChildOnStop(**child, kill_at);
  }
}

void Consumer::SignalChildOnStop(ChildProcess& child, std::optional<absl::Time>& kill_at) {
  if (!kill_at.has_value()) {
    if (!CheckStopWhileBusy()) return;
    channel_->Cancel().IgnoreError();
    child.Signal(SIGTERM);
    kill_at = absl::Now() + options_.exec_term_timeout;
    return;
  }
  // A repeated stop signal changes nothing, but taking it keeps it from ending every wait.
  take_stop_signals_();
  if (absl::Now() >= *kill_at) child.Signal(SIGKILL);
}

Consumer::Outcome Consumer::Finish(const Delivery& delivery, const WorkItem& item, WorkEnd end,
                                   const std::string& reason) {
  bool last_message = draining_ || options_.mode == ConsumerMode::kJob;
  absl::Status status;
  switch (end) {
    case WorkEnd::kConnectionLost:
      Report(EventType::kAckFailed, item, &delivery, "connection lost during work");
      return Outcome::kConnectionLost;

    case WorkEnd::kInterrupted:
      channel_->Cancel().IgnoreError();
      status = channel_->Reject(delivery.delivery_tag, /*requeue=*/true);
      if (status.ok()) status = channel_->RequeueKept();
      if (status.ok()) status = channel_->Sync();
      if (!status.ok()) {
        Report(EventType::kAckFailed, item, &delivery, std::string(status.message()));
        return Outcome::kStop;
      }
      Report(EventType::kInterrupted, item, &delivery);
      return Outcome::kStop;

    case WorkEnd::kFailed:
      status = channel_->Reject(delivery.delivery_tag,
                                options_.exec_failure == ExecFailurePolicy::kRequeue);
      if (status.ok() && last_message) status = channel_->Sync();
      if (!status.ok()) {
        Report(EventType::kAckFailed, item, &delivery, std::string(status.message()));
        return Outcome::kConnectionLost;
      }
      Log(LogLevel::kWarning, "message rejected", {{"message_id", item.message_id},
                                                   {"reason", reason}});
      Report(EventType::kRejected, item, &delivery, reason);
      return draining_ ? Outcome::kStop : Outcome::kDone;

    case WorkEnd::kFinished:
      status = channel_->Ack(delivery.delivery_tag);
      // The last ack before exit is confirmed with a round trip, so a lost ack is reported.
      if (status.ok() && last_message) status = channel_->Sync();
      if (!status.ok()) {
        Log(LogLevel::kWarning, "ack failed", {{"message_id", item.message_id},
                                               {"error", status.ToString()}});
        Report(EventType::kAckFailed, item, &delivery, std::string(status.message()));
        return Outcome::kConnectionLost;
      }
      Report(EventType::kCompleted, item, &delivery);
      return draining_ ? Outcome::kStop : Outcome::kDone;
  }
  return Outcome::kDone;
}

void Consumer::Report(EventType type, const WorkItem& item, const Delivery* delivery,
                      const std::string& reason) {
  Event event;
  event.type = type;
  event.scenario = item.scenario;
  event.message_id = item.message_id;
  event.consumer_id = options_.consumer_id;
  event.work_seconds = item.work_seconds;
  event.reason = reason;
  event.time = UnixNowSeconds();
  if (delivery != nullptr) {
    event.delivery_tag = static_cast<int64_t>(delivery->delivery_tag);
    event.redelivered = delivery->redelivered;
  }
  events_.Report(std::move(event));
}

void Consumer::SetDeletionCost(int64_t cost) {
  if (deletion_cost_ == nullptr) return;
  absl::Status status = deletion_cost_->SetDeletionCost(cost);
  if (status.ok()) {
    if (cost_failing_) Log(LogLevel::kInfo, "pod deletion cost set again", {{"cost", cost}});
    cost_failing_ = false;
    return;
  }
  // Logged once per run of failures; the count is logged at exit.
  if (!cost_failing_) {
    Log(LogLevel::kWarning, "cannot set the pod deletion cost; going on without it",
        {{"cost", cost}, {"error", status.ToString()}});
  }
  cost_failing_ = true;
}

}  // namespace krs::workloads
