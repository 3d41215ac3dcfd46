#include "scaler/stats_router.h"

#include <utility>

#include "scaler/amqp_stats_source.h"
#include "scaler/management_stats_source.h"
#include "scaler/stats_cache.h"

namespace krs::scaler {

StatsRouter::StatsRouter(std::shared_ptr<QueueStatsSource> amqp_source,
                         std::shared_ptr<QueueStatsSource> management_source)
    : amqp_source_(std::move(amqp_source)), management_source_(std::move(management_source)) {}

absl::StatusOr<QueueStats> StatsRouter::Read(const QueueQuery& query, absl::Time deadline) {
  switch (query.endpoint.protocol) {
    case BrokerProtocol::kAmqp:
      return amqp_source_->Read(query, deadline);
    case BrokerProtocol::kHttp:
      return management_source_->Read(query, deadline);
  }
  return absl::InternalError("unknown broker protocol");
}

std::shared_ptr<QueueStatsSource> MakeScalerStatsSource(const ScalerOptions& options,
                                                        Clock clock) {
  auto amqp = std::make_shared<AmqpStatsSource>(AmqpStatsSourceOptions{}, clock);
  auto management =
      std::make_shared<ManagementStatsSource>(ManagementStatsSourceOptions{}, clock);
  auto router = std::make_shared<StatsRouter>(std::move(amqp), std::move(management));

  QueueStatsCacheOptions cache_options;
  cache_options.ttl = options.cache_ttl;
  return std::make_shared<QueueStatsCache>(std::move(router), cache_options, clock);
}

}  // namespace krs::scaler
