// MessageBody: the JSON body of a job message, written by rmq-producer and read by
// rmq-consumer:
//   {"id": "s1-7", "scenario": "s1", "work_seconds": 2.5, "published_at": 1764880000.25}
// work_seconds is the job's length in work seconds; the consumer spends
// work_seconds * --time-scale real seconds on it. published_at is unix seconds.
#ifndef KRS_WORKLOADS_COMMON_MESSAGE_BODY_H_
#define KRS_WORKLOADS_COMMON_MESSAGE_BODY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs::workloads {

struct MessageBody {
  std::string id;
  std::string scenario;
  double work_seconds = 0;
  double published_at = 0;
};

// Returns the compact JSON text of `body`.
std::string SerializeMessageBody(const MessageBody& body);

// Parses a body. Returns INVALID_ARGUMENT when the text is not JSON, is not an object, or a
// field is missing, has the wrong JSON type, is empty (id) or negative or not finite
// (work_seconds). Never throws.
absl::StatusOr<MessageBody> ParseMessageBody(absl::string_view text);

// Returns the id of message number `sequence` (counted from 1) of `scenario`: "<scenario>-<n>".
std::string MessageId(absl::string_view scenario, int64_t sequence);

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_COMMON_MESSAGE_BODY_H_
