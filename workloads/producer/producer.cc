#include "workloads/producer/producer.h"

#include <random>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/amqp_connection.h"
#include "common/logger.h"
#include "workloads/common/message_body.h"

namespace krs::workloads {
namespace {

constexpr amqp_channel_t kChannel = 1;

absl::StatusOr<std::unique_ptr<AmqpConnection>> Connect(const ProducerOptions& options) {
  absl::StatusOr<AmqpConnectionOptions> connection_options =
      AmqpConnectionOptions::FromUrl(options.amqp_url);
  if (!connection_options.ok()) return connection_options.status();
  connection_options->heartbeat_seconds = options.heartbeat_seconds;
  connection_options->connection_name = absl::StrCat("rmq-producer ", options.scenario);

  absl::StatusOr<std::unique_ptr<AmqpConnection>> connection =
      AmqpConnection::Open(*connection_options);
  if (!connection.ok()) return connection.status();
  absl::Status status = (*connection)->OpenChannel(kChannel);
  if (!status.ok()) return status;
  status = DeclareJobTopology(**connection, kChannel, options.topology);
  if (!status.ok()) return status;
  return connection;
}

void ReportPublished(EventSink& events, const MessageBody& body) {
  Event event;
  event.type = EventType::kPublished;
  event.scenario = body.scenario;
  event.message_id = body.id;
  event.work_seconds = body.work_seconds;
  event.time = body.published_at;
  events.Report(std::move(event));
}

absl::Status UnconfirmedError(const ConfirmingPublisher& publisher, int64_t unconfirmed) {
  std::vector<std::string> ids(publisher.failed_ids().begin(),
                               publisher.failed_ids().begin() +
                                   std::min<size_t>(publisher.failed_ids().size(), 10));
  return absl::FailedPreconditionError(
      absl::StrCat(unconfirmed, " message(s) not confirmed by the broker (nacked, returned "
                                "as unroutable or timed out); first failed ids: [",
                   absl::StrJoin(ids, ", "), "]"));
}

}  // namespace

absl::Status RunProducer(const ProducerOptions& options, EventSink& events,
                         ProducerResult* result) {
  ProducerResult local;
  if (result == nullptr) result = &local;

  absl::StatusOr<std::unique_ptr<AmqpConnection>> connection = Connect(options);
  if (!connection.ok()) return connection.status();
  absl::StatusOr<ConfirmingPublisher> publisher = ConfirmingPublisher::Create(**connection, kChannel);
  if (!publisher.ok()) return publisher.status();

  std::mt19937_64 generator(options.seed);
  absl::Time start = absl::Now();
  absl::Time next_progress = start + options.progress_interval;
  Log(LogLevel::kInfo, "producer started",
      {{"scenario", options.scenario}, {"count", options.count},
       {"queue", options.topology.queue}, {"durations", options.durations.ToString()},
       {"arrivals", options.arrivals.ToString()}, {"time_scale", options.time_scale}});

  for (int64_t i = 0; i < options.count; ++i) {
    absl::Time due =
        start + absl::Seconds(options.arrivals.OffsetSeconds(i) * options.time_scale);
    absl::Status status = publisher->Pump(due - absl::Now());
    if (!status.ok()) return status;

    MessageBody body{MessageId(options.scenario, i + 1), options.scenario,
                     options.durations.Sample(generator), UnixNowSeconds()};
    status = publisher->Publish(options.topology.exchange, options.topology.routing_key, body.id,
                                SerializeMessageBody(body));
    if (!status.ok()) return status;
    ++result->published;
    ReportPublished(events, body);

    if (options.progress_interval > absl::ZeroDuration() && absl::Now() >= next_progress) {
      Log(LogLevel::kInfo, "producer progress",
          {{"published", result->published}, {"count", options.count},
           {"confirmed", publisher->confirmed()}});
      next_progress = absl::Now() + options.progress_interval;
    }
  }

  absl::Status status = publisher->WaitForConfirms(options.confirm_timeout);
  if (!status.ok()) return status;
  result->confirmed = publisher->confirmed();
  result->unconfirmed = result->published - result->confirmed;
  Log(LogLevel::kInfo, "producer finished",
      {{"scenario", options.scenario}, {"published", result->published},
       {"confirmed", result->confirmed}, {"unconfirmed", result->unconfirmed}});
  if (result->unconfirmed > 0) return UnconfirmedError(*publisher, result->unconfirmed);
  return absl::OkStatus();
}

}  // namespace krs::workloads
