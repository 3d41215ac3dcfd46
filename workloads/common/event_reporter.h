// EventSink and EventReporter: how the producer and the consumer send events to the
// result-analyzer without ever waiting for it.
//
// EventReporter::Report() only appends to a bounded in-memory buffer; a background thread
// posts the buffer in batches to {analyzer_url}/events and retries with exponential backoff
// while the analyzer is unreachable. When the buffer is full the oldest event is dropped and
// counted (logged once). The batch being posted is outside the buffer until it is delivered or
// put back at the buffer's front, so no event counts as both delivered and dropped. Each event gets an event_id, so a batch that is retried after the
// analyzer stored it (a lost response) is stored only once.
#ifndef KRS_WORKLOADS_COMMON_EVENT_REPORTER_H_
#define KRS_WORKLOADS_COMMON_EVENT_REPORTER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "workloads/common/event.h"

namespace krs::workloads {

// A destination for events. Implementations must not block the caller on I/O.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Report(Event event) = 0;

  // Waits until the reported events are delivered or `timeout` has passed. Returns the number
  // still undelivered.
  virtual size_t Flush(absl::Duration timeout) { return 0; }
};

// Discards every event; used when no analyzer URL is configured.
class NullEventSink : public EventSink {
 public:
  void Report(Event) override {}
};

struct EventReporterOptions {
  std::string analyzer_url;                        // http://host:port[/prefix]
  size_t buffer_capacity = 10000;                  // events kept besides the batch being posted
  size_t batch_size = 200;                         // events per POST
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(5);  // connect, and read of each response
  std::string event_id_prefix;                     // event_id = prefix + "-" + sequence
};

class EventReporter : public EventSink {
 public:
  // Validates the analyzer URL (http:// or https://) and starts the sender thread.
  static absl::StatusOr<std::unique_ptr<EventReporter>> Create(EventReporterOptions options);

  // Stops the sender thread without waiting for the buffer; call Flush() first to deliver.
  ~EventReporter() override;

  // Appends `event` to the buffer; never blocks on the network. Sets event_id if empty.
  void Report(Event event) override;

  // Waits until every reported event is delivered or dropped, or `timeout` has passed.
  // Returns the number of events still undelivered.
  size_t Flush(absl::Duration timeout) override;

  int64_t dropped() const;    // events dropped because the buffer was full
  int64_t delivered() const;  // events the analyzer accepted (2xx)
  int64_t rejected() const;   // events the analyzer rejected with 400, 404 or 413 (not retried)
  size_t buffered() const;    // events not yet delivered, the batch being posted included

 private:
  EventReporter(EventReporterOptions options, std::string scheme_host_port, std::string path);

  void Run();

  enum class SendResult { kDelivered, kRejected, kRetry };

  // Posts one batch. kRejected means a 4xx response that a retry cannot fix; the batch is then
  // dropped and logged.
  SendResult Send(const std::vector<Event>& batch);

  // Drops the oldest buffered events beyond buffer_capacity and counts them.
  void DropOverflow() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // Returns the number of events still waiting to be posted: the buffer plus the batch being
  // posted.
  size_t UndeliveredLocked() const ABSL_SHARED_LOCKS_REQUIRED(mutex_);

  const EventReporterOptions options_;
  const std::string scheme_host_port_;
  const std::string events_path_;

  mutable Mutex mutex_;
  std::deque<Event> buffer_ ABSL_GUARDED_BY(mutex_);
  int64_t next_sequence_ ABSL_GUARDED_BY(mutex_) = 1;
  size_t in_flight_ ABSL_GUARDED_BY(mutex_) = 0;  // size of the batch being posted
  int64_t dropped_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t delivered_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t rejected_ ABSL_GUARDED_BY(mutex_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

// Returns a reporter for `analyzer_url`, or a NullEventSink when it is empty.
absl::StatusOr<std::unique_ptr<EventSink>> MakeEventSink(EventReporterOptions options);

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_COMMON_EVENT_REPORTER_H_
