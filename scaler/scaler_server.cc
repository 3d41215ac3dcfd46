#include "scaler/scaler_server.h"

#include "scaler/grpc_metrics_interceptor.h"
#include "scaler/server_credentials.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logger.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"

namespace krs::scaler {
namespace {

constexpr char kExternalScalerServiceName[] = "externalscaler.ExternalScaler";

// Sets the overall status ("") and the ExternalScaler service's status.
void SetServing(grpc::Server& server, bool serving) {
  grpc::HealthCheckServiceInterface* health = server.GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  health->SetServingStatus(kExternalScalerServiceName, serving);
}

}  // namespace

ScalerServer::ScalerServer(ScalerOptions options, std::shared_ptr<QueueStatsSource> stats_source,
                           Clock clock)
    : options_(std::move(options)), service_(std::move(stats_source), options_, std::move(clock)) {}

ScalerServer::~ScalerServer() { Shutdown(absl::Now()); }

absl::StatusOr<int> ScalerServer::Start() {
  MutexLock lock(&mutex_);
  if (server_ != nullptr || shut_down_) {
    return absl::FailedPreconditionError("ScalerServer::Start called twice");
  }
  absl::Status valid = options_.Validate();
  if (!valid.ok()) return valid;

  // Both are process-wide switches that the builder reads when it is created.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  // Without this, gRPC sets SO_REUSEPORT and a second scaler on the same port would start
  // and silently share the traffic instead of failing.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
      MakeServerCredentials(options_.tls);
  if (!credentials.ok()) return credentials.status();
  int port = 0;
  builder.AddListeningPort(options_.listen, *credentials, &port);
  builder.RegisterService(&service_);
  if (options_.metrics != nullptr) {
    builder.experimental().SetInterceptorCreators(MakeGrpcMetricsInterceptors(options_.metrics));
  }
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port == 0) {
    server_.reset();
    return absl::UnavailableError(absl::StrCat("failed to listen on \"", options_.listen,
                                               "\": the address is invalid or in use"));
  }

  SetServing(*server_, true);
  return port;
}

void ScalerServer::Shutdown(absl::Time deadline) {
  MutexLock lock(&mutex_);
  if (shut_down_) return;
  shut_down_ = true;
  if (server_ == nullptr) {
    service_.Shutdown();
    return;
  }

  SetServing(*server_, false);
  service_.Shutdown();
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
}

}  // namespace krs::scaler
