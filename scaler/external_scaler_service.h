// ExternalScalerServiceImpl: KEDA's externalscaler.ExternalScaler service for RabbitMQ
// triggers, with the same scalerMetadata keys and metric rules as KEDA's built-in `rabbitmq`
// trigger.
//
// The unary rpcs use the synchronous API: they block on a broker read of at most the broker
// timeout. The two streaming rpcs use the callback API, so an open stream occupies no thread.
// StreamIsActive streams on one query share one ActivityWatcher.
#ifndef KRS_SCALER_EXTERNAL_SCALER_SERVICE_H_
#define KRS_SCALER_EXTERNAL_SCALER_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "externalscaler.grpc.pb.h"
#include "scaler/activity_watcher.h"
#include "scaler/queue_stats.h"
#include "scaler/scaler_options.h"
#include "scaler/stream_set.h"
#include "scaler/trigger_config_cache.h"
#include "scaler/warning_limiter.h"

namespace krs::scaler {

// Unary methods on the synchronous API, the two streams on the callback API, so that an open
// stream occupies no thread.
// NOTE: with gRPC 1.51, callback methods on the same server cost the unary methods 0 to 22 % of
// their throughput and give them a p999 of about 100 ms at 64 calls in flight. The
// fixed-answer server shows this with --callback_stream_methods (docs/benchmarks.md). Serving
// the streams on the synchronous API would avoid it, at the cost of one thread per open stream.
using ExternalScalerBase = externalscaler::ExternalScaler::WithCallbackMethod_StreamIsActive<
    externalscaler::ExternalScaler::WithCallbackMethod_StreamMetricSpec<
        externalscaler::ExternalScaler::Service>>;

class ExternalScalerServiceImpl final : public ExternalScalerBase {
 public:
  // Reads every queue through `stats_source`: the server passes MakeScalerStatsSource(),
  // tests a fake. Uses options.default_timeout, stream_check_interval and warning_interval.
  ExternalScalerServiceImpl(std::shared_ptr<QueueStatsSource> stats_source,
                            const ScalerOptions& options, Clock clock = SystemClock());

  // Calls Shutdown().
  ~ExternalScalerServiceImpl() override;

  // Returns one MetricSpec from the metadata alone; never reads the broker.
  grpc::Status GetMetricSpec(grpc::ServerContext* context,
                             const externalscaler::ScaledObjectRef* request,
                             externalscaler::GetMetricSpecResponse* response) override;

  // Reads the queue and returns one MetricValue. INVALID_ARGUMENT when request->metricname()
  // is not the name GetMetricSpec returns for the same metadata.
  grpc::Status GetMetrics(grpc::ServerContext* context,
                          const externalscaler::GetMetricsRequest* request,
                          externalscaler::GetMetricsResponse* response) override;

  // Reads the queue and returns whether the metric is above activationValue.
  grpc::Status IsActive(grpc::ServerContext* context,
                        const externalscaler::ScaledObjectRef* request,
                        externalscaler::IsActiveResponse* response) override;

  // Sends the current activity once known, then every change; nothing while reads fail. Ends
  // with INVALID_ARGUMENT for invalid metadata, CANCELLED when the client cancels and OK on
  // Shutdown().
  grpc::ServerWriteReactor<externalscaler::IsActiveResponse>* StreamIsActive(
      grpc::CallbackServerContext* context,
      const externalscaler::ScaledObjectRef* request) override;

  // Sends the metric spec once and keeps the stream open until the client cancels or
  // Shutdown(), because the spec of a given metadata map never changes.
  grpc::ServerWriteReactor<externalscaler::GetMetricSpecResponse>* StreamMetricSpec(
      grpc::CallbackServerContext* context,
      const externalscaler::ScaledObjectRef* request) override;

  // Ends every open stream with OK, ends new streams at once and stops the watchers. Unary
  // rpcs keep working. Thread-safe; later calls do nothing.
  void Shutdown();

  // Open streams and running watchers, for tests.
  size_t open_stream_count() const { return streams_.size(); }
  const ActivityWatcherRegistry& watchers() const { return watchers_; }

 private:
  absl::StatusOr<std::shared_ptr<const TriggerConfig>> LoadConfig(
      const externalscaler::ScaledObjectRef& ref);
  absl::StatusOr<QueueStats> ReadStats(const grpc::ServerContext& context,
                                       const externalscaler::ScaledObjectRef& ref,
                                       const TriggerConfig& config);
  void LogRequest(absl::string_view rpc, const externalscaler::ScaledObjectRef& ref,
                  const TriggerConfig* config);
  void LogError(absl::string_view rpc, const externalscaler::ScaledObjectRef& ref,
                const absl::Status& status);

  const std::shared_ptr<QueueStatsSource> stats_source_;
  const ScalerOptions options_;
  const Clock clock_;
  WarningLimiter warnings_;
  TriggerConfigCache configs_;
  ActivityWatcherRegistry watchers_;
  StreamSet streams_;
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_EXTERNAL_SCALER_SERVICE_H_
