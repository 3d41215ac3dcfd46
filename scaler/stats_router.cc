#include "scaler/stats_router.h"

#include "scaler/broker_profile_store.h"
#include "scaler/scaler_metrics.h"

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
  std::shared_ptr<QueueStatsSource> amqp_source = amqp;
  std::shared_ptr<QueueStatsSource> management_source =
      std::make_shared<ManagementStatsSource>(ManagementStatsSourceOptions{}, clock);
  if (options.metrics != nullptr) {
    BindAmqpConnectionMetrics(amqp, *options.metrics);
    amqp_source = std::make_shared<InstrumentedStatsSource>(amqp_source, options.metrics, clock);
    management_source =
        std::make_shared<InstrumentedStatsSource>(management_source, options.metrics, clock);
  }
  auto router = std::make_shared<StatsRouter>(std::move(amqp_source), std::move(management_source));

  QueueStatsCacheOptions cache_options;
  cache_options.ttl = options.cache_ttl;
  auto cache = std::make_shared<QueueStatsCache>(std::move(router), cache_options, clock);
  if (options.metrics != nullptr) BindCacheMetrics(cache, *options.metrics);
  if (options.brokers == nullptr) return cache;
  // Outside the cache, so that a rotated password also changes the cache key.
  return std::make_shared<ProfileCredentialsSource>(std::move(cache), options.brokers);
}

}  // namespace krs::scaler
