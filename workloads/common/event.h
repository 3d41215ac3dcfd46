// Event: one thing that happened to a message or a consumer, as the producer, the consumer
// and the lab report it to the result-analyzer (POST /events, one JSON object per event).
//
// JSON form, with the fields each type requires:
//   {"type": "received", "scenario": "s1", "message_id": "s1-7", "consumer_id": "pod-a",
//    "delivery_tag": 3, "redelivered": false, "work_seconds": 2.5, "time": 1764880000.25}
//   published    scenario, message_id                (work_seconds optional)
//   received     scenario, message_id, consumer_id   (delivery_tag, redelivered optional)
//   completed    scenario, message_id, consumer_id
//   interrupted  scenario, message_id, consumer_id   the consumer requeued it on SIGTERM
//   rejected     scenario, message_id, consumer_id   basic.reject (malformed body, failed --exec)
//   ack_failed   scenario, message_id, consumer_id   the work finished but the ack was lost
//   idle         scenario, consumer_id               a job found no message and exited
//   killed       consumer_id                         the lab SIGKILLed that consumer
// `time` (unix seconds, set by the sender) is required for every type. `event_id` is optional:
// a sender that retries sets it so the analyzer stores a retried event once. `reason` is
// optional free text. The analyzer adds `received_at` (its own unix seconds) when it stores one.
#ifndef KRS_WORKLOADS_COMMON_EVENT_H_
#define KRS_WORKLOADS_COMMON_EVENT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace krs::workloads {

enum class EventType {
  kPublished,
  kReceived,
  kCompleted,
  kInterrupted,
  kRejected,
  kIdle,
  kAckFailed,
  kKilled,
};

// Returns the JSON name of `type`, e.g. "ack_failed".
absl::string_view EventTypeName(EventType type);

// Parses a JSON type name. Returns INVALID_ARGUMENT naming the value and the allowed names.
absl::StatusOr<EventType> ParseEventType(absl::string_view name);

struct Event {
  EventType type = EventType::kPublished;
  std::string scenario;
  std::string message_id;
  std::string consumer_id;
  std::string event_id;        // optional; deduplication key for retried sends
  std::string reason;          // optional free text, e.g. why a message was rejected
  int64_t delivery_tag = 0;    // AMQP delivery tag on the consumer's channel
  bool redelivered = false;    // the broker's redelivered flag
  double work_seconds = 0;     // the message's work in work seconds (see MessageBody)
  double time = 0;             // unix seconds when it happened, set by the sender
  double received_at = 0;      // unix seconds when the analyzer stored it; 0 before that
};

// Returns the JSON object of `event`. Empty optional strings and a zero received_at are left out.
nlohmann::json EventToJson(const Event& event);

// Parses and validates one JSON event object. Returns INVALID_ARGUMENT naming the field and
// the problem: not an object, unknown type, a missing required field or a field of the wrong
// JSON type.
absl::StatusOr<Event> EventFromJson(const nlohmann::json& json);

// Returns the current time as unix seconds with sub-second precision.
double UnixNowSeconds();

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_COMMON_EVENT_H_
