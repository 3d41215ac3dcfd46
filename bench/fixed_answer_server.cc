// fixed_answer_server: an externalscaler.ExternalScaler gRPC server that returns constant
// answers without reading anything, built like rabbitmq-scaler's server (synchronous unary
// methods, health service). Its throughput and latency under bench/grpc_load_generator are the
// limit of gRPC itself on the machine, which the scaler's numbers are compared with.
//
//   fixed_answer_server [--listen=127.0.0.1:0]
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
#include "externalscaler.grpc.pb.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:0", "host:port to serve on; port 0 picks a free port");

namespace {

class FixedAnswerService final : public externalscaler::ExternalScaler::Service {
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

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  grpc::EnableDefaultHealthCheckService(true);
  FixedAnswerService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
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
