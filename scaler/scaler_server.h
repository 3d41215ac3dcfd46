// ScalerServer: the rabbitmq-scaler gRPC server. It serves ExternalScalerServiceImpl, server
// reflection (grpc.reflection.v1alpha, what grpcurl uses) and grpc.health.v1.Health on one
// listening address, and shuts down in order: health NOT_SERVING, streams ended, in-flight
// calls finished.
//
// Health/Check over reflection (grpcurl) needs health.proto's descriptor in the binary: link
// krs::health_proto into the executable.
#ifndef KRS_SCALER_SCALER_SERVER_H_
#define KRS_SCALER_SCALER_SERVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "grpcpp/server.h"
#include "scaler/external_scaler_service.h"
#include "scaler/queue_stats.h"
#include "scaler/scaler_options.h"

namespace krs::scaler {

class ScalerServer {
 public:
  ScalerServer(ScalerOptions options, std::shared_ptr<QueueStatsSource> stats_source,
               Clock clock = SystemClock());

  // Shuts down at once if still running.
  ~ScalerServer();

  ScalerServer(const ScalerServer&) = delete;
  ScalerServer& operator=(const ScalerServer&) = delete;

  // Starts listening on options.listen and reports SERVING. Returns the bound port (the
  // picked one for port 0). Returns INVALID_ARGUMENT for invalid options (see
  // ScalerOptions::Validate), UNAVAILABLE naming the address when it cannot listen there, and
  // FAILED_PRECONDITION when called twice.
  absl::StatusOr<int> Start();

  // Reports NOT_SERVING, ends every stream with OK, stops accepting calls, lets in-flight unary
  // calls finish until `deadline` (then cancels them) and waits until the server has stopped.
  // Thread-safe; later calls do nothing.
  void Shutdown(absl::Time deadline);

  ExternalScalerServiceImpl& service() { return service_; }

 private:
  const ScalerOptions options_;
  ExternalScalerServiceImpl service_;

  Mutex mutex_;
  std::unique_ptr<grpc::Server> server_ ABSL_GUARDED_BY(mutex_);
  bool shut_down_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace krs::scaler

#endif  // KRS_SCALER_SCALER_SERVER_H_
