// fixed_answer_server: an externalscaler.ExternalScaler gRPC server that returns constant
// answers without reading anything, built like rabbitmq-scaler's server (synchronous unary
// methods, health service). Its throughput and latency under bench/grpc_load_generator are the
// limit of gRPC itself on the machine, which the scaler's numbers are compared with.
//
//   fixed_answer_server [--listen=127.0.0.1:0] [--callback_stream_methods]
//
// Prints "listening on PORT" once serving and stops on SIGTERM or SIGINT.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/synchronization/mutex.h"
#include "externalscaler.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to serve on; port 0 picks a free port");
ABSL_FLAG(bool, callback_stream_methods, false,
          "also serve StreamIsActive and StreamMetricSpec with the callback API, as "
          "rabbitmq-scaler does (each stream ends at once with UNIMPLEMENTED), to compare the "
          "unary methods' latency with and without callback methods on one server");

namespace {

// The unary methods with constant responses, on the generated service class `Base`.
template <typename Base>
class FixedAnswerService : public Base {
 public:
  grpc::Status IsActive(grpc::ServerContext*, const externalscaler::ScaledObjectRef*,
                        externalscaler::IsActiveResponse* response) override {
    response->set_result(true);
    return grpc::Status::OK;
  }

  grpc::Status GetMetricSpec(grpc::ServerContext*, const externalscaler::ScaledObjectRef*,
                             externalscaler::GetMetricSpecResponse* response) override {
    externalscaler::MetricSpec* spec = response->add_metricspecs();
    spec->set_metricname("rabbitmq-orders");
    spec->set_targetsize(20);
    spec->set_targetsizefloat(20);
    return grpc::Status::OK;
  }

  grpc::Status GetMetrics(grpc::ServerContext*, const externalscaler::GetMetricsRequest* request,
                          externalscaler::GetMetricsResponse* response) override {
    externalscaler::MetricValue* value = response->add_metricvalues();
    value->set_metricname(request->metricname());
    value->set_metricvalue(42);
    value->set_metricvaluefloat(42);
    return grpc::Status::OK;
  }
};

// A server stream that ends as soon as it starts.
template <typename Response>
class EndedStream final : public grpc::ServerWriteReactor<Response> {
 public:
  EndedStream() { this->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "no streams")); }
  void OnDone() override { delete this; }
};

using SyncOnlyService = FixedAnswerService<externalscaler::ExternalScaler::Service>;

// Synchronous unary methods and callback streaming methods, the mix rabbitmq-scaler serves.
using MixedBase = externalscaler::ExternalScaler::WithCallbackMethod_StreamIsActive<
    externalscaler::ExternalScaler::WithCallbackMethod_StreamMetricSpec<
        externalscaler::ExternalScaler::Service>>;

class MixedService final : public FixedAnswerService<MixedBase> {
 public:
  grpc::ServerWriteReactor<externalscaler::IsActiveResponse>* StreamIsActive(
      grpc::CallbackServerContext*, const externalscaler::ScaledObjectRef*) override {
    return new EndedStream<externalscaler::IsActiveResponse>();
  }

  grpc::ServerWriteReactor<externalscaler::GetMetricSpecResponse>* StreamMetricSpec(
      grpc::CallbackServerContext*, const externalscaler::ScaledObjectRef*) override {
    return new EndedStream<externalscaler::GetMetricSpecResponse>();
  }
};

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // As rabbitmq-scaler does: skip Abseil's lock-order checks, which Debian's libabsl runs on
  // every absl::Mutex that gRPC locks.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  grpc::EnableDefaultHealthCheckService(true);
  std::unique_ptr<grpc::Service> service;
  if (absl::GetFlag(FLAGS_callback_stream_methods)) {
    service = std::make_unique<MixedService>();
  } else {
    service = std::make_unique<SyncOnlyService>();
  }
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "fixed_answer_server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  std::printf("listening on %d\n", port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown();
  return 0;
}
