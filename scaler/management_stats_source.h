// ManagementStatsSource: reads queue stats from the RabbitMQ management HTTP API, for one queue
// or for every queue whose name matches a regex, as KEDA's http protocol does.
//
// Unlike KEDA, a regex read fetches every page of matches rather than failing when there is
// more than one.
#ifndef KRS_SCALER_MANAGEMENT_STATS_SOURCE_H_
#define KRS_SCALER_MANAGEMENT_STATS_SOURCE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "scaler/queue_stats.h"

namespace krs::scaler {

struct ManagementStatsSourceOptions {
  // Upper bound of one HTTP request; each request also stops at the caller's deadline.
  absl::Duration request_timeout = absl::Seconds(5);
  // A regex read whose first page reports more pages than this fails instead of reading them.
  int max_pages = 10000;
  // Bytes of a response body quoted in an error message.
  size_t max_body_in_error = 200;
};

class ManagementStatsSource : public QueueStatsSource {
 public:
  explicit ManagementStatsSource(ManagementStatsSourceOptions options = {},
                                 Clock clock = SystemClock());

  // Returns INVALID_ARGUMENT for an amqp endpoint. HTTP status codes map as: 401
  // UNAUTHENTICATED for a failed login and PERMISSION_DENIED for a user without the management
  // tag or access to the vhost (RabbitMQ returns 401 for both), 403 PERMISSION_DENIED, 404 NOT_FOUND (the message says whether the vhost
  // or the queue is missing), other 4xx INVALID_ARGUMENT, 5xx UNAVAILABLE. Connection failures
  // are UNAVAILABLE and timeouts DEADLINE_EXCEEDED. A body that is not a JSON object is
  // UNAVAILABLE. Fields missing from the body count as 0.
  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) override;

 private:
  struct Response {
    int status = 0;
    std::string body;
  };

  absl::StatusOr<QueueStats> ReadQueue(const QueueQuery& query, absl::Time deadline);
  absl::StatusOr<QueueStats> ReadRegex(const QueueQuery& query, absl::Time deadline);
  absl::StatusOr<Response> Get(const BrokerEndpoint& endpoint, const std::string& path,
                               absl::Time deadline);
  absl::Status StatusFromResponse(const BrokerEndpoint& endpoint, const std::string& path,
                                  const Response& response, bool regex, absl::Time deadline);

  ManagementStatsSourceOptions options_;
  Clock clock_;
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_MANAGEMENT_STATS_SOURCE_H_
