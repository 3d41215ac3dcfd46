#include "lab/live/scaler_metrics_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lab/simulate/simulated_metrics_client.h"

namespace krs::lab {
namespace {

absl::Status FromGrpc(const grpc::Status& status, absl::string_view call) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(call, ": ", status.error_message()));
}

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::microseconds(absl::ToInt64Microseconds(timeout)));
}

// KEDA reads metricValueFloat when it is > 0, else the integer metricValue.
double ValueOf(const externalscaler::MetricValue& value) {
  if (value.metricvaluefloat() > 0) return value.metricvaluefloat();
  return static_cast<double>(value.metricvalue());
}

}  // namespace

ScalerMetricsClient::ScalerMetricsClient(const std::string& address,
                                         std::map<std::string, std::string> env,
                                         absl::Duration timeout)
    : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
      stub_(externalscaler::ExternalScaler::NewStub(channel_)),
      env_(std::move(env)),
      timeout_(timeout) {}

bool ScalerMetricsClient::WaitForConnected(absl::Duration timeout) {
  return channel_->WaitForConnected(std::chrono::system_clock::now() +
                                    std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
}

externalscaler::ScaledObjectRef ScalerMetricsClient::ToProto(const ScalerRef& ref) const {
  externalscaler::ScaledObjectRef proto;
  proto.set_name(ref.name);
  proto.set_namespace_(ref.namespace_name);
  for (const auto& [key, value] : ResolveFromEnv(ref.metadata, env_)) {
    (*proto.mutable_scalermetadata())[key] = value;
  }
  return proto;
}

void ScalerMetricsClient::Record(absl::Time start) {
  double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
  MutexLock lock(&mu_);
  round_trips_ms_.push_back(ms);
}

absl::StatusOr<std::vector<MetricSpec>> ScalerMetricsClient::GetMetricSpec(const ScalerRef& ref) {
  grpc::ClientContext context;
  SetDeadline(context, timeout_);
  externalscaler::GetMetricSpecResponse response;
  absl::Time start = absl::Now();
  grpc::Status status = stub_->GetMetricSpec(&context, ToProto(ref), &response);
  if (!status.ok()) return FromGrpc(status, "GetMetricSpec");
  Record(start);

  std::vector<MetricSpec> specs;
  for (const externalscaler::MetricSpec& spec : response.metricspecs()) {
    double target = spec.targetsizefloat() > 0 ? spec.targetsizefloat()
                                               : static_cast<double>(spec.targetsize());
    specs.push_back(MetricSpec{spec.metricname(), target});
  }
  return specs;
}

absl::StatusOr<double> ScalerMetricsClient::GetMetrics(const ScalerRef& ref,
                                                       const std::string& metric_name) {
  grpc::ClientContext context;
  SetDeadline(context, timeout_);
  externalscaler::GetMetricsRequest request;
  *request.mutable_scaledobjectref() = ToProto(ref);
  request.set_metricname(metric_name);
  externalscaler::GetMetricsResponse response;
  absl::Time start = absl::Now();
  grpc::Status status = stub_->GetMetrics(&context, request, &response);
  if (!status.ok()) return FromGrpc(status, "GetMetrics");
  Record(start);

  double total = 0;
  for (const externalscaler::MetricValue& value : response.metricvalues()) total += ValueOf(value);
  return total;
}

absl::StatusOr<bool> ScalerMetricsClient::IsActive(const ScalerRef& ref) {
  grpc::ClientContext context;
  SetDeadline(context, timeout_);
  externalscaler::IsActiveResponse response;
  absl::Time start = absl::Now();
  grpc::Status status = stub_->IsActive(&context, ToProto(ref), &response);
  if (!status.ok()) return FromGrpc(status, "IsActive");
  Record(start);
  return response.result();
}

std::vector<double> ScalerMetricsClient::round_trips_ms() const {
  MutexLock lock(&mu_);
  return round_trips_ms_;
}

}  // namespace krs::lab
