#include "common/mutex.h"
#include "scaler/external_scaler_service.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/logger.h"
#include "common/url.h"
#include "scaler/grpc_status.h"
#include "scaler/metric.h"
#include "scaler/stream_writer.h"

namespace krs::scaler {
namespace {

using externalscaler::GetMetricSpecResponse;
using externalscaler::IsActiveResponse;
using externalscaler::ScaledObjectRef;

using ConfigResult = absl::StatusOr<std::shared_ptr<const TriggerConfig>>;

std::map<std::string, std::string> MetadataOf(const ScaledObjectRef& ref) {
  return std::map<std::string, std::string>(ref.scalermetadata().begin(),
                                            ref.scalermetadata().end());
}

GetMetricSpecResponse MakeMetricSpecResponse(const TriggerConfig& config) {
  MetricTarget target = ComputeMetricTarget(config);
  GetMetricSpecResponse response;
  externalscaler::MetricSpec* spec = response.add_metricspecs();
  spec->set_metricname(config.metric_name);
  spec->set_targetsizefloat(target.target_size_float);
  spec->set_targetsize(target.target_size);
  return response;
}

TriggerConfigCacheOptions MakeConfigCacheOptions(const ScalerOptions& options) {
  TriggerConfigCacheOptions cache_options;
  cache_options.default_timeout = options.default_timeout;
  cache_options.default_tls = options.broker_tls;
  cache_options.brokers = options.brokers;
  return cache_options;
}

ActivityWatcherRegistry::Options MakeWatcherOptions(const ScalerOptions& options) {
  ActivityWatcherRegistry::Options watcher_options;
  watcher_options.check_interval = options.stream_check_interval;
  watcher_options.default_timeout = options.default_timeout;
  return watcher_options;
}

// One StreamIsActive call: subscribes to the watcher of its query and writes each change of
// activity.
class IsActiveStream final : public StreamWriter<IsActiveResponse> {
 public:
  IsActiveStream(StreamSet* streams, ActivityWatcherRegistry* watchers)
      : streams_(streams), watchers_(watchers) {}

  void Open(const ConfigResult& config) {
    if (!streams_->Add(this)) {
      End(grpc::Status::OK);
      return;
    }
    if (!config.ok()) {
      End(ToGrpcStatus(config.status()));
      return;
    }

    bool subscribed = false;
    {
      MutexLock lock(&subscription_mutex_);
      if (ending_) return;
      subscription_ =
          watchers_->Subscribe(**config, [this](bool active) { OnActivity(active); });
      subscribed = subscription_.has_value();
    }
    if (!subscribed) End(grpc::Status::OK);  // the registry has shut down
  }

 private:
  // Calls come one at a time from the watcher (see ActivityListener), so last_sent_ needs no
  // lock of its own.
  void OnActivity(bool active) {
    if (last_sent_.has_value() && *last_sent_ == active) return;
    last_sent_ = active;

    IsActiveResponse response;
    response.set_result(active);
    Send(std::move(response));
  }

  void OnEnding() override {
    MutexLock lock(&subscription_mutex_);
    ending_ = true;
    if (subscription_.has_value()) watchers_->Unsubscribe(*subscription_);
  }

  void OnStreamDone() override { streams_->Remove(this); }

  StreamSet* const streams_;
  ActivityWatcherRegistry* const watchers_;
  std::optional<bool> last_sent_;

  // Orders Open() against OnEnding(), which may run on another thread (shutdown) before
  // Open() has stored the subscription.
  Mutex subscription_mutex_;
  bool ending_ ABSL_GUARDED_BY(subscription_mutex_) = false;
  std::optional<uint64_t> subscription_ ABSL_GUARDED_BY(subscription_mutex_);
};

// One StreamMetricSpec call: the spec of a metadata map never changes, so it is sent once and
// the stream stays open until the client cancels or the server shuts down.
class MetricSpecStream final : public StreamWriter<GetMetricSpecResponse> {
 public:
  explicit MetricSpecStream(StreamSet* streams) : streams_(streams) {}

  void Open(const ConfigResult& config) {
    if (!streams_->Add(this)) {
      End(grpc::Status::OK);
      return;
    }
    if (!config.ok()) {
      End(ToGrpcStatus(config.status()));
      return;
    }
    Send(MakeMetricSpecResponse(**config));
  }

 private:
  void OnStreamDone() override { streams_->Remove(this); }

