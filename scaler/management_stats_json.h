// Readers of the RabbitMQ management API's queue JSON (GET /api/queues/<vhost>/<queue> and the
// paginated GET /api/queues/<vhost>?...&pagination=true), and QueueStatsCombiner, which folds
// the matches of a regex read into one QueueStats. Pure functions, no I/O.
#ifndef KRS_SCALER_MANAGEMENT_STATS_JSON_H_
#define KRS_SCALER_MANAGEMENT_STATS_JSON_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "scaler/queue_stats.h"

namespace krs::scaler {

// Parses one queue object. Fields that are missing or not numbers count as 0; counts outside
// the int64 range saturate and fractional counts are truncated. Returns UNAVAILABLE when `body`
// is not a JSON object; `what` (the request path) names the response in that message.
absl::StatusOr<QueueStats> ParseQueueStatsJson(absl::string_view body, absl::string_view what);

// One page of a paginated queue listing.
struct QueueStatsPage {
  std::vector<QueueStats> items;  // one per object in "items"; other array elements are skipped
  int64_t page_count = 0;         // "page_count", 0 when missing
};

// Parses one page. Returns UNAVAILABLE when `body` is not a JSON object or has no "items"
// array.
absl::StatusOr<QueueStatsPage> ParseQueueStatsPageJson(absl::string_view body,
                                                       absl::string_view what);

// Folds the matches of a regex read into one QueueStats, field by field, by the query's
// operation. Like KEDA, kAvg divides counts with integer division and rates in floating point.
// Integer sums saturate at the int64 limits instead of overflowing.
class QueueStatsCombiner {
 public:
  explicit QueueStatsCombiner(QueueOperation operation) : operation_(operation) {}

  void Add(const QueueStats& stats);

  // queues_matched is the number of Add() calls; all zero when there were none.
  QueueStats Result() const;

 private:
  void Accumulate(const QueueStats& stats);
  void TakeMax(const QueueStats& stats);

  QueueOperation operation_;
  QueueStats total_;
  int count_ = 0;
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_MANAGEMENT_STATS_JSON_H_
