#include "scaler/grpc_metrics_interceptor.h"

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace krs::scaler {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::ServerRpcInfo;

// One interceptor per call. gRPC destroys it when the call ends, also when the call was
// cancelled before a status was sent; such calls count as CANCELLED.
class GrpcMetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  GrpcMetricsInterceptor(ServerRpcInfo* info, std::shared_ptr<ScalerMetrics> metrics)
      : metrics_(std::move(metrics)),
        method_(info->method() != nullptr ? info->method() : "unknown"),
        streaming_(info->type() == ServerRpcInfo::Type::SERVER_STREAMING ||
                   info->type() == ServerRpcInfo::Type::BIDI_STREAMING),
        start_(absl::Now()) {
    if (streaming_) metrics_->grpc_open_streams.GaugeWithLabels({method_}).Add(1);
  }

  ~GrpcMetricsInterceptor() override {
    if (streaming_) metrics_->grpc_open_streams.GaugeWithLabels({method_}).Add(-1);
    if (!status_sent_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS) &&
        !status_sent_) {
      status_sent_ = true;
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(grpc::StatusCode code) {
    // grpc::StatusCode and absl::StatusCode share their numbers.
    std::string code_name = absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
    metrics_->grpc_requests.CounterWithLabels({method_, code_name}).Increment();
    metrics_->grpc_request_duration.HistogramWithLabels({method_}).Observe(
        absl::ToDoubleSeconds(absl::Now() - start_));
  }

  const std::shared_ptr<ScalerMetrics> metrics_;
  const std::string method_;
  const bool streaming_;
  const absl::Time start_;
  bool status_sent_ = false;
};

}  // namespace

GrpcMetricsInterceptorFactory::GrpcMetricsInterceptorFactory(
    std::shared_ptr<ScalerMetrics> metrics)
    : metrics_(std::move(metrics)) {}

grpc::experimental::Interceptor* GrpcMetricsInterceptorFactory::CreateServerInterceptor(
    ServerRpcInfo* info) {
  return new GrpcMetricsInterceptor(info, metrics_);
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeGrpcMetricsInterceptors(std::shared_ptr<ScalerMetrics> metrics) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(std::make_unique<GrpcMetricsInterceptorFactory>(std::move(metrics)));
  return creators;
}

}  // namespace krs::scaler
