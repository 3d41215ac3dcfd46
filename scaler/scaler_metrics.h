// ScalerMetrics: the scaler's Prometheus metric families in one registry, with the decorator
// and the bindings that feed them. docs/operations.md lists every metric.
#ifndef KRS_SCALER_SCALER_METRICS_H_
#define KRS_SCALER_SCALER_METRICS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "scaler/metrics_registry.h"
#include "scaler/queue_stats.h"

namespace krs::scaler {

class AmqpStatsSource;
class QueueStatsCache;

struct ScalerMetrics {
  ScalerMetrics();

  MetricsRegistry registry;

  // gRPC calls by full method name (e.g. /externalscaler.ExternalScaler/IsActive) and status
  // code name (OK, INVALID_ARGUMENT, ...).
  MetricFamily& grpc_requests;          // counter {method, code}
  MetricFamily& grpc_request_duration;  // histogram {method}, seconds
  MetricFamily& grpc_open_streams;      // gauge {method}

  // Broker reads below the cache, by endpoint (scheme://host:port/vhost, no credentials) and
  // protocol (amqp, http).
  MetricFamily& broker_queries;         // counter {endpoint, protocol}
  MetricFamily& broker_errors;          // counter {endpoint, protocol, code}
  MetricFamily& broker_query_duration;  // histogram {protocol}, seconds
  MetricFamily& broker_last_success;    // gauge {endpoint, protocol}, unix seconds
  MetricFamily& broker_connections;     // gauge: open AMQP connections

  MetricFamily& cache_hits;             // counter
  MetricFamily& cache_misses;           // counter
  MetricFamily& cache_coalesced_waits;  // counter

  MetricFamily& broker_config_reloads;  // counter {result}: ok, error
};

// Returns the `endpoint` label of `endpoint`: scheme://host:port<prefix>/<vhost>, without user
// name or password.
std::string EndpointLabel(const BrokerEndpoint& endpoint);

// A QueueStatsSource decorator that counts every read of the wrapped source in `metrics`:
// broker_queries, broker_errors (by status code), broker_query_duration and, on success,
// broker_last_success. Put it below the cache so that it counts broker reads, not calls.
class InstrumentedStatsSource : public QueueStatsSource {
 public:
  InstrumentedStatsSource(std::shared_ptr<QueueStatsSource> source,
                          std::shared_ptr<ScalerMetrics> metrics, Clock clock = SystemClock());

  absl::StatusOr<QueueStats> Read(const QueueQuery& query, absl::Time deadline) override;

 private:
  std::shared_ptr<QueueStatsSource> source_;
  std::shared_ptr<ScalerMetrics> metrics_;
  Clock clock_;
};

// Reads the cache counters of `cache` at every scrape. `cache` must outlive `metrics`'s
// scrapes, so keep the shared_ptr.
void BindCacheMetrics(std::shared_ptr<const QueueStatsCache> cache, ScalerMetrics& metrics);

// Reads the open connection count of `source` at every scrape.
void BindAmqpConnectionMetrics(std::shared_ptr<const AmqpStatsSource> source,
                               ScalerMetrics& metrics);

}  // namespace krs::scaler

#endif  // KRS_SCALER_SCALER_METRICS_H_
