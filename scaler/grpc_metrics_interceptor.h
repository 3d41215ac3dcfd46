// GrpcMetricsInterceptor: a gRPC server interceptor that counts every call by method and
// status code, records its duration and keeps the number of open streams, in ScalerMetrics.
//
//   builder.experimental().SetInterceptorCreators(MakeGrpcMetricsInterceptors(metrics));
#ifndef KRS_SCALER_GRPC_METRICS_INTERCEPTOR_H_
#define KRS_SCALER_GRPC_METRICS_INTERCEPTOR_H_

#include <memory>
#include <vector>

#include "grpcpp/support/server_interceptor.h"
#include "scaler/scaler_metrics.h"

namespace krs::scaler {

class GrpcMetricsInterceptorFactory
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit GrpcMetricsInterceptorFactory(std::shared_ptr<ScalerMetrics> metrics);

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  std::shared_ptr<ScalerMetrics> metrics_;
};

// Returns the interceptor factories to pass to ServerBuilder::experimental()
// .SetInterceptorCreators(): one GrpcMetricsInterceptorFactory for `metrics`.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeGrpcMetricsInterceptors(std::shared_ptr<ScalerMetrics> metrics);

}  // namespace krs::scaler

#endif  // KRS_SCALER_GRPC_METRICS_INTERCEPTOR_H_
