// Producer: publishes a scenario's job messages to RabbitMQ at the scheduled times, with
// publisher confirms, and reports a `published` event per message.
#ifndef KRS_WORKLOADS_PRODUCER_PRODUCER_H_
#define KRS_WORKLOADS_PRODUCER_PRODUCER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "workloads/common/amqp_publisher.h"
#include "workloads/common/arrival_schedule.h"
#include "workloads/common/duration_distribution.h"
#include "workloads/common/event_reporter.h"

namespace krs::workloads {

struct ProducerOptions {
  std::string amqp_url;
  JobTopology topology;
  std::string scenario = "default";
  int64_t count = 10;
  DurationDistribution durations = DurationDistribution::Fixed(1);
  ArrivalSchedule arrivals = *ArrivalSchedule::Parse("burst");
  uint64_t seed = 1;
  // Real seconds per schedule second: 1 keeps the schedule, 0.1 publishes ten times faster.
  // It scales arrival times only; work_seconds in the bodies are not changed.
  double time_scale = 1;
  absl::Duration confirm_timeout = absl::Seconds(30);   // after the last publish
  absl::Duration progress_interval = absl::Seconds(5);  // progress log lines; 0 turns them off
  int heartbeat_seconds = 30;
};

struct ProducerResult {
  int64_t published = 0;
  int64_t confirmed = 0;
  int64_t unconfirmed = 0;  // nacked, returned, or no confirm within confirm_timeout
};

// Connects, declares the topology, publishes options.count messages and waits for their
// confirms, filling `result` with the counts. Returns an error when connecting or publishing
// failed, and FAILED_PRECONDITION (listing up to ten ids) when a message was not confirmed.
absl::Status RunProducer(const ProducerOptions& options, EventSink& events,
                         ProducerResult* result = nullptr);

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_PRODUCER_PRODUCER_H_
