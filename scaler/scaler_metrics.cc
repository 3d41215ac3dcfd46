#include "scaler/scaler_metrics.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/url.h"
#include "scaler/amqp_stats_source.h"
#include "scaler/stats_cache.h"

namespace krs::scaler {

ScalerMetrics::ScalerMetrics()
    : grpc_requests(registry.AddCounter("rabbitmq_scaler_grpc_requests_total",
                                        "gRPC calls finished, by method and status code.",
                                        {"method", "code"})),
      grpc_request_duration(registry.AddHistogram(
          "rabbitmq_scaler_grpc_request_duration_seconds",
          "Time from the start of a gRPC call to its status, by method; streams count their "
          "whole life.",
          {"method"})),
      grpc_open_streams(registry.AddGauge("rabbitmq_scaler_grpc_open_streams",
                                          "Streaming gRPC calls open now, by method.",
                                          {"method"})),
      broker_queries(registry.AddCounter(
          "rabbitmq_scaler_broker_queries_total",
          "Queue reads sent to a broker (cache misses), by endpoint and protocol.",
          {"endpoint", "protocol"})),
      broker_errors(registry.AddCounter("rabbitmq_scaler_broker_errors_total",
                                        "Queue reads that failed, by endpoint, protocol and "
                                        "status code.",
                                        {"endpoint", "protocol", "code"})),
      broker_query_duration(registry.AddHistogram("rabbitmq_scaler_broker_query_duration_seconds",
                                                  "Time of one queue read, by protocol.",
                                                  {"protocol"})),
      broker_last_success(registry.AddGauge(
          "rabbitmq_scaler_broker_last_success_timestamp_seconds",
          "Unix time of the last successful queue read, by endpoint and protocol.",
          {"endpoint", "protocol"})),
      broker_connections(registry.AddGauge("rabbitmq_scaler_broker_connections_open",
                                           "AMQP connections to brokers open now.")),
      cache_hits(registry.AddCounter("rabbitmq_scaler_cache_hits_total",
                                     "Queue reads answered from the stats cache.")),
      cache_misses(registry.AddCounter("rabbitmq_scaler_cache_misses_total",
                                       "Queue reads the stats cache passed to a broker.")),
      cache_coalesced_waits(registry.AddCounter(
          "rabbitmq_scaler_cache_coalesced_waits_total",
          "Queue reads that waited for an equal read already in flight instead of reading.")),
      broker_config_reloads(registry.AddCounter(
          "rabbitmq_scaler_broker_config_reloads_total",
          "Reloads of the --broker-config file and the files it names, by result (ok, error).",
          {"result"})) {}

std::string EndpointLabel(const BrokerEndpoint& endpoint) {
  std::string scheme(BrokerProtocolName(endpoint.protocol));
  if (endpoint.tls) scheme.push_back('s');
  const std::string host = endpoint.host.find(':') != std::string::npos
                               ? absl::StrCat("[", endpoint.host, "]")
                               : endpoint.host;
  return absl::StrCat(scheme, "://", host, ":", endpoint.port, endpoint.path_prefix, "/",
                      PercentEncodePathSegment(endpoint.vhost.empty() ? "/" : endpoint.vhost));
}

InstrumentedStatsSource::InstrumentedStatsSource(std::shared_ptr<QueueStatsSource> source,
                                                 std::shared_ptr<ScalerMetrics> metrics,
                                                 Clock clock)
    : source_(std::move(source)), metrics_(std::move(metrics)), clock_(std::move(clock)) {}

absl::StatusOr<QueueStats> InstrumentedStatsSource::Read(const QueueQuery& query,
                                                         absl::Time deadline) {
  const std::string endpoint = EndpointLabel(query.endpoint);
  const std::string protocol(BrokerProtocolName(query.endpoint.protocol));
  metrics_->broker_queries.CounterWithLabels({endpoint, protocol}).Increment();

  const absl::Time start = clock_();
  absl::StatusOr<QueueStats> stats = source_->Read(query, deadline);
  const absl::Time end = clock_();
  metrics_->broker_query_duration.HistogramWithLabels({protocol}).Observe(
      absl::ToDoubleSeconds(end - start));

  if (stats.ok()) {
    metrics_->broker_last_success.GaugeWithLabels({endpoint, protocol})
        .Set(absl::ToDoubleSeconds(end - absl::UnixEpoch()));
  } else {
    metrics_->broker_errors
        .CounterWithLabels({endpoint, protocol, absl::StatusCodeToString(stats.status().code())})
        .Increment();
  }
  return stats;
}

// The callbacks hold weak pointers: the metrics outlive the sources they describe, and the
// sources hold the metrics, so shared pointers here would form a cycle that is never freed.
void BindCacheMetrics(std::shared_ptr<const QueueStatsCache> cache, ScalerMetrics& metrics) {
  std::weak_ptr<const QueueStatsCache> weak = cache;
  auto read = [weak](int64_t QueueStatsCacheCounters::*field) {
    return [weak, field] {
      std::shared_ptr<const QueueStatsCache> locked = weak.lock();
      return locked == nullptr ? 0.0 : static_cast<double>(locked->Stats().*field);
    };
  };
  metrics.cache_hits.SetCallback({}, read(&QueueStatsCacheCounters::hits));
  metrics.cache_misses.SetCallback({}, read(&QueueStatsCacheCounters::misses));
  metrics.cache_coalesced_waits.SetCallback({}, read(&QueueStatsCacheCounters::coalesced_waits));
}

void BindAmqpConnectionMetrics(std::shared_ptr<const AmqpStatsSource> source,
                               ScalerMetrics& metrics) {
  std::weak_ptr<const AmqpStatsSource> weak = source;
  metrics.broker_connections.SetCallback({}, [weak] {
    std::shared_ptr<const AmqpStatsSource> locked = weak.lock();
    return locked == nullptr ? 0.0 : static_cast<double>(locked->open_connections());
  });
}

}  // namespace krs::scaler
