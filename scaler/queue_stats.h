// QueueStats and QueueStatsSource: the numbers the scaler reads about one queue (or a regex
// group of queues) and the interface every way of reading them implements.
#ifndef KRS_SCALER_QUEUE_STATS_H_
#define KRS_SCALER_QUEUE_STATS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "scaler/broker_endpoint.h"

namespace krs::scaler {

// The combination of regex matches, as KEDA's `operation` metadata key.
enum class QueueOperation { kSum, kAvg, kMax };

// What to read. Everything that changes the result is part of the query, so equal queries can
// share one broker read.
struct QueueQuery {
  BrokerEndpoint endpoint;       // protocol, address, credentials, vhost
  std::string queue_name;        // a regex when use_regex is set (http only)
  bool use_regex = false;
  QueueOperation operation = QueueOperation::kSum;
  int page_size = 100;           // management API page size for regex reads

  // Returns a key for caching and coalescing; credentials enter only as a hash.
  std::string CacheKey() const;
};

// Queue numbers. AMQP (passive queue.declare) fills messages_ready and consumers only; the
// management API fills every field. Regex reads combine the matches by the query's operation.
struct QueueStats {
  int64_t messages = 0;                 // ready + unacknowledged (management API `messages`)
  int64_t messages_ready = 0;
  int64_t messages_unacknowledged = 0;
  int64_t consumers = 0;
  double publish_rate = 0;              // message_stats.publish_details.rate, per second
  double deliver_get_rate = 0;          // message_stats.deliver_get_details.rate, per second
  int queues_matched = 1;               // regex reads: how many queues were combined
};

// Reads QueueStats for a query. Implementations are thread-safe and return:
// NOT_FOUND for a missing queue or vhost, UNAVAILABLE when the broker cannot be reached,
// DEADLINE_EXCEEDED when `deadline` passes, UNAUTHENTICATED or PERMISSION_DENIED when the
// credentials are refused, INVALID_ARGUMENT for a query the broker rejects as malformed.
class QueueStatsSource {
 public:
  virtual ~QueueStatsSource() = default;
  virtual absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) = 0;
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_QUEUE_STATS_H_
