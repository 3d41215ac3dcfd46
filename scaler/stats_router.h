// StatsRouter: a QueueStatsSource that sends each query to the AMQP source or to the
// management API source, by the protocol of the query's endpoint.
//
// MakeScalerStatsSource() builds what the server reads through: one QueueStatsCache in front
// of one StatsRouter. Every reader of a query shares one broker read per cache TTL: GetMetrics
// and IsActive of one KEDA poll, HPA queries, StreamIsActive checks and many ScaledObjects on
// one queue.
#ifndef KRS_SCALER_STATS_ROUTER_H_
#define KRS_SCALER_STATS_ROUTER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "scaler/queue_stats.h"
#include "scaler/scaler_options.h"

namespace krs::scaler {

class StatsRouter : public QueueStatsSource {
 public:
  StatsRouter(std::shared_ptr<QueueStatsSource> amqp_source,
              std::shared_ptr<QueueStatsSource> management_source);

  // Reads from the source for query.endpoint.protocol and returns its result unchanged.
  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) override;

 private:
  std::shared_ptr<QueueStatsSource> amqp_source_;
  std::shared_ptr<QueueStatsSource> management_source_;
};

// Returns the cached, routed source the server uses: AmqpStatsSource and
// ManagementStatsSource behind one StatsRouter behind one QueueStatsCache with
// options.cache_ttl. With options.metrics, every broker read is counted and the cache and AMQP
// connection counts are exported. With options.brokers, a ProfileCredentialsSource in front of
// the cache gives profile endpoints their current credentials.
std::shared_ptr<QueueStatsSource> MakeScalerStatsSource(const ScalerOptions& options,
                                                        Clock clock = SystemClock());

}  // namespace krs::scaler

#endif  // KRS_SCALER_STATS_ROUTER_H_