  StreamSet* const streams_;
};

}  // namespace

ExternalScalerServiceImpl::ExternalScalerServiceImpl(
    std::shared_ptr<QueueStatsSource> stats_source, const ScalerOptions& options, Clock clock)
    : stats_source_(std::move(stats_source)),
      options_(options),
      clock_(std::move(clock)),
      warnings_(options.warning_interval, clock_),
      configs_(MakeConfigCacheOptions(options)),
      watchers_(stats_source_, MakeWatcherOptions(options), &warnings_, clock_) {}

ExternalScalerServiceImpl::~ExternalScalerServiceImpl() { Shutdown(); }

grpc::Status ExternalScalerServiceImpl::GetMetricSpec(grpc::ServerContext* context,
                                                      const ScaledObjectRef* request,
                                                      GetMetricSpecResponse* response) {
  ConfigResult config = LoadConfig(*request);
  if (!config.ok()) {
    LogError("GetMetricSpec", *request, config.status());
    return ToGrpcStatus(config.status());
  }
  LogRequest("GetMetricSpec", *request, config->get());

  *response = MakeMetricSpecResponse(**config);
  return grpc::Status::OK;
}

grpc::Status ExternalScalerServiceImpl::GetMetrics(grpc::ServerContext* context,
                                                   const externalscaler::GetMetricsRequest* request,
                                                   externalscaler::GetMetricsResponse* response) {
  const ScaledObjectRef& ref = request->scaledobjectref();
  ConfigResult config = LoadConfig(ref);
  if (!config.ok()) {
    LogError("GetMetrics", ref, config.status());
    return ToGrpcStatus(config.status());
  }
  LogRequest("GetMetrics", ref, config->get());

  if (request->metricname() != (*config)->metric_name) {
    absl::Status status = absl::InvalidArgumentError(absl::StrCat(
        "invalid metricName \"", request->metricname(), "\": GetMetricSpec returns \"",
        (*config)->metric_name, "\" for this scalerMetadata; send that name"));
    LogError("GetMetrics", ref, status);
    return ToGrpcStatus(status);
  }

  absl::StatusOr<QueueStats> stats = ReadStats(*context, ref, **config);
  if (!stats.ok()) return ToGrpcStatus(stats.status());

  MetricResult metric = ComputeMetric(*stats, **config);
  externalscaler::MetricValue* value = response->add_metricvalues();
  value->set_metricname((*config)->metric_name);
  value->set_metricvaluefloat(metric.value);
  value->set_metricvalue(MetricValueAsInt64(metric.value));
  return grpc::Status::OK;
}

grpc::Status ExternalScalerServiceImpl::IsActive(grpc::ServerContext* context,
                                                 const ScaledObjectRef* request,
                                                 IsActiveResponse* response) {
  ConfigResult config = LoadConfig(*request);
  if (!config.ok()) {
    LogError("IsActive", *request, config.status());
    return ToGrpcStatus(config.status());
  }
  LogRequest("IsActive", *request, config->get());

  absl::StatusOr<QueueStats> stats = ReadStats(*context, *request, **config);
  if (!stats.ok()) return ToGrpcStatus(stats.status());

  response->set_result(ComputeMetric(*stats, **config).active);
  return grpc::Status::OK;
}

grpc::ServerWriteReactor<IsActiveResponse>* ExternalScalerServiceImpl::StreamIsActive(
    grpc::CallbackServerContext* context, const ScaledObjectRef* request) {
  ConfigResult config = LoadConfig(*request);
  if (config.ok()) {
    LogRequest("StreamIsActive", *request, config->get());
  } else {
    LogError("StreamIsActive", *request, config.status());
  }

  auto* stream = new IsActiveStream(&streams_, &watchers_);
  stream->Open(config);
  return stream;
}

grpc::ServerWriteReactor<GetMetricSpecResponse>* ExternalScalerServiceImpl::StreamMetricSpec(
    grpc::CallbackServerContext* context, const ScaledObjectRef* request) {
  ConfigResult config = LoadConfig(*request);
  if (config.ok()) {
    LogRequest("StreamMetricSpec", *request, config->get());
  } else {
    LogError("StreamMetricSpec", *request, config.status());
  }

  auto* stream = new MetricSpecStream(&streams_);
  stream->Open(config);
  return stream;
}

void ExternalScalerServiceImpl::Shutdown() {
  streams_.EndAll(grpc::Status::OK);
  watchers_.Shutdown();
}

ConfigResult ExternalScalerServiceImpl::LoadConfig(const ScaledObjectRef& ref) {
  return configs_.Get(MetadataOf(ref));
}

absl::StatusOr<QueueStats> ExternalScalerServiceImpl::ReadStats(const grpc::ServerContext& context,
                                                                const ScaledObjectRef& ref,
                                                                const TriggerConfig& config) {
  absl::Duration timeout =
      config.timeout > absl::ZeroDuration() ? config.timeout : options_.default_timeout;
  absl::Time deadline = std::min(clock_() + timeout, absl::FromChrono(context.deadline()));

  absl::StatusOr<QueueStats> stats = stats_source_->Read(config.query, deadline);
  if (stats.ok()) return stats;

  std::string endpoint = config.query.endpoint.Redacted();
  std::string code(absl::StatusCodeToString(stats.status().code()));
  std::optional<int64_t> suppressed =
      warnings_.Admit(absl::StrCat("read|", endpoint, "|", config.query.queue_name, "|", code));
  if (suppressed.has_value()) {
    Log(LogLevel::kWarning, "queue stats read failed",
        {{"namespace", ref.namespace_()},
         {"scaledobject", ref.name()},
         {"queue", config.query.queue_name},
         {"endpoint", endpoint},
         {"code", code},
         {"error", RedactUrl(stats.status().message())},
         {"suppressed", *suppressed}});
  }
  return stats;
}

void ExternalScalerServiceImpl::LogRequest(absl::string_view rpc, const ScaledObjectRef& ref,
                                           const TriggerConfig* config) {
  if (GetLogLevel() > LogLevel::kDebug) return;
  Log(LogLevel::kDebug, "rpc",
      {{"rpc", rpc},
       {"namespace", ref.namespace_()},
       {"scaledobject", ref.name()},
       {"queue", config->query.queue_name},
       {"mode", TriggerConfig::ModeName(config->mode)}});
}

void ExternalScalerServiceImpl::LogError(absl::string_view rpc, const ScaledObjectRef& ref,
                                         const absl::Status& status) {
  std::string code(absl::StatusCodeToString(status.code()));
  std::optional<int64_t> suppressed =
      warnings_.Admit(absl::StrCat("rpc|", ref.namespace_(), "|", ref.name(), "|", code));
  if (!suppressed.has_value()) return;

  Log(LogLevel::kWarning, "rpc failed",
      {{"rpc", rpc},
       {"namespace", ref.namespace_()},
       {"scaledobject", ref.name()},
       {"code", code},
       {"error", RedactUrl(status.message())},
       {"suppressed", *suppressed}});
}

}  // namespace krs::scaler
